"""Timers, approvals, sub-workflows, cancellation and run timeouts."""

from __future__ import annotations

from collections.abc import Callable

from testkit import LiveServer, TenantHandle
from workflow_helpers import history_types, push, start, step, wait_for

APPROVAL = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: review}
outputs:
  approved: ${{ steps.ask.output.approved }}
  by: ${{ steps.ask.output.decided_by }}
steps:
  - id: ask
    type: approval
    message: "Publish it?"
    approvers: {roles: [editor]}
    timeout: 1h
"""


def test_delay_waits_then_continues(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: pause}
        steps:
          - {id: nap, type: delay, duration: 1s}
          - {id: after, type: transform, needs: [nap], output: done}
        """,
    )
    run = start(t.client, "pause")
    assert wait_for(t.client, run["id"], {"waiting"})["status"] == "waiting"
    done = wait_for(t.client, run["id"])
    assert done["status"] == "succeeded"
    types = history_types(t.client, run["id"])
    assert types.index("timer_set") < types.index("timer_fired")


def test_approval_waits_for_a_decision_with_who_and_why(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    push(t.client, APPROVAL)
    run = start(t.client, "review")
    wait_for(t.client, run["id"], {"waiting"})
    waiting = t.client.get("/v1/approvals").json()
    assert [(a["run_id"], a["step_key"], a["message"]) for a in waiting] == [
        (run["id"], "ask", "Publish it?")
    ]
    viewer_key = t.client.post("/v1/api-keys", json={"name": "v", "role": "viewer"}).json()["key"]
    with live_server.client(viewer_key) as viewer:
        refused = viewer.post(f"/v1/runs/{run['id']}/approvals/ask", json={"decision": "approve"})
        assert refused.status_code == 403
    decided = t.client.post(
        f"/v1/runs/{run['id']}/approvals/ask", json={"decision": "reject", "comment": "not yet"}
    )
    assert decided.status_code == 200, decided.text
    done = wait_for(t.client, run["id"])
    assert done["outputs"] == {"approved": False, "by": done["steps"][0]["output"]["decided_by"]}
    assert step(done, "ask")["output"]["comment"] == "not yet"
    assert t.client.get("/v1/approvals").json() == []
    again = t.client.post(f"/v1/runs/{run['id']}/approvals/ask", json={"decision": "approve"})
    assert again.status_code == 404


def test_approval_timeout_takes_its_policy(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: hurry}
        steps:
          - id: ask
            type: approval
            message: quick!
            timeout: 1s
            on_timeout: approve
        """,
    )
    done = wait_for(t.client, start(t.client, "hurry")["id"])
    assert done["status"] == "succeeded"
    assert step(done, "ask")["output"]["timed_out"] is True
    assert step(done, "ask")["output"]["approved"] is True


def test_subworkflow_runs_as_a_linked_child(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: child}
        inputs: {x: {type: integer, required: true}}
        outputs: {double: "${{ steps.calc.output }}"}
        steps:
          - {id: nap, type: delay, duration: 200ms}
          - {id: calc, type: transform, needs: [nap], output: "${{ inputs.x * 2 }}"}
        """,
    )
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: parent}
        outputs: {result: "${{ steps.call.output.double }}"}
        steps:
          - id: call
            type: subworkflow
            workflow: child
            inputs: {x: 21}
        """,
    )
    done = wait_for(t.client, start(t.client, "parent")["id"])
    assert done["status"] == "succeeded", done
    assert done["outputs"] == {"result": 42}
    children = t.client.get("/v1/runs", params={"workflow": "child"}).json()
    assert [c["parent_run_id"] for c in children] == [done["id"]]


def test_cancel_stops_a_waiting_run(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(t.client, APPROVAL)
    run = start(t.client, "review")
    wait_for(t.client, run["id"], {"waiting"})
    cancelled = t.client.post(f"/v1/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert step(cancelled.json(), "ask")["status"] == "cancelled"
    assert t.client.post(f"/v1/runs/{run['id']}/cancel").status_code == 422


def test_run_past_its_timeout_ends_timed_out(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: bounded}
        timeout: 1s
        steps:
          - {id: long, type: delay, duration: 1h}
        """,
    )
    done = wait_for(t.client, start(t.client, "bounded")["id"])
    assert done["status"] == "timed_out"
    assert "timeout" in done["reason"]
