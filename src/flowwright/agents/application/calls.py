"""Model calls made by a person or an API client (the engine calls the gateway directly)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.gateway import LLMGateway
from flowwright.agents.domain.messages import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    StreamEvent,
)
from flowwright.agents.domain.usage import CallContext


async def chat(
    request: ChatRequest,
    *,
    caller: Caller,
    gateway: LLMGateway,
    context: CallContext,
    output_schema: dict[str, Any] | None = None,
) -> ChatResult:
    caller.require(Grant.USE)
    context = replace(context, user_id=caller.user_id)
    if output_schema is not None:
        return await gateway.structured(
            request, output_schema, tenant_id=caller.tenant_id, context=context
        )
    return await gateway.complete(request, tenant_id=caller.tenant_id, context=context)


def chat_stream(
    request: ChatRequest, *, caller: Caller, gateway: LLMGateway, context: CallContext
) -> AsyncIterator[StreamEvent]:
    caller.require(Grant.USE)
    return gateway.stream(
        request, tenant_id=caller.tenant_id, context=replace(context, user_id=caller.user_id)
    )


async def embed(
    request: EmbeddingRequest, *, caller: Caller, gateway: LLMGateway, context: CallContext
) -> EmbeddingResult:
    caller.require(Grant.USE)
    return await gateway.embed(
        request, tenant_id=caller.tenant_id, context=replace(context, user_id=caller.user_id)
    )
