"""Reuse of model clients (and their connection pools) per tenant provider.

A client is rebuilt when its provider's settings or API key change. The pool keeps at most
``max_clients``; an evicted or replaced client is closed after a grace period, so that calls still
running on it can finish.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from typing import Protocol

from flowwright.agents.application.ports import ModelClient
from flowwright.agents.domain.catalog import Provider, ProviderKind

DEFAULT_MAX_CLIENTS = 256


class _ClosableClient(ModelClient, Protocol):
    async def aclose(self) -> None: ...


class SdkModelClients:
    """Satisfies :class:`flowwright.agents.application.ports.ModelClients`."""

    def __init__(self, *, max_clients: int = DEFAULT_MAX_CLIENTS) -> None:
        # The vendor SDKs take seconds to import: only a process that builds a pool (one that
        # may call models) pays for them, not every CLI command.
        from flowwright.agents.adapters import sdk_clients

        self._sdk = sdk_clients
        self._max = max_clients
        self._clients: OrderedDict[tuple[str, str], tuple[str, _ClosableClient]] = OrderedDict()
        self._retiring: set[asyncio.Task[None]] = set()

    def client_for(self, provider: Provider, api_key: str | None) -> ModelClient:
        key = (provider.tenant_id, provider.name)
        fingerprint = _fingerprint(provider, api_key)
        cached = self._clients.get(key)
        if cached is not None and cached[0] == fingerprint:
            self._clients.move_to_end(key)
            return cached[1]
        client = self._build(provider, api_key)
        self._clients[key] = (fingerprint, client)
        self._clients.move_to_end(key)
        if cached is not None:
            self._retire(cached[1], provider.timeout_seconds)
        while len(self._clients) > self._max:
            _, (_, evicted) = self._clients.popitem(last=False)
            self._retire(evicted, provider.timeout_seconds)
        return client

    def _retire(self, client: _ClosableClient, grace: float) -> None:
        async def close_later() -> None:
            try:
                await asyncio.sleep(grace + 1)
            finally:
                await client.aclose()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def _build(self, provider: Provider, api_key: str | None) -> _ClosableClient:
        if provider.kind is ProviderKind.ANTHROPIC:
            return self._sdk.AnthropicModelClient(provider, api_key)
        return self._sdk.OpenAIModelClient(provider, api_key)

    async def aclose(self) -> None:
        retiring = list(self._retiring)
        for task in retiring:
            task.cancel()
        await asyncio.gather(*retiring, return_exceptions=True)
        clients = [client for _, client in self._clients.values()]
        self._clients.clear()
        for client in clients:
            await client.aclose()


def _fingerprint(provider: Provider, api_key: str | None) -> str:
    # A digest, so that the pool's keys never hold the API key itself.
    material = "\x00".join(
        [provider.kind.value, provider.base_url or "", str(provider.timeout_seconds), api_key or ""]
    )
    return hashlib.sha256(material.encode()).hexdigest()
