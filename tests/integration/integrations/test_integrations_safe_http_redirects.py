"""Redirects are followed one checked hop at a time; a hop to a refused address never connects."""

from __future__ import annotations

import pytest
from loopback_servers import ClientFactory, ListenerFactory, Reply, SeenRequest

from flowwright.integrations.domain.errors import BlockedDestination, TooManyRedirects


def redirect_to(location: str, status: int = 302) -> Reply:
    return Reply(status, {"Location": location}, b"")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/internal",
        "//127.0.0.1:{port}/internal",
        "http://localhost:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://127.1:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_INFO",
        "ftp://127.0.0.1:{port}/",
    ],
)
async def test_a_redirect_to_a_refused_destination_never_connects(
    listen: ListenerFactory, make_client: ClientFactory, location: str
) -> None:
    internal = listen()
    entry = listen(lambda _seen: redirect_to(location.format(port=internal.port)))
    client = make_client(frozenset({f"127.0.0.1:{entry.port}"}))

    with pytest.raises(BlockedDestination):
        await client.send("GET", entry.url("/start"))

    assert entry.accepted == 1
    assert internal.accepted == 0


async def test_redirects_within_an_allowed_host_are_followed(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    def handler(seen: SeenRequest) -> Reply:
        if seen.path == "/start":
            return redirect_to("/middle", 303)
        if seen.path == "/middle":
            return redirect_to("final?x=1", 307)
        return Reply(body=b"arrived")

    listener = listen(handler)
    client = make_client(frozenset({f"127.0.0.1:{listener.port}"}))

    response = await client.send(
        "POST", listener.url("/start"), json_body={"a": 1}, idempotency_key="k-1"
    )

    assert (response.status, response.body) == (200, b"arrived")
    assert response.url == listener.url("/final?x=1")
    methods = [(seen.method, seen.path, seen.body) for seen in listener.requests]
    assert methods == [
        ("POST", "/start", b'{"a": 1}'),
        ("GET", "/middle", b""),  # 303: the body is not sent again
        ("GET", "/final?x=1", b""),
    ]
    assert all(seen.headers["idempotency-key"] == "k-1" for seen in listener.requests)


async def test_a_307_repeats_the_method_and_body(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen(
        lambda seen: redirect_to("/again", 307) if seen.path == "/" else Reply(body=b"done")
    )
    client = make_client(frozenset({f"127.0.0.1:{listener.port}"}))

    await client.send("POST", listener.url(), content=b"payload")

    assert [(seen.method, seen.body) for seen in listener.requests] == [
        ("POST", b"payload"),
        ("POST", b"payload"),
    ]


async def test_credentials_are_not_sent_to_another_allowed_origin(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    second = listen()
    first = listen(lambda _seen: redirect_to(second.url("/next")))
    client = make_client(frozenset({f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}))

    await client.send("GET", first.url(), headers={"Authorization": "Bearer secret", "X-A": "1"})

    assert first.requests[0].headers["authorization"] == "Bearer secret"
    assert "authorization" not in second.requests[0].headers
    assert second.requests[0].headers["x-a"] == "1"


@pytest.mark.parametrize("max_redirects", [5, 2])
async def test_a_redirect_loop_stops_at_the_limit(
    listen: ListenerFactory, make_client: ClientFactory, max_redirects: int
) -> None:
    listener = listen(lambda seen: redirect_to(seen.path + "x"))
    client = make_client(frozenset({f"127.0.0.1:{listener.port}"}), max_redirects=max_redirects)

    with pytest.raises(TooManyRedirects) as stopped:
        await client.send("GET", listener.url("/"))

    assert stopped.value.code == "too_many_redirects" and not stopped.value.retryable
    assert len(listener.requests) == max_redirects + 1
