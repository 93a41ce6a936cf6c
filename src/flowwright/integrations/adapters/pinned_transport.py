"""An httpx transport whose TCP connections go only to addresses the policy checked.

``PinnedNetworkBackend`` is the httpcore network backend of the transport's connection pool.
httpcore asks it for a TCP connection to the request's host and port; it judges the host with
the ``AddressPolicy``, resolves a name exactly once, checks every address the resolver
returned, and opens the connection to one of those checked addresses itself. There is no second
resolution that DNS rebinding could answer differently. TLS is unaffected: httpcore starts TLS
on the returned stream with the request's host name as SNI and for certificate verification,
and the Host header comes from the URL, so only the socket address is pinned.

``PinnedTransport`` connects httpx requests to an httpcore pool that uses this backend, and
translates httpcore exceptions into the httpx exceptions the client expects.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from ipaddress import ip_address
from typing import Any

import httpcore
import httpx

from flowwright.integrations.application.ports import Resolver
from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.integrations.domain.errors import BlockedDestination
from flowwright.integrations.domain.ip_ranges import IPAddress

_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Checks, resolves once and connects to the checked address; ``inner`` opens the socket."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        endpoint = self._policy.check_endpoint(host, port)
        if endpoint.ip is not None:
            addresses: list[IPAddress] = [endpoint.ip]
        else:
            addresses = await self._resolve(endpoint.host, port, timeout)
        if not endpoint.allowed:
            for address in addresses:
                self._policy.check_ip(address)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # addresses is never empty
        raise failure

    async def _resolve(self, host: str, port: int, seconds: float | None) -> list[IPAddress]:
        try:
            async with asyncio.timeout(seconds):
                answers = await self._resolver.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
        try:
            # Strict parsing: an answer like "127.1" must not reach a second resolver.
            addresses = [ip_address(answer) for answer in answers]
        except ValueError as exc:
            raise httpcore.ConnectError(f"the resolver answered a non-address for {host}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} did not resolve to any address")
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("refused: outbound requests never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over an httpcore pool whose connections come from a ``PinnedNetworkBackend``."""

    def __init__(
        self,
        backend: PinnedNetworkBackend,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 20,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else httpx.create_ssl_context(),
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError("PinnedTransport sends asynchronous request bodies only")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            # Only timeouts: extensions such as "sni_hostname" would loosen TLS verification.
            extensions={"timeout": request.extensions.get("timeout", {})},
        )
        with _httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        if not isinstance(response.stream, AsyncIterable):
            raise TypeError("httpcore returned a synchronous response stream")
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_type, httpx_type in _ERRORS:
            if isinstance(exc, core_type):
                raise httpx_type(str(exc) or type(exc).__name__) from exc
        raise
