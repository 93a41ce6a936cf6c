"""Helpers for tests that publish workflows and run them through the public API."""

from __future__ import annotations

import textwrap
import time
from datetime import timedelta
from typing import Any

import httpx

from flowwright.bootstrap import Container
from flowwright.tenancy.application.first_run import ensure_first_run
from flowwright.workflow.application import versions
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.queue import Lease

TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


def push(client: httpx.Client, source: str, *, expect: int = 201) -> dict[str, Any]:
    response = client.post("/v1/workflows", json={"source": textwrap.dedent(source)})
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def start(
    client: httpx.Client,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    expect: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    response = client.post(f"/v1/workflows/{name}/runs", json={"inputs": inputs or {}, **extra})
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def get_run(client: httpx.Client, run_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(
    client: httpx.Client, run_id: str, statuses: set[str] | None = None, timeout: float = 20.0
) -> dict[str, Any]:
    wanted = statuses or TERMINAL
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(client, run_id)
        if run["status"] in wanted:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run['status']} after {timeout}s: {run}")
        time.sleep(0.05)


def step(run: dict[str, Any], key: str) -> dict[str, Any]:
    for item in run["steps"]:
        if item["key"] == key:
            return dict(item)
    raise AssertionError(f"no step {key} in {[s['key'] for s in run['steps']]}")


def history_types(client: httpx.Client, run_id: str) -> list[str]:
    response = client.get(f"/v1/runs/{run_id}/history")
    assert response.status_code == 200, response.text
    return [entry["type"] for entry in response.json()]


async def first_tenant(container: Container, *sources: str) -> Caller:
    """The installation's first tenant, as its owner, with ``sources`` published."""
    credentials = await ensure_first_run(
        uow_factory=container.tenancy, hasher=container.hasher, clock=container.clock
    )
    assert credentials is not None, "the database must start empty"
    caller = Caller(credentials.tenant_id, None, "owner")
    for source in sources:
        await versions.push(
            textwrap.dedent(source),
            caller=caller,
            uow_factory=container.workflows,
            installation=container.installation,
            clock=container.clock,
        )
    return caller


async def lease_http(container: Container, *, owner: str, limit: int) -> list[Lease]:
    """A lease pass of ``container``'s queue for ``http`` steps, as a worker's would run it."""
    now = container.clock.now()
    return await container.run_queue.lease(
        owner=owner,
        now=now,
        until=now + timedelta(seconds=30),
        limit=limit,
        types=frozenset({"http"}),
        tenant_step_cap=32,
    )
