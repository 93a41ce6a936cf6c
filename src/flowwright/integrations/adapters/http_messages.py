"""Request parts of outbound HTTP: method, headers, body, and how a redirect changes them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from flowwright.kernel.errors import ValidationFailed

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_METHOD = re.compile(r"[A-Z]{1,20}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
# Set by the client from the URL and the body; a step may not choose them.
_MANAGED = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

Headers = dict[str, str]  # lowercase names


def request_method(method: str) -> str:
    verb = method.strip().upper()
    if not _METHOD.fullmatch(verb):
        raise ValidationFailed(f"{method!r} is not an HTTP method")
    return verb


def request_headers(
    headers: Mapping[str, str] | None, *, content_type: str | None, idempotency_key: str | None
) -> Headers:
    result: Headers = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValidationFailed(f"{name!r} is not a valid header name")
        _check_value(name, value)
        if name.lower() not in _MANAGED:
            result[name.lower()] = value
    if content_type is not None:
        result.setdefault("content-type", content_type)
    if idempotency_key is not None:
        _check_value("Idempotency-Key", idempotency_key)
        result["idempotency-key"] = idempotency_key
    return result


def _check_value(name: str, value: str) -> None:
    if any(char in value for char in "\r\n\x00"):
        raise ValidationFailed(f"the value of header {name!r} contains a line break")


def request_body(json_body: Any, content: bytes | str | None) -> tuple[bytes | None, str | None]:
    """The body bytes and, for JSON, its content type."""
    if json_body is not None and content is not None:
        raise ValidationFailed("give either json_body or content, not both")
    if json_body is not None:
        try:
            text = json.dumps(json_body, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(f"the JSON body cannot be encoded: {exc}") from exc
        return text.encode(), "application/json"
    if isinstance(content, str):
        return content.encode(), None
    return content, None


def redirected(
    status: int, method: str, body: bytes | None, headers: Headers, *, cross_origin: bool
) -> tuple[str, bytes | None, Headers]:
    """Method, body and headers of the request a redirect asks for.

    303 turns anything but HEAD into GET; 301 and 302 turn POST into GET (what browsers do);
    307 and 308 repeat the request as it was. Credentials never follow to another origin.
    """
    dropped: set[str] = set()
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        dropped |= _BODY_HEADERS
    if cross_origin:
        dropped |= _CREDENTIAL_HEADERS
    return method, body, {name: value for name, value in headers.items() if name not in dropped}
