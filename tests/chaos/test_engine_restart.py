"""Timers and approvals survive the loss of every worker: they resume where they were.

Two runs wait, one on a 2.5 s delay and one on an approval, after an http step each. Every worker
is killed (SIGKILL) and the timer's due time passes with no worker alive. A new worker then fires
the timer once and the run continues from there; the approval is decided through the engine after
the restart and its run finishes. The http steps before the waits ran once: nothing restarted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from engine_probe import TERMINAL, EngineProbe, check_history, seconds, utc_now
from processes import Workers, eventually, wait_until

from flowwright.kernel.ids import new_id
from flowwright.workflow.domain.runs.state import RunState
from sink import Sink

pytestmark = pytest.mark.slow

TIMER = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: restart-timer}
inputs: {tag: {type: string, required: true}}
outputs:
  before: ${{ steps.before.output.body.echo.tag }}
  after: ${{ steps.after.output.body.echo.step }}
steps:
  - id: before
    type: http
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-before"
    body: {tag: "${{ inputs.tag }}"}
  - id: nap
    type: delay
    needs: [before]
    duration: 2500ms
  - id: after
    type: http
    needs: [nap]
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-after"
    body: {step: after}
"""

APPROVAL = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: restart-approval}
inputs: {tag: {type: string, required: true}}
outputs:
  approved: ${{ steps.ask.output.approved }}
  comment: ${{ steps.ask.output.comment }}
  after: ${{ steps.after.output.body.echo.approved }}
steps:
  - id: before
    type: http
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-before"
    body: {tag: "${{ inputs.tag }}"}
  - id: ask
    type: approval
    needs: [before]
    message: "Ship ${{ inputs.tag }}?"
  - id: after
    type: http
    needs: [ask]
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-after"
    body: {approved: "${{ steps.ask.output.approved }}"}
"""


async def test_timers_and_approvals_resume_after_every_worker_was_killed(
    probe: EngineProbe, chaos_sink: Sink, make_workers: Callable[..., Workers]
) -> None:
    began = time.monotonic()
    await probe.publish(TIMER.replace("SINK", chaos_sink.url))
    await probe.publish(APPROVAL.replace("SINK", chaos_sink.url))
    workers = make_workers()
    for _ in range(2):
        workers.start()
    timer_tag, approval_tag = f"timer-{new_id()[-10:]}", f"approval-{new_id()[-10:]}"
    timer_run = (await probe.start("restart-timer", {"tag": timer_tag})).run_id
    approval_run = (await probe.start("restart-approval", {"tag": approval_tag})).run_id

    def waiting_at(key: str) -> Callable[[RunState], bool]:
        def accept(state: RunState) -> bool:
            instance = state.instances.get(key)
            return instance is not None and instance.status.value == "waiting"

        return accept

    waiting = await eventually(
        lambda: probe.run(timer_run), waiting_at("nap"), within=60, what="the timer to be set"
    )
    await eventually(
        lambda: probe.run(approval_run),
        waiting_at("ask"),
        within=60,
        what="the approval to be requested",
    )
    wake_at = waiting.instances["nap"].wake_at
    assert wake_at is not None

    workers.kill_all()
    assert workers.live() == []
    killed_at = utc_now()
    assert killed_at < wake_at, "the workers must die before the timer is due"
    # Past the timer's due time, with no worker: nothing may have happened meanwhile.
    wait_until(lambda: utc_now() > wake_at + seconds(1.0), 10, "the timer's due time to pass")
    idle = await probe.run(timer_run)
    assert idle.status.value == "waiting" and idle.instances["nap"].status.value == "waiting"

    restarted = workers.start()
    restarted_at = utc_now()
    timer_done = await eventually(
        lambda: probe.run(timer_run),
        lambda s: s.status.value in TERMINAL,
        within=60,
        what="the timer run to finish after the restart",
    )
    decided = await probe.container.run_engine.decide(
        probe.caller, approval_run, "ask", approved=True, comment="after the restart"
    )
    assert decided.instances["ask"].status.value == "succeeded"
    approval_done = await eventually(
        lambda: probe.run(approval_run),
        lambda s: s.status.value in TERMINAL,
        within=60,
        what="the approval run to finish",
    )
    workers.kill_all()

    assert restarted.is_ready(), workers.logs()
    assert timer_done.status.value == "succeeded", timer_done.error
    assert timer_done.outputs == {"before": timer_tag, "after": "after"}
    assert approval_done.status.value == "succeeded", approval_done.error
    assert approval_done.outputs == {
        "approved": True,
        "comment": "after the restart",
        "after": True,
    }

    # Each http step ran once: the waits resumed, nothing started over.
    for tag in (timer_tag, approval_tag):
        assert chaos_sink.calls[f"{tag}-before"] == 1
        assert chaos_sink.calls[f"{tag}-after"] == 1
    expected = {
        f"{timer_run}/before",
        f"{timer_run}/after",
        f"{approval_run}/before",
        f"{approval_run}/after",
    }
    assert {k for k in chaos_sink.applied if k in expected} == expected
    assert all(chaos_sink.deliveries[k] == 1 for k in expected)

    timer_history = await probe.history(timer_run)
    approval_history = await probe.history(approval_run)
    assert check_history(timer_run, timer_history) == []
    assert check_history(approval_run, approval_history) == []
    timer_types = [h.type for h in timer_history]
    assert timer_types.count("timer_set") == 1
    assert timer_types.count("timer_fired") == 1
    fired = next(h for h in timer_history if h.type == "timer_fired")
    assert fired.at >= restarted_at - seconds(0.5), "the timer fired before the restart"
    assert [h.step_key for h in timer_history if h.type == "step_started"].count("before") == 1
    approval_types = [h.type for h in approval_history]
    assert approval_types.count("approval_requested") == 1
    assert approval_types.count("approval_decided") == 1
    assert [h.step_key for h in approval_history if h.type == "step_started"].count("before") == 1
    print(
        f"\n[restart/{probe.backend}] {time.monotonic() - began:.1f}s; "
        f"timer fired {(fired.at - wake_at).total_seconds():.2f}s after its due time"
    )
