"""Shaping a request for the candidate that gets it, and accounting for what came back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flowwright.agents.application.failover import AttemptLog, Route
from flowwright.agents.application.planning import CallPlan
from flowwright.agents.application.ports import ModelCall
from flowwright.agents.application.structured import instruction
from flowwright.agents.domain.catalog import ProviderKind
from flowwright.agents.domain.messages import (
    CallOutcome,
    ChatMessage,
    ChatRequest,
    MessageRole,
    TokenUsage,
)
from flowwright.agents.domain.pricing import cost_micros
from flowwright.agents.domain.routing import Needs, supports_json_schema
from flowwright.agents.domain.usage import Outcome


def needs(request: ChatRequest) -> Needs:
    # About four characters per token: a floor, used only to skip windows that are too small.
    chars = sum(len(m.content) for m in request.messages)
    return Needs(tools=bool(request.tools), min_context_tokens=chars // 4 or None)


def shape(route: Route, request: ChatRequest, schema: dict[str, Any] | None) -> ModelCall:
    """The request as this candidate gets it: its default parameters, and how to ask for JSON."""
    params = {**route.candidate.params, **request.params}
    messages = request.messages
    native = schema is not None and (
        route.provider.kind is ProviderKind.ANTHROPIC or supports_json_schema(route.candidate)
    )
    if schema is not None and not native:
        messages = with_system_note(messages, instruction(schema))
    return ModelCall(
        model=route.candidate.model,
        messages=messages,
        tools=request.tools,
        tool_choice=request.tool_choice,
        params=params,
        output_schema=schema if native else None,
    )


def with_system_note(messages: tuple[ChatMessage, ...], note: str) -> tuple[ChatMessage, ...]:
    # Many chat templates accept one system message, first: extend it rather than add another.
    if messages and messages[0].role is MessageRole.SYSTEM:
        first = messages[0]
        return (replace(first, content=f"{first.content}\n\n{note}"), *messages[1:])
    return (ChatMessage(MessageRole.SYSTEM, note), *messages)


def with_usage(attempts: list[AttemptLog], usage: TokenUsage) -> list[AttemptLog]:
    return [*attempts[:-1], replace(attempts[-1], usage=usage)]


def replace_last(attempts: list[AttemptLog], *, outcome: Outcome, detail: str) -> list[AttemptLog]:
    return [*attempts[:-1], replace(attempts[-1], outcome=outcome, detail=detail)]


def outcome(plan: CallPlan, attempts: list[AttemptLog], usage_id: str) -> CallOutcome:
    answered = attempts[-1]
    price = plan.price_of(answered.candidate)
    usage = answered.usage
    return CallOutcome(
        alias=plan.alias.name,
        provider=answered.candidate.provider,
        model=answered.candidate.model,
        usage=usage,
        cost_micros=cost_micros(
            price, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        ),
        priced=price.priced,
        latency_ms=answered.latency_ms,
        attempts=tuple(a.public() for a in attempts),
        usage_id=usage_id,
    )
