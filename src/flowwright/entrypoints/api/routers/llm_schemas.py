"""Request and response bodies of the model-call routes, and their mapping to the domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowwright.agents.domain.messages import (
    CallOutcome,
    ChatMessage,
    ChatRequest,
    ChatResult,
    MessageRole,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from flowwright.agents.domain.pricing import micros_to_dollars
from flowwright.agents.domain.usage import CallContext

MAX_MESSAGES = 500
MAX_TOOLS = 128


class ToolCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=200)
    name: str = Field(max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: MessageRole
    content: str = ""
    tool_calls: list[ToolCallIn] = Field(default_factory=list, max_length=MAX_TOOLS)
    tool_call_id: str | None = Field(default=None, max_length=200)

    def to_domain(self) -> ChatMessage:
        return ChatMessage(
            role=self.role,
            content=self.content,
            tool_calls=tuple(ToolCall(c.id, c.name, c.arguments) for c in self.tool_calls),
            tool_call_id=self.tool_call_id,
        )


class ToolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    description: str = Field(default="", max_length=4000)
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the tool's arguments.",
    )


class ToolChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64, description="Call exactly this tool.")


class ContextIn(BaseModel):
    """Facts recorded with the usage, for grouping and auditing."""

    model_config = ConfigDict(extra="forbid")
    run_id: str | None = Field(default=None, max_length=64)
    step_id: str | None = Field(default=None, max_length=200)
    workflow_id: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=200)
    conversation_id: str | None = Field(default=None, max_length=64)


def call_context(context: ContextIn | None, idempotency_key: str | None) -> CallContext:
    data = context.model_dump() if context else {}
    return CallContext(**data, idempotency_key=idempotency_key)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alias: str = Field(max_length=63, description="A model alias of the tenant, e.g. fast.")
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    tools: list[ToolIn] = Field(default_factory=list, max_length=MAX_TOOLS)
    tool_choice: Literal["auto", "none", "required"] | ToolChoiceIn | None = None
    params: dict[str, Any] = Field(
        default_factory=dict, description="temperature, max_tokens, top_p, stop, seed, ..."
    )
    output_schema: dict[str, Any] | None = Field(
        default=None, description="Answer with JSON matching this schema (returned in parsed)."
    )
    stream: bool = Field(default=False, description="Answer as server-sent events.")
    idempotency_key: str | None = Field(
        default=None,
        max_length=200,
        description="The same key returns the recorded answer without calling a model again.",
    )
    context: ContextIn | None = None

    def to_domain(self) -> ChatRequest:
        choice: ToolChoice | None = None
        if isinstance(self.tool_choice, ToolChoiceIn):
            choice = ToolChoice("tool", self.tool_choice.name)
        elif self.tool_choice is not None:
            choice = ToolChoice(self.tool_choice)
        return ChatRequest(
            alias=self.alias,
            messages=tuple(m.to_domain() for m in self.messages),
            tools=tuple(ToolSpec(t.name, t.description, t.parameters) for t in self.tools),
            tool_choice=choice,
            params=dict(self.params),
        )


class EmbeddingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alias: str = Field(max_length=63)
    input: str | list[str] = Field(description="One text or a list of texts.")
    dimensions: int | None = Field(default=None, ge=1, le=65536)
    idempotency_key: str | None = Field(default=None, max_length=200)
    context: ContextIn | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.input,) if isinstance(self.input, str) else tuple(self.input)


class ToolCallOut(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None = Field(default=None, description="Why the raw arguments did not parse.")


class AttemptOut(BaseModel):
    provider: str
    model: str
    outcome: str
    latency_ms: int
    detail: str | None


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class OutcomeOut(BaseModel):
    alias: str
    provider: str
    model: str
    usage: UsageOut
    cost_usd: Decimal
    cost_micros: int
    priced: bool = Field(description="False when the model has no price yet (cost counted as 0).")
    latency_ms: int
    attempts: list[AttemptOut] = Field(description="The fallback path: every candidate tried.")
    usage_id: str | None
    replayed: bool = Field(description="True when answered from the record of an earlier call.")

    @classmethod
    def of(cls, o: CallOutcome) -> OutcomeOut:
        return cls(
            alias=o.alias,
            provider=o.provider,
            model=o.model,
            usage=UsageOut(
                input_tokens=o.usage.input_tokens,
                output_tokens=o.usage.output_tokens,
                total_tokens=o.usage.total_tokens,
            ),
            cost_usd=micros_to_dollars(o.cost_micros),
            cost_micros=o.cost_micros,
            priced=o.priced,
            latency_ms=o.latency_ms,
            attempts=[AttemptOut(**a.__dict__) for a in o.attempts],
            usage_id=o.usage_id,
            replayed=o.replayed,
        )


class ChatOut(OutcomeOut):
    content: str
    tool_calls: list[ToolCallOut]
    finish_reason: str
    parsed: Any = Field(default=None, description="The validated JSON of a structured call.")

    @classmethod
    def of_result(cls, r: ChatResult) -> ChatOut:
        return cls(
            **OutcomeOut.of(r.outcome).model_dump(),
            content=r.content,
            tool_calls=[
                ToolCallOut(id=c.id, name=c.name, arguments=c.arguments, error=c.error)
                for c in r.tool_calls
            ],
            finish_reason=r.finish_reason,
            parsed=r.parsed,
        )


class EmbeddingsOut(OutcomeOut):
    vectors: list[list[float]]
