"""The OpenAI chat-completions wire format, both ways (used for every OpenAI-compatible server).

Pure functions: requests become the SDK's keyword arguments; the SDK's response objects become
the gateway's normalized reply (tool calls with parsed arguments).
"""

from __future__ import annotations

import json
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from flowwright.agents.application.ports import ModelCall, ModelReply
from flowwright.agents.domain.messages import (
    ChatMessage,
    MessageRole,
    TokenUsage,
    ToolChoice,
    ToolSpec,
    parse_tool_call,
)

_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
# Accepted by vLLM and other compatible servers, but not part of OpenAI's schema.
_EXTRA_BODY_PARAMS = frozenset({"top_k"})


def request(call: ModelCall, *, official: bool, stream: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``chat.completions.create``."""
    kwargs: dict[str, Any] = {
        "model": call.model,
        "messages": [message(m) for m in call.messages],
    }
    extra: dict[str, Any] = {}
    for name, value in call.params.items():
        if name == "max_tokens" and official:
            # OpenAI's own API wants max_completion_tokens (its reasoning models refuse
            # max_tokens); compatible servers (vLLM, Ollama, llama.cpp) read max_tokens.
            kwargs["max_completion_tokens"] = value
        elif name in _EXTRA_BODY_PARAMS:
            extra[name] = value
        else:
            kwargs[name] = value
    if extra:
        kwargs["extra_body"] = extra
    if call.tools:
        kwargs["tools"] = [tool(t) for t in call.tools]
    if call.tool_choice is not None:
        kwargs["tool_choice"] = tool_choice(call.tool_choice)
    if call.output_schema is not None:
        kwargs["response_format"] = {
            "type": "json_schema",
            # strict mode would reject schemas that leave properties optional; the gateway
            # validates every answer against the schema itself.
            "json_schema": {"name": "output", "schema": call.output_schema, "strict": False},
        }
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


def message(m: ChatMessage) -> dict[str, Any]:
    if m.role is MessageRole.TOOL:
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content}
    if m.role is MessageRole.ASSISTANT and m.tool_calls:
        return {
            "role": "assistant",
            "content": m.content or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.raw_arguments or json.dumps(call.arguments),
                    },
                }
                for call in m.tool_calls
            ],
        }
    return {"role": m.role.value, "content": m.content}


def tool(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    }


def tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def reply(response: ChatCompletion) -> ModelReply:
    if not response.choices:
        raise ValueError("the answer has no choices")
    choice = response.choices[0]
    calls = []
    for call in choice.message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is not None:  # custom (non-function) tool calls are not used here
            calls.append(parse_tool_call(call.id, function.name, function.arguments or ""))
    usage = response.usage
    return ModelReply(
        content=choice.message.content or "",
        tool_calls=tuple(calls),
        finish_reason=_FINISH.get(choice.finish_reason or "", "other"),
        usage=TokenUsage(
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        ),
    )


class StreamAccumulator:
    """Builds the whole reply from stream chunks; ``feed`` returns the text piece of a chunk."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, dict[str, str]] = {}
        self._finish = ""
        self._usage = TokenUsage()

    def feed(self, chunk: ChatCompletionChunk) -> str:
        if chunk.usage is not None:
            self._usage = TokenUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        piece = ""
        for choice in chunk.choices[:1]:
            delta = choice.delta
            if delta.content:
                piece = delta.content
                self._text.append(piece)
            for call in delta.tool_calls or []:
                slot = self._calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                if call.id:
                    slot["id"] = call.id
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
            if choice.finish_reason:
                self._finish = choice.finish_reason
        return piece

    def reply(self) -> ModelReply:
        calls = tuple(
            parse_tool_call(slot["id"], slot["name"], slot["arguments"])
            for _, slot in sorted(self._calls.items())
        )
        return ModelReply(
            content="".join(self._text),
            tool_calls=calls,
            finish_reason=_FINISH.get(self._finish, "other"),
            usage=self._usage,
        )
