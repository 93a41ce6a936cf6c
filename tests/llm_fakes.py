"""Local LLM servers for tests: the real OpenAI and Anthropic wire formats over real HTTP.

One :class:`FakeLLMServer` is one provider endpoint. It serves

* ``POST /v1/chat/completions`` (OpenAI chat completions, JSON or SSE chunks with usage),
* ``POST /v1/embeddings`` (OpenAI embeddings, float or base64),
* ``POST /v1/messages`` (Anthropic messages, JSON or the SSE event stream).

Answers are scripted: each request takes the next :class:`Reply` from the queue (or the default
reply when the queue is empty). A reply may be text, tool calls, an HTTP fault (500, 429 with
``Retry-After``), a slow answer, or a malformed body. Every request is recorded, so tests can count
how often the model was contacted and read what the SDK sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from testkit import free_port


@dataclass(frozen=True)
class ToolCallReply:
    name: str
    arguments: dict[str, Any] | str  # a str is sent as is (it may be malformed JSON)
    id: str = ""


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: tuple[ToolCallReply, ...] = ()
    input_tokens: int = 10
    output_tokens: int = 5
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: str | None = None  # sent verbatim with status 200 (e.g. malformed JSON)
    finish: str | None = None  # override the finish/stop reason


def text(value: str, *, input_tokens: int = 10, output_tokens: int = 5) -> Reply:
    return Reply(text=value, input_tokens=input_tokens, output_tokens=output_tokens)


def json_text(value: Any, **kwargs: int) -> Reply:
    return text(json.dumps(value), **kwargs)


def tool_call(name: str, arguments: dict[str, Any] | str, *, call_id: str = "") -> Reply:
    return Reply(tool_calls=(ToolCallReply(name, arguments, call_id),))


def fault(status: int, **headers: str) -> Reply:
    return Reply(status=status, headers=dict(headers))


def rate_limited(retry_after: float) -> Reply:
    return Reply(status=429, headers={"retry-after": f"{retry_after:g}"})


def slow(seconds: float, then: Reply | None = None) -> Reply:
    base = then or text("too late")
    return Reply(**{**base.__dict__, "delay": seconds})


def malformed() -> Reply:
    return Reply(raw_body='{"id": "broken", "choices": [')


@dataclass(frozen=True)
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


class FakeLLMServer:
    """A local provider endpoint on 127.0.0.1 (uvicorn in a background thread)."""

    def __init__(
        self, *, default: Reply | None = None, embedding_size: int = 4, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.default = default or text("ok")
        self.embedding_size = embedding_size
        self.script: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"http://{self.host}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> FakeLLMServer:
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-llm", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting and inspection --------------------------------------------------------------

    def push(self, *replies: Reply) -> FakeLLMServer:
        with self._lock:
            self.script.extend(replies)
        return self

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.requests.clear()

    def count(self, path_suffix: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path.endswith(path_suffix))

    def bodies(self, path_suffix: str = "") -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith(path_suffix)]

    def _next(self, request: Request, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(
                Recorded(request.url.path, body, dict(request.headers), time.monotonic())
            )
            return self.script.popleft() if self.script else self.default

    async def _take(self, request: Request) -> tuple[dict[str, Any], Reply]:
        body = json.loads(await request.body() or b"{}")
        reply = self._next(request, body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return body, reply

    # --- OpenAI --------------------------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        body, reply = await self._take(request)
        failure = _failure(reply, openai=True)
        if failure is not None:
            return failure
        model = str(body.get("model", "model"))
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _sse(_openai_chunks(reply, model, include_usage))
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_{i}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": _arguments(call)},
                }
                for i, call in enumerate(reply.tool_calls)
            ]
        finish = reply.finish or ("tool_calls" if reply.tool_calls else "stop")
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": _openai_usage(reply),
            }
        )

    async def _embeddings(self, request: Request) -> Response:
        body, reply = await self._take(request)
        failure = _failure(reply, openai=True)
        if failure is not None:
            return failure
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data = []
        for index, item in enumerate(items):
            vector = [float(len(str(item)) + index)] + [0.5] * (self.embedding_size - 1)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": reply.input_tokens, "total_tokens": reply.input_tokens},
            }
        )

    # --- Anthropic -----------------------------------------------------------------------------

    async def _messages(self, request: Request) -> Response:
        body, reply = await self._take(request)
        failure = _failure(reply, openai=False)
        if failure is not None:
            return failure
        model = str(body.get("model", "model"))
        if body.get("stream"):
            return _sse(_anthropic_events(reply, model), named=True)
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        for i, call in enumerate(reply.tool_calls):
            arguments = call.arguments if isinstance(call.arguments, dict) else {}
            content.append(
                {
                    "type": "tool_use",
                    "id": call.id or f"toolu_{i}",
                    "name": call.name,
                    "input": arguments,
                }
            )
        stop = reply.finish or ("tool_use" if reply.tool_calls else "end_turn")
        return JSONResponse(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
            }
        )


def _arguments(call: ToolCallReply) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _openai_usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _failure(reply: Reply, *, openai: bool) -> Response | None:
    if reply.raw_body is not None:
        return Response(reply.raw_body, media_type="application/json")
    if reply.status < 400:
        return None
    message = f"scripted failure {reply.status}"
    if openai:
        body: dict[str, Any] = {
            "error": {"message": message, "type": "server_error", "code": str(reply.status)}
        }
    else:
        kind = "rate_limit_error" if reply.status == 429 else "api_error"
        body = {"type": "error", "error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=reply.status, headers=reply.headers)


def _sse(events: Iterator[tuple[str, dict[str, Any] | str]], *, named: bool = False) -> Response:
    async def generate() -> AsyncIterator[bytes]:
        for name, data in events:
            payload = data if isinstance(data, str) else json.dumps(data)
            prefix = f"event: {name}\n" if named else ""
            yield f"{prefix}data: {payload}\n\n".encode()
            await asyncio.sleep(0)

    return StreamingResponse(generate(), media_type="text/event-stream")


def _pieces(value: str, size: int = 4) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)]


def _openai_chunks(
    reply: Reply, model: str, include_usage: bool
) -> Iterator[tuple[str, dict[str, Any] | str]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield "", chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply.text):
        yield "", chunk({"content": piece})
    for i, call in enumerate(reply.tool_calls):
        head = {
            "index": i,
            "id": call.id or f"call_{i}",
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield "", chunk({"tool_calls": [head]})
        for piece in _pieces(_arguments(call), 8):
            yield "", chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    finish = reply.finish or ("tool_calls" if reply.tool_calls else "stop")
    yield "", chunk({}, finish)
    if include_usage:
        yield (
            "",
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": _openai_usage(reply),
            },
        )
    yield "", "[DONE]"


def _anthropic_events(reply: Reply, model: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
            },
        },
    )
    index = 0
    if reply.text:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield "ping", {"type": "ping"}
        for piece in _pieces(reply.text):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    for i, call in enumerate(reply.tool_calls):
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": call.id or f"toolu_{i}",
                    "name": call.name,
                    "input": {},
                },
            },
        )
        for piece in _pieces(_arguments(call), 8):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    stop = reply.finish or ("tool_use" if reply.tool_calls else "end_turn")
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        },
    )
    yield "message_stop", {"type": "message_stop"}
