"""Helpers for the LLM gateway tests: fake provider servers, catalog setup, raw database reads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from flowwright.kernel.adapters.database import create_engine
from llm_fakes import FakeLLMServer, Reply

ServerFactory = Callable[..., FakeLLMServer]


@pytest.fixture
def fake_llm() -> Iterator[ServerFactory]:
    """Start fake provider servers on demand; all are stopped after the test."""
    started: list[FakeLLMServer] = []

    def factory(default: Reply | None = None) -> FakeLLMServer:
        server = FakeLLMServer(default=default).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def add_provider(
    client: httpx.Client,
    name: str,
    server: FakeLLMServer,
    *,
    kind: str = "openai",
    secret: str | None = None,
    **settings: Any,
) -> dict[str, Any]:
    base_url = server.openai_url if kind == "openai" else server.anthropic_url
    body = {"kind": kind, "base_url": base_url, "api_key_secret": secret, **settings}
    response = client.put(f"/v1/llm/providers/{name}", json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def set_alias(
    client: httpx.Client,
    name: str,
    *candidates: str | dict[str, Any],
    policy: str = "priority",
) -> dict[str, Any]:
    """Candidates as ``provider:model`` or as full candidate objects."""
    items = []
    for candidate in candidates:
        if isinstance(candidate, str):
            provider, model = candidate.split(":", 1)
            items.append({"provider": provider, "model": model})
        else:
            items.append(candidate)
    response = client.put(f"/v1/llm/aliases/{name}", json={"policy": policy, "candidates": items})
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def chat(client: httpx.Client, alias: str, prompt: str = "hello", **extra: Any) -> httpx.Response:
    body = {"alias": alias, "messages": [{"role": "user", "content": prompt}], **extra}
    return client.post("/v1/llm/chat", json=body)


def path_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The fallback path of a chat answer: (provider, outcome) per attempt."""
    return [(a["provider"], a["outcome"]) for a in body["attempts"]]


def query(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows read straight from the database, past the application."""

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(text(sql), params)
                return [dict(row) for row in result.mappings()]
        finally:
            await engine.dispose()

    return asyncio.run(run())
