"""on_error, compensation and resume: failures handled, undone, or resumed without redoing work."""

from __future__ import annotations

from collections.abc import Callable

from sink import Sink
from testkit import TenantHandle
from workflow_helpers import push, start, step, wait_for


def test_on_error_continue_and_goto(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    push(
        t.client,
        """
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {name: handled}
        outputs:
          soft: ${{ steps.after_soft.output }}
          recovered: ${{ steps.fallback.output }}
        steps:
          - {id: soft, type: transform, output: "${{ 1 / 0 }}", on_error: continue}
          - {id: after_soft, type: transform, needs: [soft], output: "${{ steps.soft.status }}"}
          - {id: hard, type: transform, output: "${{ 1 / 0 }}", on_error: {goto: fallback}}
          - {id: after_hard, type: transform, needs: [hard], output: never}
          - {id: fallback, type: transform, output: "${{ steps.hard.error.code }}"}
        """,
    )
    done = wait_for(t.client, start(t.client, "handled")["id"])
    assert done["status"] == "succeeded", done
    assert done["outputs"] == {"soft": "failed", "recovered": "expression_error"}
    assert step(done, "after_hard")["status"] == "skipped"


def test_compensations_run_in_reverse_order_when_the_run_fails(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    base = f"{sink.url}/ok/{t.slug}"
    push(
        t.client,
        f"""
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {{name: saga}}
        steps:
          - {{id: reserve, type: http, method: POST, url: "{base}-reserve",
             compensate_with: release}}
          - {{id: charge, type: http, method: POST, url: "{base}-charge", needs: [reserve],
             compensate_with: refund}}
          - {{id: ship, type: transform, needs: [charge], output: "${{{{ 1 / 0 }}}}"}}
        compensations:
          - {{id: refund, type: http, method: POST, url: "{base}-refund"}}
          - {{id: release, type: http, method: POST, url: "{base}-release"}}
        """,
    )
    done = wait_for(t.client, start(t.client, "saga")["id"])
    assert done["status"] == "failed"
    assert done["error"]["step"] == "ship"
    order = [r["path"].rsplit("-", 1)[-1] for r in sink.requests if t.slug in r["path"]]
    assert order == ["reserve", "charge", "refund", "release"]


def test_resume_reruns_only_the_failed_steps(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    first, second = f"{t.slug}-first", f"{t.slug}-second"
    push(
        t.client,
        f"""
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {{name: resumable}}
        outputs: {{second: "${{{{ steps.second.output.body.count }}}}"}}
        steps:
          - {{id: first, type: http, method: POST, url: "{sink.url}/ok/{first}"}}
          - id: second
            type: http
            method: POST
            url: "{sink.url}/fail/1/{second}"
            needs: [first]
            retry: {{max_attempts: 1}}
        """,
    )
    run = wait_for(t.client, start(t.client, "resumable")["id"])
    assert run["status"] == "failed"
    resumed = t.client.post(f"/v1/runs/{run['id']}/resume")
    assert resumed.status_code == 200, resumed.text
    done = wait_for(t.client, run["id"])
    assert done["status"] == "succeeded", done
    assert sink.calls[first] == 1  # finished work is reused, never repeated
    assert sink.calls[second] == 2
    assert done["outputs"] == {"second": 2}
    assert t.client.post(f"/v1/runs/{run['id']}/resume").status_code == 422
