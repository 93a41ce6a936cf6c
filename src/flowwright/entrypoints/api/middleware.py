"""ASGI middleware: request ids, body size limit, access logs.

Written as plain ASGI (not BaseHTTPMiddleware) so streaming responses such as SSE pass through
untouched and the body limit applies while the body is read, not after.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowwright.entrypoints.api.problems import PROBLEM_BASE, PROBLEM_JSON
from flowwright.kernel.ids import new_id

log = structlog.get_logger("flowwright.http")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; FastAPI lets HTTPExceptions through its body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        offered = headers.get("x-request-id", "")
        request_id = offered if _REQUEST_ID_RE.match(offered) else new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, int] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(scope, send_with_id, request_id)
            self._log(scope, status_holder, started, request_id)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, limited_receive, send_with_id)
            except BodyTooLarge:
                if "status" not in status_holder:
                    await self._too_large(scope, send_with_id, request_id)
            finally:
                self._log(scope, status_holder, started, request_id)

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + "payload_too_large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"request body exceeds {self.max_body_bytes} bytes",
            "code": "payload_too_large",
            "instance": scope.get("path", ""),
            "request_id": request_id,
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    def _log(scope: Scope, status_holder: dict[str, int], started: float, request_id: str) -> None:
        log.info(
            "request",
            method=scope.get("method"),
            path=scope.get("path"),
            status=status_holder.get("status", 0),
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            request_id=request_id,
        )
