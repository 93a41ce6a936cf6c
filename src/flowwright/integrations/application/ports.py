"""Ports of the integrations context: outbound HTTP and name resolution."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

QueryParams = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete response: ``url`` is the final URL after redirects, header names lowercase."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str
    elapsed_ms: int

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient(Protocol):
    """Sends one request and returns the whole response; refusals and failures are raised.

    Raises ``BlockedDestination`` and ``InvalidUrl`` for destinations the policy refuses (also
    after redirects), ``HttpTimeout`` and ``HttpConnectionError`` (retryable) when the
    exchange fails, ``ResponseTooLarge`` and ``TooManyRedirects`` otherwise. An HTTP error
    status is a response, not an error. ``json_body`` None means no JSON body.
    """

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
    ) -> HttpResponse: ...


class Resolver(Protocol):
    """Resolves a host name to IP addresses (as text) for a TCP connection to ``port``."""

    async def resolve(self, host: str, port: int) -> Sequence[str]: ...
