"""Vendor errors translated at the boundary into the gateway's verdict (ProviderCallFailed).

Timeouts, connection errors, 5xx, 429 and unreadable answers are transient (the gateway fails
over); any other 4xx is the request's fault. Messages are cut short and scrubbed of the API key.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anthropic
import openai

from flowwright.agents.application.ports import ProviderCallFailed
from flowwright.agents.domain.usage import Outcome

MAX_RETRY_AFTER_SECONDS = 3600.0
_KEY_LIKE = re.compile(r"\b(sk|sk-ant|sk-proj|key)[-_][A-Za-z0-9_\-*.]{6,}")

_TIMEOUTS = (openai.APITimeoutError, anthropic.APITimeoutError, TimeoutError)
_CONNECTION = (openai.APIConnectionError, anthropic.APIConnectionError)
_STATUS = (openai.APIStatusError, anthropic.APIStatusError)
_UNREADABLE = (
    json.JSONDecodeError,
    openai.APIResponseValidationError,
    anthropic.APIResponseValidationError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


def translate(exc: BaseException, *, api_key: str | None) -> ProviderCallFailed | None:
    """The verdict on ``exc``, or None when it is not a provider failure (then re-raise it)."""
    if isinstance(exc, ProviderCallFailed):
        return exc
    if isinstance(exc, _TIMEOUTS):
        return ProviderCallFailed(Outcome.TIMEOUT, "no answer within the timeout")
    if isinstance(exc, _CONNECTION):
        return ProviderCallFailed(Outcome.ERROR, f"connection failed: {_clean(exc, api_key)}")
    if isinstance(exc, _STATUS):
        status = exc.status_code
        message = _clean(exc, api_key)
        if status == 429:
            return ProviderCallFailed(
                Outcome.RATE_LIMITED,
                f"rate limited: {message}",
                status=status,
                retry_after_seconds=retry_after(exc.response.headers),
            )
        if status >= 500:
            return ProviderCallFailed(Outcome.ERROR, f"server error: {message}", status=status)
        return ProviderCallFailed(Outcome.REJECTED, message, status=status)
    if isinstance(exc, _UNREADABLE):
        return ProviderCallFailed(
            Outcome.ERROR, f"unreadable answer ({type(exc).__name__}: {_clean(exc, api_key)})"
        )
    return None


def retry_after(headers: object, *, now: datetime | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            return _bounded(float(millis) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return _bounded(float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _bounded((moment - (now or datetime.now(UTC))).total_seconds())


def _bounded(seconds: float) -> float | None:
    if seconds != seconds or seconds <= 0:  # NaN or already passed
        return None
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def _clean(exc: BaseException, api_key: str | None) -> str:
    text = str(getattr(exc, "message", None) or exc)
    if api_key:
        text = text.replace(api_key, "[redacted]")
    text = _KEY_LIKE.sub("[redacted]", text)
    return text[:300]
