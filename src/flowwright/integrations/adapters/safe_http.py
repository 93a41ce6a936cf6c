"""Outbound HTTP for workflow steps that cannot be pointed at the installation's network.

Every URL, the first and every redirect, goes through ``AddressPolicy.check_url``; redirects
are followed here, one hop at a time (at most ``max_redirects``), never by httpx.

Pinning. A check that resolves a name and then lets the HTTP library resolve it again is
open to DNS rebinding: the second answer can be 127.0.0.1. Of the ways to pin the connection
with httpx, this client uses an httpcore *network backend* (``PinnedNetworkBackend``): its
``connect_tcp`` is the one place every connection is opened, it receives the request's own
host and port, resolves once with the injectable ``Resolver``, checks every answer and
connects to a checked address. Rewriting the URL to the IP instead would need the Host header
and TLS server name patched back in by hand (``sni_hostname`` and a certificate check against
a name that is not in the URL); with the backend, httpcore's TLS still verifies the
certificate for the host name and httpx still sends the original Host header. An event hook
or a pre-flight lookup would check an address the connection does not have to use. Because
the backend sees every connection, even a URL that slipped past the first check (or a parser
disagreeing with it) is judged again right before the socket is opened.

Other precautions: no proxies or ``.netrc`` from the environment (``trust_env=False``), no
cookie jar shared between requests (tenants share the client), credentials dropped on
cross-origin redirects, timeouts for connecting, reading and the whole exchange, and a
response size limit enforced while streaming (decoded bytes, so compression does not evade it).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any, Self
from urllib.request import Request

import httpcore
import httpx

from flowwright.integrations.adapters.http_messages import (
    REDIRECT_STATUSES,
    Headers,
    redirected,
    request_body,
    request_headers,
    request_method,
)
from flowwright.integrations.adapters.pinned_transport import PinnedNetworkBackend, PinnedTransport
from flowwright.integrations.adapters.resolver import SystemResolver
from flowwright.integrations.application.ports import HttpResponse, QueryParams, Resolver
from flowwright.integrations.domain.address_policy import AddressPolicy, ParsedTarget
from flowwright.integrations.domain.errors import (
    BlockedDestination,
    HttpConnectionError,
    HttpProtocolError,
    HttpTimeout,
    InvalidUrl,
    ResponseTooLarge,
    TooManyRedirects,
)
from flowwright.kernel.errors import FlowwrightError, ValidationFailed


@dataclass(frozen=True, slots=True)
class HttpTimeouts:
    """Seconds for connecting (resolution included), for each read or write, and in total."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0


class SafeHttpClient:
    """The ``HttpClient`` port over httpx, behind an ``AddressPolicy``.

    ``network_backend`` opens the sockets once an address passed the checks (httpcore's anyio
    backend by default).
    """

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        *,
        resolver: Resolver | None = None,
        timeouts: HttpTimeouts = HttpTimeouts(),
        max_redirects: int = 5,
        max_response_bytes: int = 10 * 1024 * 1024,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "Flowwright",
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        if max_redirects < 0 or max_response_bytes < 0:
            raise ValueError("max_redirects and max_response_bytes cannot be negative")
        self.policy = policy if policy is not None else AddressPolicy()
        self._timeouts = timeouts
        self._max_redirects = max_redirects
        self._max_bytes = max_response_bytes
        backend = PinnedNetworkBackend(
            self.policy, resolver if resolver is not None else SystemResolver(), network_backend
        )
        self._client = httpx.AsyncClient(
            transport=PinnedTransport(backend, ssl_context=ssl_context),
            trust_env=False,
            follow_redirects=False,
            cookies=CookieJar(policy=_NoCookies()),
            headers={"User-Agent": user_agent},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (the request's total deadline)
        idempotency_key: str | None = None,
    ) -> HttpResponse:
        verb = request_method(method)
        body, content_type = request_body(json_body, content)
        prepared = request_headers(
            headers, content_type=content_type, idempotency_key=idempotency_key
        )
        total = self._timeouts.total if timeout is None else timeout
        if total <= 0:
            raise ValidationFailed("the timeout must be positive")
        target = self.policy.check_url(url)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(total):
                response, data = await self._exchange(verb, target, prepared, params, body, total)
        except TimeoutError as exc:
            raise HttpTimeout(
                f"{verb} {target.origin} did not complete within {total:g} s",
                details={"origin": target.origin},
            ) from exc
        return HttpResponse(
            status=response.status_code,
            headers=tuple(response.headers.multi_items()),
            body=data,
            url=str(response.url),
            elapsed_ms=round((time.perf_counter() - started) * 1000),
        )

    async def _exchange(
        self,
        method: str,
        target: ParsedTarget,
        headers: Headers,
        params: QueryParams | None,
        body: bytes | None,
        total: float,
    ) -> tuple[httpx.Response, bytes]:
        timeout = httpx.Timeout(
            connect=min(self._timeouts.connect, total),
            read=min(self._timeouts.read, total),
            write=min(self._timeouts.read, total),
            pool=min(self._timeouts.connect, total),
        )
        for hop in range(self._max_redirects + 1):
            try:
                request = self._client.build_request(
                    method,
                    target.url,
                    headers=headers,
                    params=params if hop == 0 else None,
                    content=body,
                    timeout=timeout,
                )
                _check_agrees(request.url, target)
                response = await self._client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code not in REDIRECT_STATUSES or location is None:
                        return response, await self._read(response, method, target)
                finally:
                    await response.aclose()
                following = self.policy.check_url(str(response.url.join(location)))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise _translate(exc, method, target) from exc
            method, body, headers = redirected(
                response.status_code,
                method,
                body,
                headers,
                cross_origin=following.origin != target.origin,
            )
            target = following
        raise TooManyRedirects(
            f"{method} stopped after {self._max_redirects} redirects at {target.origin}",
            details={"origin": target.origin, "max_redirects": self._max_redirects},
        )

    async def _read(self, response: httpx.Response, method: str, target: ParsedTarget) -> bytes:
        declared = response.headers.get("content-length", "")
        if method != "HEAD" and declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(target)
        data = bytearray()
        async for chunk in response.aiter_bytes():
            if len(data) + len(chunk) > self._max_bytes:
                raise self._too_large(target)
            data += chunk
        return bytes(data)

    def _too_large(self, target: ParsedTarget) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"the response from {target.origin} is larger than {self._max_bytes} bytes",
            details={"origin": target.origin, "limit_bytes": self._max_bytes},
        )


def _check_agrees(url: httpx.URL, target: ParsedTarget) -> None:
    """httpx must read the canonical URL the way the policy did."""
    port = url.port if url.port is not None else target.port
    host = url.raw_host.decode("ascii").lower()
    if (url.scheme, host, port) != (target.scheme, target.host, target.port):
        raise BlockedDestination(f"refused: the URL for {target.origin} is ambiguous")


def _translate(exc: Exception, method: str, target: ParsedTarget) -> FlowwrightError:
    what = f"{method} {target.origin}"
    details = {"origin": target.origin, "cause": type(exc).__name__}
    if isinstance(exc, httpx.TimeoutException):
        return HttpTimeout(f"{what} timed out ({type(exc).__name__})", details=details)
    if isinstance(exc, httpx.InvalidURL):
        return InvalidUrl(f"{what}: {exc}", details=details)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return BlockedDestination(f"refused: {what}: {exc}", details=details)
    if isinstance(exc, httpx.LocalProtocolError):
        return ValidationFailed(f"{what}: the request is malformed: {exc}", details=details)
    if isinstance(exc, httpx.DecodingError):
        return HttpProtocolError(f"{what}: the response cannot be decoded: {exc}", details=details)
    return HttpConnectionError(f"{what} failed: {exc}", details=details)


class _NoCookies(DefaultCookiePolicy):
    """The client is shared by tenants: no response sets a cookie for a later request."""

    def set_ok(self, cookie: Cookie, request: Request) -> bool:
        return False

    def return_ok(self, cookie: Cookie, request: Request) -> bool:
        return False
