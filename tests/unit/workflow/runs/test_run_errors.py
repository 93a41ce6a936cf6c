"""on_error (continue, goto, fail), failures cancelling their scope, and expression errors."""

from __future__ import annotations

from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


def test_on_error_continue_marks_the_step_failed_and_its_dependents_run() -> None:
    run = Driver("""
    steps:
      - {id: lookup, type: http, url: "https://api.example.com", on_error: continue}
      - id: report
        type: transform
        needs: [lookup]
        output: >-
          ${{ steps.lookup.status }}/${{ steps.lookup.error.code }}/${{ steps.lookup.output }}
    """).start()

    run.fail("lookup", "HTTP_404")

    assert run.status("lookup") is StepStatus.FAILED
    assert run.output("lookup") is None
    assert run.output("report") == "failed/HTTP_404/"
    assert run.run_status() is RunStatus.SUCCEEDED


def test_on_error_goto_runs_the_handler_with_the_error_and_the_run_succeeds() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: alert}}
      - {id: alert, type: transform, output: "${{ steps.charge.error.message }}"}
    """).start()

    run.fail("charge", message="card declined")

    assert run.output("alert") == "card declined"
    assert run.instance("charge").handled
    assert run.run_status() is RunStatus.SUCCEEDED


def test_on_error_fail_cancels_the_unfinished_steps_of_the_scope_and_fails_the_run() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a"}
      - {id: b, type: http, url: "https://api.example.com/b"}
      - {id: c, type: transform, needs: [a, b], output: 1}
      - {id: d, type: transform, output: done}
    """).start()

    run.fail("a", "HTTP_500", message="server error")

    assert run.statuses() == {"a": "failed", "b": "cancelled", "c": "cancelled", "d": "succeeded"}
    assert run.instance("b").reason == "a failed"
    assert run.run_status() is RunStatus.FAILED
    assert run.state.reason == "step a failed"
    assert run.state.error == {"step": "a", "code": "HTTP_500", "message": "server error"}
    assert run.state.finished_at == run.now


def test_a_failure_deep_inside_containers_reaches_the_run() -> None:
    run = Driver("""
    steps:
      - id: outer
        type: foreach
        items: "${{ [1] }}"
        steps:
          - id: inner
            type: parallel
            branches:
              - name: only
                steps: [{id: call, type: http, url: "https://api.example.com"}]
    """).start()

    run.fail("outer[0]/inner/only/call", "HTTP_502")

    assert run.status("outer[0]/inner") is StepStatus.FAILED
    assert run.status("outer") is StepStatus.FAILED
    assert run.run_status() is RunStatus.FAILED
    assert run.state.error is not None
    assert run.state.error["code"] == "HTTP_502"
    assert run.state.error["failed_step"] == "outer[0]/inner"


def test_an_expression_error_in_an_output_fails_the_step_with_expression_error() -> None:
    run = Driver("""
    inputs:
      text: {type: string}
    steps:
      - {id: parse, type: transform, output: "${{ int(inputs.text) }}"}
    """).start({"text": "not a number"})

    error = run.instance("parse").error
    assert error is not None and error["code"] == "expression_error"
    assert run.instance("parse").attempt == 1  # never retried
    assert run.run_status() is RunStatus.FAILED


def test_an_expression_error_in_a_condition_fails_the_step() -> None:
    run = Driver("""
    inputs:
      text: {type: string}
    steps:
      - {id: gate, type: transform, if: "${{ int(inputs.text) > 1 }}", output: 1}
    """).start({"text": "x"})

    error = run.instance("gate").error
    assert error is not None and error["code"] == "expression_error"
    assert error["message"].startswith("if: ")
    assert run.run_status() is RunStatus.FAILED


def test_an_expression_error_in_a_switch_case_fails_the_switch() -> None:
    run = Driver("""
    inputs:
      text: {type: string}
    steps:
      - {id: route, type: switch, cases: [{when: "${{ int(inputs.text) > 1 }}", goto: [a]}]}
      - {id: a, type: transform, needs: [route], output: 1}
    """).start({"text": "x"})

    assert run.status("route") is StepStatus.FAILED
    assert run.status("a") is StepStatus.CANCELLED
    assert run.run_status() is RunStatus.FAILED


def test_an_expression_error_routed_to_a_handler_is_handled_like_any_failure() -> None:
    run = Driver("""
    inputs:
      text: {type: string}
    steps:
      - {id: parse, type: transform, output: "${{ int(inputs.text) }}", on_error: {goto: fallback}}
      - {id: fallback, type: transform, output: "${{ steps.parse.error.code }}"}
    """).start({"text": "x"})

    assert run.output("fallback") == "expression_error"
    assert run.run_status() is RunStatus.SUCCEEDED
