"""The in-memory HttpClient answers from its script, records requests and keeps the policy."""

from __future__ import annotations

import pytest

from flowwright.integrations.adapters.http_messages import redirected, request_headers
from flowwright.integrations.adapters.memory import FakeHttpClient
from flowwright.integrations.application.ports import HttpClient, HttpResponse
from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.integrations.domain.errors import BlockedDestination, HttpTimeout
from flowwright.kernel.errors import ValidationFailed


async def test_scripted_outcomes_are_used_in_order_and_requests_recorded() -> None:
    fake = FakeHttpClient(HttpResponse(201, (("x-id", "7"),), b"{}", "https://api.example.com/", 3))
    fake.add(HttpTimeout("too slow"))
    fake.add_response(404, json_body={"error": "missing"})
    client: HttpClient = fake

    created = await client.send(
        "post", "https://API.example.com/items", json_body={"a": 1}, idempotency_key="key-1"
    )
    with pytest.raises(HttpTimeout):
        await client.send("GET", "https://api.example.com/slow", timeout=0.5)
    missing = await client.send("GET", "https://api.example.com/items/9", params={"q": ["a", "b"]})

    assert (created.status, created.header("X-ID")) == (201, "7")
    assert (missing.status, missing.json(), missing.url) == (
        404,
        {"error": "missing"},
        "https://api.example.com/items/9",
    )
    first, second, third = fake.requests
    assert (first.method, first.url) == ("POST", "https://api.example.com/items")
    assert first.json_body == {"a": 1}
    assert first.idempotency_key == "key-1" and first.header("idempotency-key") == "key-1"
    assert second.timeout == 0.5
    assert third.params == (("q", "a"), ("q", "b"))
    assert fake.pending == 0


async def test_the_fake_refuses_what_the_policy_refuses_and_records_nothing() -> None:
    fake = FakeHttpClient()
    fake.add_response()
    with pytest.raises(BlockedDestination):
        await fake.send("GET", "http://169.254.169.254/latest/meta-data/")
    assert fake.requests == [] and fake.pending == 1


async def test_the_fake_honours_allowed_hosts() -> None:
    fake = FakeHttpClient(policy=AddressPolicy({"localhost:8080"}))
    fake.add_response(body="pong")
    response = await fake.send("GET", "http://localhost:8080/ping")
    assert response.body == b"pong"


async def test_running_out_of_script_is_a_test_failure() -> None:
    with pytest.raises(AssertionError, match="no scripted outcome"):
        await FakeHttpClient().send("GET", "https://api.example.com/")


def test_request_headers_drop_client_managed_names_and_refuse_line_breaks() -> None:
    headers = request_headers(
        {"Host": "169.254.169.254", "X-Trace": "1", "Content-Length": "5"},
        content_type="application/json",
        idempotency_key="k",
    )
    assert headers == {"x-trace": "1", "content-type": "application/json", "idempotency-key": "k"}
    with pytest.raises(ValidationFailed):
        request_headers({"X-Evil": "a\r\nHost: internal"}, content_type=None, idempotency_key=None)
    with pytest.raises(ValidationFailed):
        request_headers({"Bad Name": "x"}, content_type=None, idempotency_key=None)


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "keeps_body"),
    [
        (303, "POST", "GET", False),
        (303, "HEAD", "HEAD", False),
        (302, "POST", "GET", False),
        (301, "POST", "GET", False),
        (302, "PUT", "PUT", True),
        (307, "POST", "POST", True),
        (308, "PATCH", "PATCH", True),
    ],
)
def test_redirects_change_method_and_body_like_browsers(
    status: int, method: str, expected_method: str, keeps_body: bool
) -> None:
    body = None if method == "HEAD" else b"{}"
    headers = {"content-type": "application/json", "authorization": "Bearer t", "x-a": "1"}
    new_method, new_body, new_headers = redirected(
        status, method, body, headers, cross_origin=False
    )
    assert new_method == expected_method
    assert (new_body == body) if keeps_body else new_body is None
    assert new_headers["authorization"] == "Bearer t"
    assert ("content-type" in new_headers) == (keeps_body or method == "HEAD")


def test_credentials_do_not_follow_a_redirect_to_another_origin() -> None:
    headers = {"authorization": "Bearer t", "cookie": "s=1", "proxy-authorization": "p", "x-a": "1"}
    assert redirected(307, "GET", None, headers, cross_origin=True)[2] == {"x-a": "1"}
