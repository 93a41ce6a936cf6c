"""What callers send to the gateway and what they get back, in one format for every provider.

Tools are described once (name, description, JSON-schema parameters) and tool calls come back
normalized (id, name, parsed arguments), whichever provider answered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flowwright.kernel.errors import ValidationFailed

TOOL_NAME_RE = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")


class MessageRole(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model asked for. ``error`` says why ``raw_arguments`` did not parse."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""
    error: str | None = None


@dataclass(frozen=True)
class ToolChoice:
    """``auto``, ``none``, ``required`` (any tool), or ``tool`` with the tool's name."""

    mode: str = "auto"
    name: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    role: MessageRole
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # assistant messages that called tools
    tool_call_id: str | None = None  # tool messages: which call this answers


@dataclass(frozen=True)
class ChatRequest:
    alias: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddingRequest:
    alias: str
    inputs: tuple[str, ...]
    dimensions: int | None = None


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Attempt:
    """One candidate on the fallback path of a call, and what happened there."""

    provider: str
    model: str
    outcome: str
    latency_ms: int = 0
    detail: str | None = None


@dataclass(frozen=True)
class CallOutcome:
    """The accounting of a finished call: who answered, what it cost, the path taken."""

    alias: str
    provider: str
    model: str
    usage: TokenUsage
    cost_micros: int
    priced: bool
    latency_ms: int
    attempts: tuple[Attempt, ...]
    usage_id: str | None = None
    replayed: bool = False


@dataclass(frozen=True)
class ChatResult:
    content: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str  # stop | length | tool_calls | content_filter | other
    outcome: CallOutcome
    parsed: Any = None  # the validated value of a structured call


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: tuple[tuple[float, ...], ...]
    outcome: CallOutcome


@dataclass(frozen=True)
class TextDelta:
    """A piece of streamed text."""

    text: str


@dataclass(frozen=True)
class StreamEnd:
    """The last event of a stream: the whole answer and its accounting."""

    result: ChatResult


StreamEvent = TextDelta | StreamEnd


def check_request(request: ChatRequest) -> None:
    if not request.messages:
        raise ValidationFailed("a chat request needs at least one message")
    names = [tool.name for tool in request.tools]
    for name in names:
        if not TOOL_NAME_RE.match(name):
            raise ValidationFailed(
                f"invalid tool name {name!r}: use 1-64 letters, digits, '_' and '-'"
            )
    if len(set(names)) != len(names):
        raise ValidationFailed("tool names must be unique")
    choice = request.tool_choice
    if choice is not None:
        if choice.mode not in ("auto", "none", "required", "tool"):
            raise ValidationFailed(f"unknown tool_choice {choice.mode!r}")
        if choice.mode == "tool" and choice.name not in names:
            raise ValidationFailed(f"tool_choice names {choice.name!r}, which is not a tool")
        if choice.mode in ("required", "tool") and not names:
            raise ValidationFailed("tool_choice needs tools")


def parse_tool_call(call_id: str, name: str, raw_arguments: str) -> ToolCall:
    """A normalized tool call; arguments that are not a JSON object are reported, not raised."""
    try:
        value = json.loads(raw_arguments) if raw_arguments.strip() else {}
    except json.JSONDecodeError as exc:
        return ToolCall(
            call_id, name, {}, raw_arguments, f"arguments are not valid JSON: {exc.msg}"
        )
    if not isinstance(value, dict):
        return ToolCall(call_id, name, {}, raw_arguments, "arguments are not a JSON object")
    return ToolCall(call_id, name, value, raw_arguments)
