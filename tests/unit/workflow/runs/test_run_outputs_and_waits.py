"""Vars when a run starts, outputs when it ends, and the steps that wait (delay, approval)."""

from __future__ import annotations

from datetime import timedelta

from run_driver import T0, Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


def test_vars_are_rendered_at_start_and_outputs_at_the_end() -> None:
    run = Driver("""
    inputs:
      title: {type: string}
      severity: {type: string}
    vars:
      subject: "[${{ upper(inputs.severity) }}] ${{ inputs.title }}"
      run_id: ${{ run.id }}
    steps:
      - id: send
        type: http
        method: POST
        url: "https://mail.example.com"
        body: {subject: "${{ vars.subject }}"}
      - {id: off, type: transform, if: "${{ false }}", output: 1}
    outputs:
      subject: ${{ vars.subject }}
      status: ${{ steps.send.output.status }}
      skipped: ${{ steps.off.output }}
      summary: "${{ inputs.title }} -> ${{ steps.send.status }}"
    """).start({"title": "Disk full", "severity": "high"})

    assert run.state.vars == {"subject": "[HIGH] Disk full", "run_id": "run-1"}
    assert run.state.outputs is None

    run.succeed("send", {"status": 202, "headers": {}, "body": None})

    assert run.state.outputs == {
        "subject": "[HIGH] Disk full",
        "status": 202,
        "skipped": None,
        "summary": "Disk full -> succeeded",
    }
    finished = run.history("run_finished")[0]
    assert finished.data["outputs"] == run.state.outputs


def test_a_var_that_cannot_be_rendered_fails_the_run_before_any_step() -> None:
    run = Driver("""
    inputs:
      count: {type: string}
    vars:
      n: ${{ int(inputs.count) }}
    steps:
      - {id: a, type: transform, output: 1}
    """).start({"count": "many"})

    assert run.run_status() is RunStatus.FAILED
    assert run.state.error is not None
    assert (run.state.error["code"], run.state.error["var"]) == ("expression_error", "n")
    assert run.state.reason is not None and run.state.reason.startswith("vars.n: ")
    assert run.state.instances == {}


def test_an_output_that_cannot_be_rendered_fails_the_run() -> None:
    run = Driver("""
    steps:
      - {id: a, type: transform, output: "abc"}
    outputs:
      number: ${{ int(steps.a.output) }}
    """).start()

    assert run.status("a") is StepStatus.SUCCEEDED
    assert run.run_status() is RunStatus.FAILED
    assert run.state.error is not None
    assert (run.state.error["code"], run.state.error["output"]) == ("expression_error", "number")
    assert run.state.reason is not None and run.state.reason.startswith("output number: ")


def test_a_delay_waits_until_its_timer_fires() -> None:
    run = Driver("""
    steps:
      - {id: cool_down, type: delay, duration: 15m}
      - {id: after, type: transform, needs: [cool_down], output: done}
    """).start()

    assert run.status("cool_down") is StepStatus.WAITING
    assert run.instance("cool_down").wake_at == T0 + timedelta(minutes=15)
    assert run.run_status() is RunStatus.WAITING

    run.advance(minutes=15)
    run.fire("cool_down")

    assert run.output("cool_down") == {"fired_at": run.now.isoformat()}
    assert run.output("after") == "done"
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_delay_until_a_time_given_by_an_expression() -> None:
    run = Driver("""
    inputs:
      at: {type: string}
    steps:
      - {id: wait, type: delay, until: "${{ inputs.at }}"}
    """).start({"at": "2026-03-02T10:00:00+00:00"})

    assert run.instance("wait").wake_at == T0 + timedelta(days=1, hours=1)


def test_a_delay_until_a_time_without_a_zone_fails_the_step() -> None:
    run = Driver("""
    inputs:
      at: {type: string}
    steps:
      - {id: wait, type: delay, until: "${{ inputs.at }}"}
    """).start({"at": "2026-03-02T10:00:00"})

    error = run.instance("wait").error
    assert error is not None and error["code"] == "invalid_until"
    assert run.run_status() is RunStatus.FAILED


APPROVAL = """
inputs:
  title: {{type: string}}
steps:
  - id: review
    type: approval
    message: "Publish ${{{{ inputs.title }}}}?"
    approvers: {{roles: [editor]}}
    timeout: 1h
    on_timeout: {policy}
"""


def test_an_approval_records_its_request_and_the_decision() -> None:
    run = Driver(APPROVAL.format(policy="reject")).start({"title": "post"})
    waiting = run.instance("review")
    assert waiting.state["message"] == "Publish post?"
    assert waiting.state["approver_roles"] == ["editor"]
    assert waiting.wake_at == T0 + timedelta(hours=1)

    run.decide("review", approved=True, by="user-7")

    output = run.output("review")
    assert (output["approved"], output["decided_by"], output["timed_out"]) == (
        True,
        "user-7",
        False,
    )
    assert [e.type for e in run.history() if e.step_key == "review"] == [
        "step_scheduled",
        "approval_requested",
        "approval_decided",
        "step_succeeded",
    ]


def test_an_approval_timeout_follows_its_policy() -> None:
    rejected = Driver(APPROVAL.format(policy="reject")).start({"title": "x"})
    rejected.advance(hours=1)
    rejected.fire("review")
    assert rejected.output("review")["approved"] is False
    assert rejected.output("review")["decided_by"] is None

    approved = Driver(APPROVAL.format(policy="approve")).start({"title": "x"})
    approved.advance(hours=1)
    approved.fire("review")
    assert approved.output("review")["approved"] is True

    failed = Driver(APPROVAL.format(policy="fail")).start({"title": "x"})
    failed.advance(hours=1)
    failed.fire("review")
    error = failed.instance("review").error
    assert error is not None and error["code"] == "approval_timeout"
    assert failed.run_status() is RunStatus.FAILED
