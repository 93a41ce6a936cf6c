"""A small HTTP client for the CLI that turns problem+json answers into readable errors."""

from __future__ import annotations

from typing import Any

import httpx

from flowwright.entrypoints.cli.profile import Profile


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"error[{code}]: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


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
            raise ApiError(
                0,
                "unreachable",
                f"cannot reach Flowwright at {self.url} ({exc.__class__.__name__}); "
                "is the server running? Start it with 'flowwright up'",
            ) from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ApiError(
                response.status_code,
                str(body.get("code", response.status_code)),
                str(body.get("detail", response.text[:200] or response.reason_phrase)),
            )
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
