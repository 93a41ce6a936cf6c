"""The workflow context's LanguageModel port, answered by the agents context's LLM gateway."""

from __future__ import annotations

from typing import Any

from flowwright.agents.application.gateway import LLMGateway
from flowwright.agents.domain.messages import ChatMessage, ChatRequest, ChatResult, MessageRole
from flowwright.agents.domain.usage import CallContext
from flowwright.workflow.application.ports import ModelAnswer, ModelRequest


class GatewayLanguageModel:
    def __init__(self, gateway: LLMGateway) -> None:
        self._gateway = gateway

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        messages = []
        if request.system:
            messages.append(ChatMessage(MessageRole.SYSTEM, request.system))
        messages.append(ChatMessage(MessageRole.USER, request.prompt))
        params: dict[str, Any] = {}
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        chat = ChatRequest(alias=request.alias, messages=tuple(messages), params=params)
        context = CallContext(
            run_id=request.run_id,
            step_id=request.step_key,
            workflow_id=request.workflow,
            idempotency_key=request.idempotency_key,
        )
        if request.output_schema is not None:
            result = await self._gateway.structured(
                chat, request.output_schema, tenant_id=request.tenant_id, context=context
            )
            return ModelAnswer(result.parsed, usage_of(result))
        result = await self._gateway.complete(chat, tenant_id=request.tenant_id, context=context)
        return ModelAnswer(result.content, usage_of(result))


def usage_of(result: ChatResult) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "provider": outcome.provider,
        "model": outcome.model,
        "input_tokens": outcome.usage.input_tokens,
        "output_tokens": outcome.usage.output_tokens,
        "cost_micros": outcome.cost_micros,
        "replayed": outcome.replayed,
    }
