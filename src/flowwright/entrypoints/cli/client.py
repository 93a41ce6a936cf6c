"""A small HTTP client for the CLI that turns problem+json answers into readable errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from flowwright.entrypoints.cli.profile import Profile


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, detail: str, diagnostics: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(f"error[{code}]: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.diagnostics = diagnostics or []


class ApiClient:
    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"User-Agent": "flowwright-cli"}
        credential = api_key or token
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    @classmethod
    def of(cls, profile: Profile) -> ApiClient:
        return cls(profile.url, api_key=profile.api_key)

    def close(self) -> None:
        self._client.close()

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        try:
            response = self._client.request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def raw(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> str:
        """The response body as text (for non-JSON answers such as Mermaid)."""
        try:
            response = self._client.request(
                method, path, params={k: v for k, v in (params or {}).items() if v is not None}
            )
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response.text

    def stream_events(self, path: str) -> Iterator[dict[str, Any]]:
        """Server-Sent Events of ``path`` as parsed JSON, resuming after a dropped connection."""
        last_id: str | None = None
        while True:
            headers = {"Last-Event-ID": last_id} if last_id else {}
            try:
                with self._client.stream("GET", path, headers=headers, timeout=None) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise _error(response)
                    data: list[str] = []
                    for line in response.iter_lines():
                        if line.startswith("id:"):
                            last_id = line[3:].strip()
                        elif line.startswith("data:"):
                            data.append(line[5:].strip())
                        elif not line and data:
                            yield json.loads("\n".join(data))
                            data = []
                return
            except httpx.TransportError as exc:
                if last_id is None:
                    raise _unreachable(self.url, exc) from exc
                time.sleep(1.0)  # the stream dropped: reconnect and resume after last_id


def _unreachable(url: str, exc: Exception) -> ApiError:
    return ApiError(
        0,
        "unreachable",
        f"cannot reach Flowwright at {url} "
        f"({exc.__class__.__name__}); is the server running? Start it with "
        "'flowwright up'",
    )


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    diagnostics = (body.get("details") or {}).get("diagnostics")
    return ApiError(
        response.status_code,
        str(body.get("code", response.status_code)),
        str(body.get("detail", response.text[:200] or response.reason_phrase)),
        diagnostics if isinstance(diagnostics, list) else None,
    )
