"""Model calls through the gateway: chat (JSON or server-sent events), embeddings, and the
recorded answers kept by idempotency key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from flowwright.agents.application import calls, usage_queries
from flowwright.agents.domain.messages import (
    EmbeddingRequest,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from flowwright.entrypoints.api.agents_access import CurrentCaller
from flowwright.entrypoints.api.deps import ContainerDep
from flowwright.entrypoints.api.problems import PROBLEM_BASE, status_of
from flowwright.entrypoints.api.routers.llm_schemas import (
    ChatIn,
    ChatOut,
    EmbeddingsIn,
    EmbeddingsOut,
    OutcomeOut,
    call_context,
)
from flowwright.kernel.errors import FlowwrightError, ValidationFailed

router = APIRouter(prefix="/llm", tags=["llm"])

_SSE_DOC = (
    'With `stream: true` the answer is `text/event-stream`: `delta` events (`{"text"}`), then '
    "one `done` event (the same body as without streaming), or one `error` event (a problem "
    "document) if the stream breaks after it started."
)


@router.post(
    "/chat",
    response_model=ChatOut,
    summary="Call a model alias: text, tool calls or structured output",
    description=_SSE_DOC,
)
async def chat(
    body: ChatIn, request: Request, caller: CurrentCaller, container: ContainerDep
) -> Any:
    gateway = container.llm.gateway
    context = call_context(body.context, body.idempotency_key)
    chat_request = body.to_domain()
    if not body.stream:
        result = await calls.chat(
            chat_request,
            caller=caller,
            gateway=gateway,
            context=context,
            output_schema=body.output_schema,
        )
        return ChatOut.of_result(result)
    if body.output_schema is not None:
        raise ValidationFailed("output_schema cannot be streamed: send stream=false")
    events = calls.chat_stream(chat_request, caller=caller, gateway=gateway, context=context)
    # Pull the first event before answering, so that refusals (quota, configuration, every
    # provider down) are ordinary problem responses with their status, not a broken stream.
    first = await anext(events)
    return StreamingResponse(
        _sse(first, events, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse(
    first: StreamEvent, events: AsyncIterator[StreamEvent], request: Request
) -> AsyncIterator[bytes]:
    try:
        yield _frame(first)
        async for event in events:
            yield _frame(event)
    except FlowwrightError as exc:
        problem = {
            "type": PROBLEM_BASE + exc.code,
            "status": status_of(exc),
            "detail": exc.message,
            "code": exc.code,
            "request_id": getattr(request.state, "request_id", None),
        }
        yield _event("error", problem)


def _frame(event: StreamEvent) -> bytes:
    if isinstance(event, TextDelta):
        return _event("delta", {"text": event.text})
    assert isinstance(event, StreamEnd)
    return _event("done", ChatOut.of_result(event.result).model_dump(mode="json"))


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.post("/embeddings", response_model=EmbeddingsOut, summary="Embed texts")
async def embeddings(
    body: EmbeddingsIn, caller: CurrentCaller, container: ContainerDep
) -> EmbeddingsOut:
    result = await calls.embed(
        EmbeddingRequest(alias=body.alias, inputs=body.inputs, dimensions=body.dimensions),
        caller=caller,
        gateway=container.llm.gateway,
        context=call_context(body.context, body.idempotency_key),
    )
    return EmbeddingsOut(
        **OutcomeOut.of(result.outcome).model_dump(),
        vectors=[list(vector) for vector in result.vectors],
    )


class RecordedOut(BaseModel):
    idempotency_key: str
    kind: str
    created_at: datetime
    result: dict[str, Any]


@router.get(
    "/results",
    response_model=list[RecordedOut],
    summary="Answers recorded by idempotency key (newest first)",
)
async def list_results(caller: CurrentCaller, container: ContainerDep) -> list[RecordedOut]:
    stored = await usage_queries.list_recorded_results(
        caller=caller, uow_factory=container.llm.agents
    )
    return [
        RecordedOut(
            idempotency_key=s.idempotency_key,
            kind=s.kind,
            created_at=s.created_at,
            result=s.payload,
        )
        for s in stored
    ]


@router.get("/results/{key:path}", response_model=RecordedOut)
async def get_result(key: str, caller: CurrentCaller, container: ContainerDep) -> RecordedOut:
    s = await usage_queries.get_recorded_result(
        key, caller=caller, uow_factory=container.llm.agents
    )
    return RecordedOut(
        idempotency_key=s.idempotency_key, kind=s.kind, created_at=s.created_at, result=s.payload
    )


@router.delete(
    "/results/{key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Forget a recorded answer: the next call with its key contacts a model again",
)
async def forget_result(key: str, caller: CurrentCaller, container: ContainerDep) -> Response:
    await usage_queries.forget_recorded_result(key, caller=caller, uow_factory=container.llm.agents)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
