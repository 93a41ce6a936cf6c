"""One tool format for every provider: requests built for each wire format, and tool calls
normalized (id, name, parsed arguments) from each."""

from __future__ import annotations

from typing import Any

from anthropic.types import Message, RawMessageStreamEvent
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from flowwright.agents.adapters import anthropic_wire, openai_wire
from flowwright.agents.application.ports import ModelCall
from flowwright.agents.domain.messages import (
    ChatMessage,
    MessageRole,
    ToolCall,
    ToolChoice,
    ToolSpec,
    parse_tool_call,
)

TOOL = ToolSpec(
    "get_weather",
    "Weather in a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
HISTORY = (
    ChatMessage(MessageRole.SYSTEM, "Be brief."),
    ChatMessage(MessageRole.USER, "Weather in Paris and Rome?"),
    ChatMessage(
        MessageRole.ASSISTANT,
        "",
        tool_calls=(
            ToolCall("c1", "get_weather", {"city": "Paris"}),
            ToolCall("c2", "get_weather", {"city": "Rome"}),
        ),
    ),
    ChatMessage(MessageRole.TOOL, "sunny", tool_call_id="c1"),
    ChatMessage(MessageRole.TOOL, "rain", tool_call_id="c2"),
)


def _call(**fields: Any) -> ModelCall:
    return ModelCall(model="m", messages=HISTORY, **fields)


def test_openai_requests_carry_function_tools_and_tool_messages() -> None:
    kwargs = openai_wire.request(
        _call(tools=(TOOL,), tool_choice=ToolChoice("tool", "get_weather")), official=True
    )
    assert kwargs["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": TOOL.parameters,
            },
        }
    ]
    assert kwargs["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assistant, first_result = kwargs["messages"][2], kwargs["messages"][3]
    assert assistant["tool_calls"][1]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Rome"}',
    }
    assert first_result == {"role": "tool", "tool_call_id": "c1", "content": "sunny"}


def test_openai_max_tokens_depends_on_the_server() -> None:
    call = _call(params={"max_tokens": 50, "top_k": 5})
    official = openai_wire.request(call, official=True)
    compatible = openai_wire.request(call, official=False)
    assert official["max_completion_tokens"] == 50 and "max_tokens" not in official
    assert compatible["max_tokens"] == 50
    assert compatible["extra_body"] == {"top_k": 5}


def test_openai_structured_output_asks_for_the_json_schema() -> None:
    schema = {"type": "object"}
    kwargs = openai_wire.request(_call(output_schema=schema), official=False)
    assert kwargs["response_format"]["json_schema"]["schema"] == schema


def test_openai_tool_calls_are_normalized() -> None:
    response = ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_9",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }
    )
    reply = openai_wire.reply(response)
    assert reply.tool_calls == (
        ToolCall("call_9", "get_weather", {"city": "Oslo"}, '{"city":"Oslo"}'),
    )
    assert (reply.finish_reason, reply.usage.input_tokens, reply.usage.output_tokens) == (
        "tool_calls",
        7,
        3,
    )


def test_openai_streamed_tool_call_arguments_are_assembled() -> None:
    accumulator = openai_wire.StreamAccumulator()
    base = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    deltas: list[dict[str, Any]] = [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "c",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"ci'},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": 'ty":"Lima"}'}}]},
    ]
    for delta in deltas:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        assert accumulator.feed(ChatCompletionChunk.model_validate(chunk)) == ""
    end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    accumulator.feed(ChatCompletionChunk.model_validate(end))
    reply = accumulator.reply()
    assert reply.tool_calls[0].arguments == {"city": "Lima"}
    assert reply.finish_reason == "tool_calls"


def test_anthropic_requests_move_system_out_and_group_tool_results() -> None:
    kwargs = anthropic_wire.request(_call(tools=(TOOL,), tool_choice=ToolChoice("required")))
    assert kwargs["system"] == "Be brief."
    assert kwargs["tools"] == [
        {"name": "get_weather", "description": "Weather in a city", "input_schema": TOOL.parameters}
    ]
    assert kwargs["tool_choice"] == {"type": "any"}
    assert kwargs["max_tokens"] == anthropic_wire.DEFAULT_MAX_TOKENS
    roles = [m["role"] for m in kwargs["messages"]]
    assert roles == ["user", "assistant", "user"]  # both results share one user turn
    assert [b["tool_use_id"] for b in kwargs["messages"][2]["content"]] == ["c1", "c2"]
    assert kwargs["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "c1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }


def test_anthropic_structured_output_forces_a_tool_and_unwraps_non_object_schemas() -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    call = _call(output_schema=schema)
    kwargs = anthropic_wire.request(call)
    assert kwargs["tool_choice"] == {"type": "tool", "name": "structured_output"}
    assert kwargs["tools"][0]["input_schema"]["properties"]["value"] == schema
    message = Message.model_validate(
        {
            "id": "msg",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [
                {
                    "type": "tool_use",
                    "id": "t",
                    "name": "structured_output",
                    "input": {"value": ["a", "b"]},
                }
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 4, "output_tokens": 2},
        }
    )
    reply = anthropic_wire.reply(message, call)
    assert reply.content == '["a", "b"]' and reply.tool_calls == ()


def test_anthropic_tool_use_blocks_are_normalized() -> None:
    message = Message.model_validate(
        {
            "id": "msg",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 2},
        }
    )
    reply = anthropic_wire.reply(message, _call())
    assert reply.content == "Checking."
    assert reply.tool_calls[0].id == "toolu_1"
    assert reply.tool_calls[0].arguments == {"city": "Oslo"}
    assert (reply.finish_reason, reply.usage.input_tokens) == ("tool_calls", 9)


def test_anthropic_stream_events_assemble_text_tools_and_usage() -> None:
    adapter: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "m",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 11, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "t", "name": "get_weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Rio"}'},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
    ]
    accumulator = anthropic_wire.StreamAccumulator()
    pieces = [accumulator.feed(adapter.validate_python(e)) for e in events]
    reply = accumulator.reply()
    assert [p for p in pieces if p] == ["Hi"]
    assert reply.tool_calls[0].arguments == {"city": "Rio"}
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (11, 9)


def test_malformed_or_non_object_arguments_are_reported_on_the_call() -> None:
    broken = parse_tool_call("c", "f", '{"a": ')
    assert broken.arguments == {} and broken.error is not None
    listed = parse_tool_call("c", "f", "[1, 2]")
    assert listed.error == "arguments are not a JSON object"
    assert parse_tool_call("c", "f", "").arguments == {}
