"""Boundaries: vendor errors become failover verdicts; base URLs are SSRF-checked."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import openai
import pytest

from flowwright.agents.adapters.address_guard import AddressGuard, refusal
from flowwright.agents.adapters.provider_errors import retry_after, translate
from flowwright.agents.domain.usage import Outcome
from flowwright.kernel.errors import ValidationFailed


def _status_error(status: int, headers: dict[str, str], message: str) -> openai.APIStatusError:
    request = httpx2.Request("POST", "https://api.example/v1/chat/completions")
    response = httpx2.Response(status, headers=headers, request=request)
    return openai.APIStatusError(message, response=response, body=None)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (429, Outcome.RATE_LIMITED),
        (500, Outcome.ERROR),
        (529, Outcome.ERROR),
        (400, Outcome.REJECTED),
        (401, Outcome.REJECTED),
        (404, Outcome.REJECTED),
    ],
)
def test_status_codes_decide_between_failover_and_rejection(status: int, outcome: Outcome) -> None:
    verdict = translate(_status_error(status, {}, "nope"), api_key=None)
    assert verdict is not None and verdict.outcome is outcome


def test_api_keys_are_scrubbed_from_messages() -> None:
    error = _status_error(401, {}, "Incorrect API key provided: sk-proj-abcdef123456 (k=xyz42)")
    verdict = translate(error, api_key="xyz42")
    assert verdict is not None
    assert "abcdef123456" not in verdict.message and "xyz42" not in verdict.message


def test_unrelated_exceptions_are_not_swallowed() -> None:
    assert translate(RuntimeError("bug"), api_key=None) is None


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:30 GMT"}, 30.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-4"}, None),
        ({"retry-after": "999999"}, 3600.0),
        ({}, None),
    ],
)
def test_retry_after_reads_seconds_milliseconds_and_dates(
    headers: dict[str, str], seconds: float | None
) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after(httpx2.Headers(headers), now=now) == seconds


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104  (an address to refuse, not to bind)
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:169.254.169.254",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert refusal(address) is not None


def test_public_addresses_pass() -> None:
    assert refusal("8.8.8.8") is None
    assert refusal("2606:4700:4700::1111") is None


async def test_names_are_resolved_and_checked() -> None:
    answers = {"rebind.example": ["93.184.216.34", "10.0.0.1"], "ok.example": ["93.184.216.34"]}
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[host]

    guard = AddressGuard(resolver=resolver)
    with pytest.raises(ValidationFailed, match="private"):
        await guard.check("https://rebind.example/v1")
    await guard.check("https://ok.example/v1")
    await guard.check("https://ok.example/v1")
    assert calls.count("ok.example") == 1  # a passing result is cached briefly


async def test_the_operator_may_allow_named_internal_hosts() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.5"]

    guard = AddressGuard(["ollama.internal", "10.0.0.5:8000", "[::1]"], resolver=resolver)
    await guard.check("http://ollama.internal:11434/v1")
    await guard.check("http://10.0.0.5:8000/v1")
    await guard.check("http://[::1]:9000/v1")
    with pytest.raises(ValidationFailed):
        await guard.check("http://10.0.0.5:9999/v1")  # that port was not allowed
