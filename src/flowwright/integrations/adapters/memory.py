"""``FakeHttpClient``: the ``HttpClient`` port in memory, for tests of code that sends HTTP.

It answers from a script instead of the network and records every request it accepted. URLs
still go through an ``AddressPolicy`` (default: nothing allowed), so a step that would be
refused in production is refused here too; names are not resolved.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flowwright.integrations.application.ports import HttpResponse, QueryParams
from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.kernel.errors import FlowwrightError


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    url: str  # canonical, as the policy returned it (without params)
    headers: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]
    json_body: Any
    content: bytes | None
    timeout: float | None
    idempotency_key: str | None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


Outcome = HttpResponse | FlowwrightError | Callable[[RecordedRequest], HttpResponse]


class FakeHttpClient:
    """Scripted outcomes, used in order: a response, an error to raise, or a function of the
    request. Running out of script raises ``AssertionError``."""

    def __init__(self, *outcomes: Outcome, policy: AddressPolicy | None = None) -> None:
        self.policy = policy if policy is not None else AddressPolicy()
        self.requests: list[RecordedRequest] = []
        self._script: deque[Outcome] = deque(outcomes)

    def add(self, outcome: Outcome) -> None:
        self._script.append(outcome)

    def add_response(
        self,
        status: int = 200,
        *,
        body: bytes | str = b"",
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Script a response to whatever URL is requested next."""
        pairs = [(name.lower(), value) for name, value in (headers or {}).items()]
        if json_body is not None:
            body = json.dumps(json_body)
            pairs.append(("content-type", "application/json"))
        data = body.encode() if isinstance(body, str) else body

        def respond(request: RecordedRequest) -> HttpResponse:
            return HttpResponse(status, tuple(pairs), data, request.url, 0)

        self._script.append(respond)

    @property
    def pending(self) -> int:
        return len(self._script)

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (recorded, as the real client's deadline)
        idempotency_key: str | None = None,
    ) -> HttpResponse:
        target = self.policy.check_url(url)
        header_pairs = list((headers or {}).items())
        if idempotency_key is not None:
            header_pairs.append(("Idempotency-Key", idempotency_key))
        request = RecordedRequest(
            method=method.upper(),
            url=target.url,
            headers=tuple(header_pairs),
            params=_param_pairs(params),
            json_body=json_body,
            content=content.encode() if isinstance(content, str) else content,
            timeout=timeout,
            idempotency_key=idempotency_key,
        )
        self.requests.append(request)
        if not self._script:
            raise AssertionError(f"FakeHttpClient has no scripted outcome for {method} {url}")
        outcome = self._script.popleft()
        if isinstance(outcome, FlowwrightError):
            raise outcome
        if isinstance(outcome, HttpResponse):
            return outcome
        return outcome(request)


def _param_pairs(params: QueryParams | None) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((name, item) for item in values)
    return tuple(pairs)
