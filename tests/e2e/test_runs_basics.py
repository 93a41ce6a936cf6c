"""Runs through the public API: inputs, outputs, idempotency, pinning, history, branches."""

from __future__ import annotations

from collections.abc import Callable

from testkit import TenantHandle
from workflow_helpers import get_run, history_types, push, start, step, wait_for

CHAIN = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: greet}
inputs:
  who: {type: string, required: true}
  times: {type: integer, default: 2}
outputs:
  message: ${{ steps.shout.output }}
  count: ${{ inputs.times }}
steps:
  - id: hello
    type: transform
    output: "hello ${{ inputs.who }}"
  - id: shout
    type: transform
    needs: [hello]
    output: ${{ upper(steps.hello.output) }}
"""


def test_run_computes_outputs_from_inputs(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(t.client, CHAIN)
    run = start(t.client, "greet", {"who": "ada"})
    run = wait_for(t.client, run["id"])
    assert run["status"] == "succeeded", run
    assert run["outputs"] == {"message": "HELLO ADA", "count": 2}
    assert step(run, "shout")["status"] == "succeeded"
    types = history_types(t.client, run["id"])
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert types.count("step_succeeded") == 2


def test_inputs_are_validated_against_the_schema(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(t.client, CHAIN)
    response = t.client.post("/v1/workflows/greet/runs", json={"inputs": {"times": "x"}})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_inputs"
    assert "who" in body["detail"] and "times" in body["detail"]
    assert t.client.get("/v1/runs").json() == []


def test_same_idempotency_key_gives_one_run(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(t.client, CHAIN)
    first = start(t.client, "greet", {"who": "a"}, idempotency_key="order-42")
    again = t.client.post(
        "/v1/workflows/greet/runs",
        json={"inputs": {"who": "b"}},
        headers={"Idempotency-Key": "order-42"},
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert len(t.client.get("/v1/runs").json()) == 1


def test_run_is_pinned_to_its_version(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: pinned}
        outputs: {answer: "${{ steps.wait.output.approved }} v1"}
        steps:
          - id: wait
            type: approval
            message: go?
        """,
    )
    run = start(t.client, "pinned")
    wait_for(t.client, run["id"], {"waiting"})
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: pinned}
        outputs: {answer: "v2"}
        steps:
          - id: other
            type: transform
            output: 2
        """,
    )
    decided = t.client.post(f"/v1/runs/{run['id']}/approvals/wait", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    done = wait_for(t.client, run["id"])
    assert done["version"] == 1
    assert done["outputs"] == {"answer": "true v1"}
    assert start(t.client, "pinned")["version"] == 2


def test_switch_runs_the_chosen_branch_and_skips_the_other(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: router}
        inputs: {urgency: {type: string, required: true}}
        outputs: {handled_by: "${{ steps.join.output }}"}
        steps:
          - id: route
            type: switch
            cases:
              - when: ${{ inputs.urgency == "high" }}
                goto: [page]
            default: [queue]
          - id: page
            type: transform
            needs: [route]
            output: pager
          - id: queue
            type: transform
            needs: [route]
            output: queue
          - id: join
            type: transform
            needs: [page, queue]
            output: ${{ steps.page.output ?? steps.queue.output }}
        """,
    )
    high = wait_for(t.client, start(t.client, "router", {"urgency": "high"})["id"])
    low = wait_for(t.client, start(t.client, "router", {"urgency": "low"})["id"])
    assert high["outputs"] == {"handled_by": "pager"}
    assert step(high, "queue")["status"] == "skipped"
    assert low["outputs"] == {"handled_by": "queue"}
    assert "did not choose it" in step(low, "page")["reason"]


def test_parallel_and_foreach_collect_results_in_order(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: fan}
        inputs: {items: {type: array, required: true}}
        outputs:
          squares: ${{ steps.each.output }}
          both: ${{ steps.both.output }}
          first: ${{ steps.race.output }}
        steps:
          - id: each
            type: foreach
            items: ${{ inputs.items }}
            max_concurrency: 2
            steps:
              - id: square
                type: transform
                output: ${{ item * item }}
          - id: both
            type: parallel
            branches:
              - name: left
                steps:
                  - {id: l1, type: transform, output: L}
              - name: right
                steps:
                  - {id: r1, type: transform, output: R}
          - id: race
            type: parallel
            join: any
            branches:
              - name: quick
                steps:
                  - {id: q1, type: transform, output: Q}
              - name: slow
                steps:
                  - {id: s1, type: delay, duration: 1h}
        """,
    )
    run = wait_for(t.client, start(t.client, "fan", {"items": [3, 1, 2, 5]})["id"])
    assert run["status"] == "succeeded", run
    assert run["outputs"]["squares"] == [9, 1, 4, 25]
    assert run["outputs"]["both"] == {"left": "L", "right": "R"}
    assert run["outputs"]["first"] == {"quick": "Q", "slow": None}  # unfinished branches: null
    assert step(run, "race/slow/s1")["status"] == "cancelled"


def test_foreach_item_failures_can_continue(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: tolerant}
        outputs: {results: "${{ steps.each.output }}"}
        steps:
          - id: each
            type: foreach
            items: ${{ [1, 0, 4] }}
            on_item_error: continue
            steps:
              - id: invert
                type: transform
                output: ${{ 100 / item }}
        """,
    )
    run = wait_for(t.client, start(t.client, "tolerant")["id"])
    assert run["status"] == "succeeded", run
    assert run["outputs"]["results"][0] == 100
    assert run["outputs"]["results"][1] is None
    assert run["outputs"]["results"][2] == 25


def test_failure_fails_the_run_with_the_step_and_reason(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: broken}
        steps:
          - id: boom
            type: transform
            output: ${{ 1 / 0 }}
          - id: after
            type: transform
            needs: [boom]
            output: never
        """,
    )
    run = wait_for(t.client, start(t.client, "broken")["id"])
    assert run["status"] == "failed"
    assert run["error"]["step"] == "boom"
    assert "boom" in run["reason"]
    assert step(run, "after")["status"] == "cancelled"
    assert get_run(t.client, run["id"])["finished_at"] is not None
