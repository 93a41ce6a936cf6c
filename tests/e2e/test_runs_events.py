"""The live view: a run's history as Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from testkit import LiveServer, TenantHandle
from workflow_helpers import push, start, wait_for

WAITS = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: live}
steps:
  - {id: one, type: transform, output: 1}
  - {id: nap, type: delay, duration: 500ms, needs: [one]}
  - {id: two, type: transform, output: 2, needs: [nap]}
"""


def _read_events(
    client: httpx.Client, run_id: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with client.stream(
        "GET", f"/v1/runs/{run_id}/events", headers=headers or {}, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id:"):
                current["id"] = int(line[3:])
            elif line.startswith("event:"):
                current["event"] = line[6:].strip()
            elif line.startswith("data:"):
                current["data"] = json.loads(line[5:])
            elif not line and "data" in current:
                events.append(current)
                current = {}
    return events


def test_events_stream_live_until_the_run_ends(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    push(t.client, WAITS)
    run = start(t.client, "live")
    events = _read_events(t.client, run["id"])  # returns when the run has finished
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert "timer_fired" in kinds
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["data"]["seq"] == e["id"] for e in events)


def test_events_resume_after_last_event_id(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(t.client, WAITS)
    run = start(t.client, "live")
    wait_for(t.client, run["id"])
    everything = _read_events(t.client, run["id"])
    rest = _read_events(t.client, run["id"], {"Last-Event-ID": "3"})
    assert [e["id"] for e in rest] == [e["id"] for e in everything[3:]]


def test_events_of_an_unknown_run_are_404(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    response = t.client.get("/v1/runs/01a00000-0000-7000-8000-000000000000/events")
    assert response.status_code == 404
