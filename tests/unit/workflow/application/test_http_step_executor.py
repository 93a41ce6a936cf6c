"""The http step executor over a fake outbound client: the request it sends, what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from flowwright.workflow.application.http_step import HttpStepExecutor
from flowwright.workflow.application.ports import StepCall
from flowwright.workflow.domain.runs.outcome import Failed, Succeeded


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Sent:
    method: str
    url: str
    headers: Mapping[str, str] | None
    params: Mapping[str, Any] | None
    json_body: Any
    timeout: float | None
    idempotency_key: str | None


@dataclass
class FakeHttp:
    """Satisfies ``OutboundHttp``: records each request and answers with ``reply``."""

    reply: Reply
    sent: list[Sent] = field(default_factory=list)

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        timeout: float | None = None,  # noqa: ASYNC109  (recorded, as the port forwards it)
        idempotency_key: str | None = None,
    ) -> Reply:
        self.sent.append(Sent(method, url, headers, params, json_body, timeout, idempotency_key))
        return self.reply


JSON = {"content-type": "application/json"}


def call(timeout_ms: int | None = 5_000, **config: Any) -> StepCall:
    return StepCall(
        tenant_id="acme",
        run_id="run-1",
        workflow="flow",
        step_key="notify",
        step_id="notify",
        step_type="http",
        attempt=2,
        idempotency_key="run-1/notify",
        config={"url": "https://api.example.com/items", **config},
        timeout_ms=timeout_ms,
    )


async def test_the_request_carries_the_rendered_config_and_the_idempotency_key() -> None:
    http = FakeHttp(Reply(201, JSON, b'{"id": 7}'))

    outcome = await HttpStepExecutor(http).execute(
        call(
            method="POST",
            headers={"X-Count": 3, "Authorization": "Bearer t"},
            query={"page": 2, "full": True},
            body={"name": "ann"},
        )
    )

    (sent,) = http.sent
    assert (sent.method, sent.url) == ("POST", "https://api.example.com/items")
    assert sent.headers == {"X-Count": "3", "Authorization": "Bearer t"}
    assert sent.params == {"page": "2", "full": "true"}  # query values travel as text
    assert sent.json_body == {"name": "ann"}
    assert (sent.timeout, sent.idempotency_key) == (5.0, "run-1/notify")
    assert outcome == Succeeded({"status": 201, "headers": JSON, "body": {"id": 7}})


async def test_defaults_are_get_no_headers_no_query_and_no_timeout() -> None:
    http = FakeHttp(Reply(200))

    outcome = await HttpStepExecutor(http).execute(call(timeout_ms=None))

    (sent,) = http.sent
    assert (sent.method, sent.headers, sent.params, sent.json_body, sent.timeout) == (
        "GET",
        {},
        {},
        None,
        None,
    )
    assert outcome == Succeeded({"status": 200, "headers": {}, "body": None})


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (404, False), (409, False), (429, True), (500, True), (503, True)],
)
async def test_an_unexpected_status_fails_with_its_code(status: int, retryable: bool) -> None:
    http = FakeHttp(Reply(status, JSON, b'{"error": "nope"}'))

    outcome = await HttpStepExecutor(http).execute(call(method="DELETE"))

    assert isinstance(outcome, Failed)
    assert outcome.code == f"HTTP_{status}"
    assert outcome.retryable is retryable
    assert outcome.message == f"DELETE https://api.example.com/items answered {status}"
    assert outcome.details == {
        "response": {"status": status, "headers": JSON, "body": {"error": "nope"}}
    }


@pytest.mark.parametrize(
    ("expected", "status", "ok"),
    [([201], 201, True), ([201], 200, False), ([404, 410], 404, True), ([200], 500, False)],
)
async def test_expect_status_lists_the_accepted_statuses(
    expected: list[int], status: int, ok: bool
) -> None:
    outcome = await HttpStepExecutor(FakeHttp(Reply(status))).execute(call(expect_status=expected))

    assert isinstance(outcome, Succeeded) is ok
    if not ok:
        assert isinstance(outcome, Failed) and outcome.code == f"HTTP_{status}"


@pytest.mark.parametrize(
    ("response", "headers", "raw", "body"),
    [
        ("json", JSON, b'{"a": [1]}', {"a": [1]}),
        ("json", {}, b"[1, 2]", [1, 2]),  # no content type: try JSON
        ("json", {"content-type": "text/plain"}, b'{"a": 1}', '{"a": 1}'),
        ("json", JSON, b"not json", "not json"),
        ("json", JSON, b"", None),
        ("text", JSON, b'{"a": 1}', '{"a": 1}'),
        ("text", {}, "héllo".encode(), "héllo"),
        ("text", {}, b"\xff\xfe", "\ufffd\ufffd"),
    ],
)
async def test_the_body_is_json_or_text_as_configured(
    response: str, headers: dict[str, str], raw: bytes, body: Any
) -> None:
    outcome = await HttpStepExecutor(FakeHttp(Reply(200, headers, raw))).execute(
        call(response=response)
    )

    assert isinstance(outcome, Succeeded)
    assert outcome.output["body"] == body
