"""Cancelling a run, and resuming a failed or cancelled one without redoing finished work."""

from __future__ import annotations

from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


def test_cancel_run_cancels_every_unfinished_step_and_keeps_finished_ones() -> None:
    run = Driver("""
    steps:
      - {id: done, type: http, url: "https://api.example.com/a"}
      - {id: call, type: http, url: "https://api.example.com/b"}
      - {id: review, type: approval, message: ok?}
      - {id: later, type: transform, needs: [call], output: 1}
      - id: fan
        type: parallel
        branches:
          - name: one
            steps: [{id: inner, type: http, url: "https://api.example.com/c"}]
    """).start()
    run.succeed("done", "kept")

    run.cancel("stopped by ann")

    assert run.statuses() == {
        "done": "succeeded",
        "call": "cancelled",
        "review": "cancelled",
        "later": "cancelled",
        "fan": "cancelled",
        "fan/one/inner": "cancelled",
    }
    assert run.output("done") == "kept"
    assert run.instance("call").reason == "stopped by ann"
    assert run.run_status() is RunStatus.CANCELLED
    assert run.state.reason == "stopped by ann"
    assert run.state.error == {"code": "cancelled", "message": "stopped by ann"}
    assert run.state.finished_at == run.now
    assert run.events()[-1] == ("run_finished", None)


def test_cancel_run_names_the_waiting_child_runs_to_cancel() -> None:
    run = Driver("""
    steps:
      - {id: child, type: subworkflow, workflow: other}
    """).start()
    run.lease("child")
    run.apply(lambda p: p.wait("child", None, {"kind": "child_run", "child_run_id": "run-9"}))

    run.cancel()

    assert run.cancelled_children == ["run-9"]
    assert run.status("child") is StepStatus.CANCELLED


def test_cancel_run_can_end_the_run_as_timed_out() -> None:
    run = Driver("""
    steps:
      - {id: call, type: http, url: "https://api.example.com"}
    """).start()

    run.apply(lambda p: p.cancel_run("the run exceeded its timeout", status=RunStatus.TIMED_OUT))

    assert run.run_status() is RunStatus.TIMED_OUT
    assert run.state.error == {"code": "timed_out", "message": "the run exceeded its timeout"}


def test_cancelling_a_compensating_run_cancels_the_compensation() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a", compensate_with: undo}
      - {id: b, type: http, url: "https://api.example.com/b", needs: [a]}
    compensations:
      - {id: undo, type: http, url: "https://api.example.com/undo"}
    """).start()
    run.succeed("a", 1)
    run.fail("b")
    assert run.ready() == ["~compensate/0/undo"]

    run.cancel()

    assert run.status("~compensate/0/undo") is StepStatus.CANCELLED
    assert run.run_status() is RunStatus.CANCELLED


def test_resume_resets_failed_and_cancelled_steps_and_keeps_succeeded_ones() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a"}
      - {id: b, type: http, url: "https://api.example.com/b", needs: [a]}
      - {id: c, type: http, url: "https://api.example.com/c"}
      - {id: d, type: transform, needs: [b, c], output: "${{ [steps.a.output, steps.b.output] }}"}
    outputs:
      result: ${{ steps.d.output }}
    """).start()
    run.succeed("a", "A")
    run.fail("b", "HTTP_500")
    assert run.run_status() is RunStatus.FAILED

    reset = run.resume()

    assert sorted(reset) == ["b", "c", "d"]
    assert run.run_status() is RunStatus.RUNNING
    assert (run.state.error, run.state.outputs, run.state.finished_at) == (None, None, None)
    assert run.status("a") is StepStatus.SUCCEEDED
    assert (run.output("a"), run.instance("a").attempt) == ("A", 1)
    assert run.ready() == ["b", "c"]
    assert run.instance("b").attempt == 0
    assert run.instance("b").error is None
    assert run.history("run_resumed")[0].data["steps"] == reset

    run.succeed("b", "B")
    run.succeed("c", "C")
    assert run.run_status() is RunStatus.SUCCEEDED
    assert run.state.outputs == {"result": ["A", "B"]}


def test_resume_decides_again_the_skips_that_followed_from_the_failure() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a", on_error: continue}
      - id: b
        type: transform
        needs: [a]
        if: "${{ steps.a.status == 'succeeded' }}"
        output: ran
      - {id: c, type: http, url: "https://api.example.com/c", needs: [b]}
    """).start()
    run.fail("a")
    assert run.status("b") is StepStatus.SKIPPED
    assert run.status("c") is StepStatus.SKIPPED
    run.apply(lambda p: p.cancel_run("retry with a working API"))

    run.resume()
    assert run.ready() == ["a"]
    assert run.status("b") is StepStatus.PENDING

    run.succeed("a", "ok")
    assert run.output("b") == "ran"
    assert run.ready() == ["c"]


def test_resume_restarts_a_foreach_without_redoing_finished_items() -> None:
    run = Driver("""
    inputs:
      items: {type: array}
    steps:
      - id: each
        type: foreach
        items: ${{ inputs.items }}
        max_concurrency: 2
        steps:
          - {id: call, type: http, url: "https://api.example.com"}
    """).start({"items": ["a", "b", "c", "d"]})
    run.succeed("each[0]/call", "A")
    run.succeed("each[1]/call", "B")
    run.fail("each[2]/call")
    assert run.status("each[3]/call") is StepStatus.CANCELLED
    assert run.run_status() is RunStatus.FAILED
    scheduled_before = len(run.history("step_scheduled"))

    run.resume()

    assert run.ready() == ["each[2]/call", "each[3]/call"]
    assert run.instance("each[0]/call").attempt == 1
    # Only the two unfinished items were scheduled again.
    assert len(run.history("step_scheduled")) - scheduled_before == 3  # each, [2], [3]
    run.succeed("each[3]/call", "D")
    run.succeed("each[2]/call", "C")
    assert run.output("each") == ["A", "B", "C", "D"]
    assert run.run_status() is RunStatus.SUCCEEDED


def test_resume_of_a_cancelled_run_waits_again_for_its_approval() -> None:
    run = Driver("""
    steps:
      - {id: review, type: approval, message: ok?}
    """).start()
    run.cancel()

    run.resume()

    assert run.status("review") is StepStatus.WAITING
    assert run.run_status() is RunStatus.WAITING
    run.decide("review", approved=False)
    assert run.output("review")["approved"] is False
    assert run.run_status() is RunStatus.SUCCEEDED
