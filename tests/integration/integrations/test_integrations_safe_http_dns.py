"""Names are resolved once, every answer is checked, and the connection uses a checked answer."""

from __future__ import annotations

import pytest
from loopback_servers import (
    ClientFactory,
    ListenerFactory,
    LoopbackOnlyBackend,
    ScriptedResolver,
    TlsIdentity,
)

from flowwright.integrations.domain.errors import BlockedDestination, HttpConnectionError

PUBLIC = "93.184.216.34"  # never connected to: LoopbackOnlyBackend refuses it


async def test_a_name_resolving_to_loopback_is_refused(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen()
    resolver = ScriptedResolver({"internal.example.test": [["127.0.0.1"]]})
    backend = LoopbackOnlyBackend()
    client = make_client(resolver=resolver, network_backend=backend)

    with pytest.raises(BlockedDestination, match=r"127\.0\.0\.1 is a loopback address"):
        await client.send("GET", f"http://internal.example.test:{listener.port}/")

    assert resolver.calls == [("internal.example.test", listener.port)]
    assert backend.attempts == []
    assert listener.accepted == 0


@pytest.mark.parametrize(
    "answers",
    [[PUBLIC, "127.0.0.1"], ["127.0.0.1", PUBLIC], [PUBLIC, "169.254.169.254"], ["::1", PUBLIC]],
)
async def test_one_blocked_answer_among_public_ones_refuses_the_name(
    listen: ListenerFactory, make_client: ClientFactory, answers: list[str]
) -> None:
    listener = listen()
    backend = LoopbackOnlyBackend()
    resolver = ScriptedResolver({"mixed.example.test": [answers]})
    client = make_client(resolver=resolver, network_backend=backend)

    with pytest.raises(BlockedDestination):
        await client.send("GET", f"http://mixed.example.test:{listener.port}/")

    assert backend.attempts == []
    assert listener.accepted == 0


async def test_dns_rebinding_cannot_swap_the_checked_address(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    """The first answer is public, every later one is 127.0.0.1: the client resolves once and
    connects to the public address it checked (which fails here), never to the listener."""
    listener = listen()
    resolver = ScriptedResolver({"rebind.example.test": [[PUBLIC], ["127.0.0.1"]]})
    backend = LoopbackOnlyBackend()
    client = make_client(resolver=resolver, network_backend=backend)
    url = f"http://rebind.example.test:{listener.port}/"

    with pytest.raises(HttpConnectionError):
        await client.send("GET", url)
    assert resolver.calls == [("rebind.example.test", listener.port)]
    assert backend.attempts == [(PUBLIC, listener.port)]

    with pytest.raises(BlockedDestination):  # the next request resolves again, and is checked
        await client.send("GET", url)
    assert backend.attempts == [(PUBLIC, listener.port)]
    assert listener.accepted == 0


async def test_an_unresolvable_name_is_a_retryable_connection_error(
    make_client: ClientFactory,
) -> None:
    client = make_client(resolver=ScriptedResolver({}))

    with pytest.raises(HttpConnectionError, match="could not resolve"):
        await client.send("GET", "http://nowhere.example.test/")


async def test_an_allowed_name_connects_to_its_address_and_keeps_the_host_header(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    listener = listen()
    resolver = ScriptedResolver({"service.internal.test": [["127.0.0.1"]]})
    client = make_client(frozenset({"service.internal.test"}), resolver=resolver)

    response = await client.send("GET", f"http://service.internal.test:{listener.port}/health")

    assert response.status == 200
    assert listener.requests[0].headers["host"] == f"service.internal.test:{listener.port}"


async def test_tls_verifies_the_host_name_on_the_pinned_connection(
    listen: ListenerFactory, make_client: ClientFactory, tls_identity: TlsIdentity
) -> None:
    listener = listen(tls=tls_identity.server_context())
    resolver = ScriptedResolver(
        {"service.internal.test": [["127.0.0.1"]], "other.internal.test": [["127.0.0.1"]]}
    )
    client = make_client(
        frozenset({"service.internal.test", "other.internal.test"}),
        resolver=resolver,
        ssl_context=tls_identity.client_context(),
    )

    response = await client.send("GET", f"https://service.internal.test:{listener.port}/")

    assert response.status == 200
    assert listener.server_names == ["service.internal.test"]
    assert listener.requests[0].headers["host"] == f"service.internal.test:{listener.port}"

    # Same address, a name the certificate does not cover: verification fails, nothing is sent.
    with pytest.raises(HttpConnectionError, match="certificate verify failed"):
        await client.send("GET", f"https://other.internal.test:{listener.port}/")
    assert len(listener.requests) == 1
