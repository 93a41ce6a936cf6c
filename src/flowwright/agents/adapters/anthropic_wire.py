"""The Anthropic messages wire format, both ways.

System messages become the ``system`` parameter; tool results become ``tool_result`` blocks in a
user message; structured output is a forced call of one tool whose input schema is the output
schema (Anthropic's documented way to get schema-shaped JSON).
"""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import Message, RawMessageStreamEvent

from flowwright.agents.application.ports import ModelCall, ModelReply
from flowwright.agents.domain.messages import (
    ChatMessage,
    MessageRole,
    TokenUsage,
    ToolCall,
    ToolChoice,
    ToolSpec,
    parse_tool_call,
)

DEFAULT_MAX_TOKENS = 4096
OUTPUT_TOOL = "structured_output"
_WRAPPED = "value"  # Anthropic tool inputs are objects: other schemas are wrapped in one
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# Parameters of the shared set that Anthropic's API has no use for; they are left out.
_UNSUPPORTED = frozenset({"seed", "presence_penalty", "frequency_penalty"})


def request(call: ModelCall, *, stream: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``messages.create``."""
    system = "\n\n".join(m.content for m in call.messages if m.role is MessageRole.SYSTEM)
    kwargs: dict[str, Any] = {
        "model": call.model,
        "messages": messages(call.messages),
        "max_tokens": DEFAULT_MAX_TOKENS,
    }
    if system:
        kwargs["system"] = system
    for name, value in call.params.items():
        if name == "stop":
            kwargs["stop_sequences"] = [value] if isinstance(value, str) else list(value)
        elif name not in _UNSUPPORTED:
            kwargs[name] = value
    if call.output_schema is not None:
        kwargs["tools"] = [
            {
                "name": OUTPUT_TOOL,
                "description": "Record the answer, shaped by this tool's input schema.",
                "input_schema": _object_schema(call.output_schema),
            }
        ]
        kwargs["tool_choice"] = {"type": "tool", "name": OUTPUT_TOOL}
    else:
        if call.tools:
            kwargs["tools"] = [tool(t) for t in call.tools]
        if call.tool_choice is not None:
            kwargs["tool_choice"] = tool_choice(call.tool_choice)
    if stream:
        kwargs["stream"] = True
    return kwargs


def messages(history: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in history:
        if m.role is MessageRole.SYSTEM:
            continue
        if m.role is MessageRole.TOOL:
            block = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id or "",
                "content": m.content,
            }
            previous = out[-1] if out else None
            if (
                previous is not None
                and previous["role"] == "user"
                and isinstance(previous["content"], list)
            ):
                previous["content"].append(block)  # consecutive results share one user turn
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role is MessageRole.ASSISTANT and m.tool_calls:
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": m.content}] if m.content else []
            )
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                for c in m.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m.role.value, "content": m.content})
    return out


def tool(spec: ToolSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}


def tool_choice(choice: ToolChoice) -> dict[str, Any]:
    if choice.mode == "tool":
        return {"type": "tool", "name": choice.name}
    if choice.mode == "required":
        return {"type": "any"}
    return {"type": choice.mode}  # auto | none


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {_WRAPPED: schema}, "required": [_WRAPPED]}


def _structured_content(call: ModelCall, value: dict[str, Any]) -> str:
    """The forced tool's input as the answer's JSON text (unwrapped if it was wrapped)."""
    assert call.output_schema is not None
    if call.output_schema.get("type") != "object" and _WRAPPED in value:
        return json.dumps(value[_WRAPPED])
    return json.dumps(value)


def reply(response: Message, call: ModelCall) -> ModelReply:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in response.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            arguments = block.input if isinstance(block.input, dict) else {}
            calls.append(ToolCall(block.id, block.name, arguments, json.dumps(arguments)))
    finish = _FINISH.get(response.stop_reason or "", "other")
    if call.output_schema is not None:
        forced = next((c for c in calls if c.name == OUTPUT_TOOL), None)
        content = _structured_content(call, forced.arguments) if forced else "".join(texts)
        return ModelReply(content, (), "stop", _usage(response))
    return ModelReply("".join(texts), tuple(calls), finish, _usage(response))


def _usage(response: Message) -> TokenUsage:
    usage = response.usage
    cached = (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    return TokenUsage(usage.input_tokens + cached, usage.output_tokens)


class StreamAccumulator:
    """Builds the whole reply from stream events; ``feed`` returns the text piece of an event."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, dict[str, str]] = {}
        self._finish = ""
        self._input_tokens = 0
        self._output_tokens = 0

    def feed(self, event: RawMessageStreamEvent) -> str:
        if event.type == "message_start":
            usage = event.message.usage
            self._input_tokens = (
                usage.input_tokens
                + (usage.cache_creation_input_tokens or 0)
                + (usage.cache_read_input_tokens or 0)
            )
            self._output_tokens = usage.output_tokens
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self._calls[event.index] = {"id": block.id, "name": block.name, "arguments": ""}
        elif event.type == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                self._text.append(delta.text)
                return delta.text
            if delta.type == "input_json_delta" and event.index in self._calls:
                self._calls[event.index]["arguments"] += delta.partial_json
        elif event.type == "message_delta":
            self._finish = event.delta.stop_reason or self._finish
            self._output_tokens = event.usage.output_tokens
        return ""

    def reply(self) -> ModelReply:
        calls = tuple(
            parse_tool_call(slot["id"], slot["name"], slot["arguments"])
            for _, slot in sorted(self._calls.items())
        )
        return ModelReply(
            content="".join(self._text),
            tool_calls=calls,
            finish_reason=_FINISH.get(self._finish, "other"),
            usage=TokenUsage(self._input_tokens, self._output_tokens),
        )
