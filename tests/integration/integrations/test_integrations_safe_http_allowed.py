"""An operator-allowed loopback listener is reachable, with timeouts, limits and errors mapped."""

from __future__ import annotations

import dataclasses
import gzip
import json
import socket

import pytest
from loopback_servers import (
    ClientFactory,
    ListenerFactory,
    Reply,
    SeenRequest,
    ipv6_loopback_available,
)

from flowwright.integrations.adapters.safe_http import HttpTimeouts
from flowwright.integrations.domain.errors import (
    HttpConnectionError,
    HttpTimeout,
    ResponseTooLarge,
)
from flowwright.kernel.errors import NonRetryableError, RetryableError


def allowed(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}"})


async def test_a_request_to_an_allowed_listener_succeeds(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(
        lambda seen: Reply(201, {"X-Seen": seen.method}, json.dumps({"ok": True}).encode())
    )
    client = make_client(allowed(listener.port))

    response = await client.send(
        "post",
        listener.url("/items"),
        headers={"X-Trace": "abc", "Host": "metadata.google.internal"},
        params={"page": "2", "tag": ["a", "b"]},
        json_body={"name": "widget"},
        idempotency_key="run-1:step-2",
    )

    assert response.status == 201
    assert response.json() == {"ok": True}
    assert response.header("x-seen") == "POST"
    assert response.url == listener.url("/items?page=2&tag=a&tag=b")
    assert response.elapsed_ms >= 0
    seen = listener.requests[0]
    assert (seen.method, seen.path) == ("POST", "/items?page=2&tag=a&tag=b")
    assert seen.headers["idempotency-key"] == "run-1:step-2"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-trace"] == "abc"
    assert seen.headers["host"] == f"127.0.0.1:{listener.port}"  # a step cannot choose Host
    assert json.loads(seen.body) == {"name": "widget"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        response.status = 500  # type: ignore[misc]


@pytest.mark.skipif(not ipv6_loopback_available(), reason="this machine has no IPv6 loopback")
async def test_an_allowed_ipv6_listener_is_reachable(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(host="::1")
    client = make_client(frozenset({f"[::1]:{listener.port}"}))

    response = await client.send("GET", f"http://[::1]:{listener.port}/v6")

    assert response.status == 200
    assert listener.requests[0].headers["host"] == f"[::1]:{listener.port}"


async def test_without_a_key_no_idempotency_header_is_sent_and_errors_are_responses(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(lambda _seen: Reply(503, body=b"busy"))
    client = make_client(allowed(listener.port))

    response = await client.send("PUT", listener.url("/x"), content="plain text")

    assert (response.status, response.body) == (503, b"busy")
    assert "idempotency-key" not in listener.requests[0].headers
    assert listener.requests[0].body == b"plain text"


async def test_a_slow_read_raises_the_retryable_timeout(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(lambda _seen: Reply(delay=1.5))
    client = make_client(allowed(listener.port), timeouts=HttpTimeouts(connect=2, read=0.2))

    with pytest.raises(HttpTimeout) as timed_out:
        await client.send("GET", listener.url())

    assert timed_out.value.code == "http_timeout"
    assert isinstance(timed_out.value, RetryableError) and timed_out.value.retryable


async def test_the_total_deadline_bounds_the_whole_exchange(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(lambda _seen: Reply(delay=1.5))
    client = make_client(allowed(listener.port), timeouts=HttpTimeouts(read=30, total=30))

    with pytest.raises(HttpTimeout, match=r"did not complete within 0\.3 s"):
        await client.send("GET", listener.url(), timeout=0.3)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_is_refused_while_streaming(
    listen: ListenerFactory, make_client: ClientFactory, chunked: bool
) -> None:
    listener = listen(lambda _seen: Reply(body=b"x" * 200_000, chunked=chunked))
    client = make_client(allowed(listener.port), max_response_bytes=65_536)

    with pytest.raises(ResponseTooLarge) as too_large:
        await client.send("GET", listener.url())

    assert too_large.value.code == "response_too_large"
    assert isinstance(too_large.value, NonRetryableError)
    assert too_large.value.details["limit_bytes"] == 65_536


async def test_a_body_exactly_at_the_limit_is_returned(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(lambda _seen: Reply(body=b"y" * 4096, chunked=True))
    client = make_client(allowed(listener.port), max_response_bytes=4096)

    assert len((await client.send("GET", listener.url())).body) == 4096


async def test_the_limit_counts_decompressed_bytes(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 65_536
    listener = listen(lambda _seen: Reply(headers={"Content-Encoding": "gzip"}, body=bomb))
    client = make_client(allowed(listener.port), max_response_bytes=65_536)

    with pytest.raises(ResponseTooLarge):
        await client.send("GET", listener.url())


async def test_a_refused_connection_is_the_retryable_connection_error(
    make_client: ClientFactory,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(allowed(closed_port))

    with pytest.raises(HttpConnectionError) as failed:
        await client.send("GET", f"http://127.0.0.1:{closed_port}/")

    assert failed.value.code == "http_connection" and failed.value.retryable


async def test_cookies_never_carry_over_between_requests(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    def handler(seen: SeenRequest) -> Reply:
        return Reply(headers={"Set-Cookie": "session=tenant-a; Path=/"})

    listener = listen(handler)
    client = make_client(allowed(listener.port))

    first = await client.send("GET", listener.url())
    await client.send("GET", listener.url())

    assert first.header("set-cookie") == "session=tenant-a; Path=/"
    assert [seen.headers.get("cookie") for seen in listener.requests] == [None, None]
