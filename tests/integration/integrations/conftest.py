"""Loopback listeners and clients for the outbound HTTP tests.

No test sends traffic off this machine: listeners bind to 127.0.0.1 or ::1, and every client
built here opens its sockets through ``LoopbackOnlyBackend``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback_servers import (
    ClientFactory,
    Handler,
    Listener,
    ListenerFactory,
    LoopbackOnlyBackend,
    Reply,
    TlsIdentity,
    make_tls_identity,
)

from flowwright.integrations.adapters.safe_http import SafeHttpClient
from flowwright.integrations.domain.address_policy import AddressPolicy


@pytest.fixture
def listen() -> Iterator[ListenerFactory]:
    """Start listeners: ``listen()`` answers 200 "ok"; ``listen(handler, host=..., tls=...)``."""
    started: list[Listener] = []

    def start(
        handler: Handler | None = None,
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> Listener:
        listener = Listener(handler or (lambda _seen: Reply()), host=host, tls=tls)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """``make_client(allowed_hosts=..., **SafeHttpClient options)``, closed after the test."""
    clients: list[SafeHttpClient] = []

    def make(allowed_hosts: frozenset[str] = frozenset(), **options: Any) -> SafeHttpClient:
        options.setdefault("network_backend", LoopbackOnlyBackend())
        client = SafeHttpClient(AddressPolicy(allowed_hosts), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def tls_identity(tmp_path: Path) -> TlsIdentity:
    return make_tls_identity(tmp_path, "service.internal.test")
