"""The SSRF guard for provider base URLs.

A base URL may only reach public addresses: its host is resolved (IP literals in any notation
included, since the resolver normalizes ``2130706433`` or ``0x7f000001``) and every address it
resolves to must be globally routable, so loopback, private, link-local (cloud metadata),
shared, reserved and multicast ranges are refused, also when hidden in IPv4-mapped IPv6.

The operator may allow named hosts (``FLOWWRIGHT_LLM_ALLOWED_HOSTS=ollama.internal,10.0.0.5:8000``)
for local model servers. The check runs when a provider is configured and again before calls
(a passing result is cached for half a minute). The model SDKs resolve the host again when they
connect, so a DNS answer that changes in between is not caught here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from flowwright.kernel.errors import ValidationFailed

Resolver = Callable[[str, int], Awaitable[list[str]]]
CACHE_SECONDS = 30.0
ALLOW_SETTING = "FLOWWRIGHT_LLM_ALLOWED_HOSTS"


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_allowed_hosts(value: str | Iterable[str]) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(item.strip().lower() for item in items if item.strip())


def refusal(address: str) -> str | None:
    """Why ``address`` may not be called, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (cloud metadata lives here)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


class AddressGuard:
    """Satisfies :class:`flowwright.agents.application.ports.EndpointGuard`."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        resolver: Resolver = _resolve,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed = parse_allowed_hosts(allowed_hosts)
        self._resolve = resolver
        self._monotonic = monotonic
        self._checked: dict[tuple[str, int], float] = {}

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise ValidationFailed(f"not an http(s) URL: {url!r}", details={"field": "base_url"})
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise ValidationFailed(f"invalid port in {url!r}") from exc
        if self._is_allowed(host, port):
            return
        key = (host, port)
        if self._checked.get(key, 0.0) > self._monotonic():
            return
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise ValidationFailed(
                f"cannot resolve the base URL's host {host!r}: {exc}",
                details={"field": "base_url"},
            ) from exc
        if not addresses:
            raise ValidationFailed(f"the base URL's host {host!r} has no address")
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise ValidationFailed(
                    f"the base URL's host {host!r} resolves to {address}, a {reason} address; "
                    f"only public addresses may be called unless the operator allows the host "
                    f"with {ALLOW_SETTING}",
                    details={"field": "base_url"},
                )
        self._checked[key] = self._monotonic() + CACHE_SECONDS

    def _is_allowed(self, host: str, port: int) -> bool:
        bare = host.strip("[]")
        shown = f"[{bare}]" if ":" in bare else bare
        return bool({bare, shown, f"{bare}:{port}", f"{shown}:{port}"} & self._allowed)
