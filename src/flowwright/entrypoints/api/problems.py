"""RFC 9457 problem details: the one place where errors become HTTP statuses.

Every error response has ``Content-Type: application/problem+json`` and a stable ``type`` URI
ending in the error's code, so clients can branch on it without parsing messages.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from flowwright.kernel.adapters.database import connection_lost
from flowwright.kernel.errors import (
    AlreadyExists,
    AuthenticationFailed,
    ConcurrencyConflict,
    FlowwrightError,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ValidationFailed,
)

PROBLEM_BASE = "https://flowwright.dev/problems/"
PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger(__name__)

_STATUS: list[tuple[type[FlowwrightError], int]] = [
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (AlreadyExists, 409),
    (ConcurrencyConflict, 409),
    (QuotaExceeded, 429),
    (ValidationFailed, 422),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}

_TITLES = {
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": _TITLES.get(status, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="flowwright"')
    return JSONResponse(body, status_code=status, headers=all_headers, media_type=PROBLEM_JSON)


def status_of(error: FlowwrightError) -> int:
    for error_type, status in _STATUS:
        if isinstance(error, error_type):
            return status
    return 503 if error.retryable else 400


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(FlowwrightError)
    async def _domain(request: Request, exc: FlowwrightError) -> JSONResponse:
        status = status_of(exc)
        headers = {}
        # QuotaExceeded and other errors that know when to come back (e.g. every model
        # provider is rate limited) say so in Retry-After.
        retry_after = getattr(exc, "retry_after_seconds", None)
        if isinstance(retry_after, int | float):
            headers["Retry-After"] = str(max(1, round(retry_after)))
        return problem(
            status,
            exc.code,
            exc.message,
            request=request,
            headers=headers,
            details=exc.details or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": [str(part) for part in error.get("loc", ())],
                "message": error.get("msg", ""),
                "type": error.get("type", ""),
            }
            for error in exc.errors()
        ]
        first = errors[0] if errors else None
        detail = (
            f"{'.'.join(first['location'])}: {first['message']}" if first else "invalid request"
        )
        return problem(422, "validation_failed", detail, request=request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(
            exc.status_code, code, detail, request=request, headers=dict(exc.headers or {})
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if not connection_lost(exc):
            return await _unexpected(request, exc)
        # Lost after the transaction's first statement (a lost first statement is done over on
        # a new connection): unless in the commit itself, nothing of it was kept, so the request
        # may be sent again (a start with its idempotency key).
        log.warning("database connection lost mid-request", path=request.url.path)
        return problem(
            503,
            "database_unavailable",
            "the connection to the database was lost during the request; try again",
            request=request,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem(
            500, "internal", "an internal error occurred; see the server log", request=request
        )
