"""With the default policy, no spelling of the loopback address reaches a real listener."""

from __future__ import annotations

import httpx
import pytest
from loopback_servers import (
    ClientFactory,
    ListenerFactory,
    ScriptedResolver,
    ipv6_loopback_available,
)

from flowwright.integrations.adapters.pinned_transport import PinnedNetworkBackend, PinnedTransport
from flowwright.integrations.adapters.resolver import SystemResolver
from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.integrations.domain.errors import BlockedDestination

IPV4_SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "LocalHost.",
    "2130706433",
    "0x7f000001",
    "127.1",
    "127.0.1",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "0.0.0.0",  # noqa: S104  (a destination under test: Linux connects it to the local host)
    "0",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "\uff11\uff12\uff17.\uff10.\uff10.\uff11",
]


@pytest.mark.parametrize("host", IPV4_SPELLINGS)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_no_spelling_of_127_0_0_1_connects(
    listen: ListenerFactory, make_client: ClientFactory, host: str, method: str
) -> None:
    listener = listen()
    client = make_client()

    with pytest.raises(BlockedDestination) as refused:
        await client.send(method, f"http://{host}:{listener.port}/admin", json_body={"x": 1})

    assert refused.value.code == "ssrf_blocked" and not refused.value.retryable
    assert listener.accepted == 0


@pytest.mark.skipif(not ipv6_loopback_available(), reason="this machine has no IPv6 loopback")
@pytest.mark.parametrize("host", ["[::1]", "[0:0:0:0:0:0:0:1]", "[0000::0001]", "[::1%25lo]"])
async def test_no_spelling_of_ipv6_loopback_connects(
    listen: ListenerFactory, make_client: ClientFactory, host: str
) -> None:
    listener = listen(host="::1")

    with pytest.raises(BlockedDestination):
        await make_client().send("GET", f"http://{host}:{listener.port}/")

    assert listener.accepted == 0


async def test_the_transport_itself_refuses_loopback_without_the_url_check(
    listen: ListenerFactory,
) -> None:
    """The pinned transport judges the address it connects to, whatever called it."""
    listener = listen()
    resolver = ScriptedResolver({"loopback.example.test": [["127.0.0.1"]]})
    backend = PinnedNetworkBackend(AddressPolicy(), resolver)
    async with httpx.AsyncClient(transport=PinnedTransport(backend)) as raw_client:
        for host in ("127.0.0.1", "localhost", "2130706433", "loopback.example.test"):
            with pytest.raises(BlockedDestination):
                await raw_client.get(f"http://{host}:{listener.port}/")

    assert listener.accepted == 0


async def test_an_allowed_port_does_not_open_other_ports(
    listen: ListenerFactory, make_client: ClientFactory
) -> None:
    allowed, other = listen(), listen()
    client = make_client(allowed_hosts=frozenset({f"127.0.0.1:{allowed.port}"}))

    assert (await client.send("GET", allowed.url())).status == 200
    with pytest.raises(BlockedDestination):
        await client.send("GET", other.url())

    assert (allowed.accepted, other.accepted) == (1, 0)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_the_system_resolver_answers_each_address_once(host: str) -> None:
    # Numeric hosts: getaddrinfo answers them without sending a DNS query.
    assert await SystemResolver().resolve(host, 8080) == [host]
