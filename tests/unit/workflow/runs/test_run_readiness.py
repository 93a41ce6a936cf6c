"""Readiness and the skip rules of docs/dsl.md §9, on compiled definitions."""

from __future__ import annotations

import pytest
from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


def test_steps_without_needs_are_ready_at_start_and_a_step_waits_for_all_its_needs() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a"}
      - {id: b, type: http, url: "https://api.example.com/b"}
      - {id: c, type: http, url: "https://api.example.com/c", needs: [a, b]}
    """).start()

    assert run.ready() == ["a", "b"]
    assert run.status("c") is StepStatus.PENDING
    assert run.run_status() is RunStatus.RUNNING

    run.succeed("a", 1)
    assert run.status("c") is StepStatus.PENDING
    run.succeed("b", 2)
    assert run.ready() == ["c"]
    run.succeed("c", 3)
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_chain_of_compute_steps_finishes_in_the_transition_that_starts_it() -> None:
    run = Driver("""
    inputs:
      n: {type: integer}
    steps:
      - {id: double, type: transform, output: "${{ inputs.n * 2 }}"}
      - {id: plus_one, type: transform, needs: [double], output: "${{ steps.double.output + 1 }}"}
    outputs:
      result: ${{ steps.plus_one.output }}
    """).start({"n": 20})

    assert run.statuses() == {"double": "succeeded", "plus_one": "succeeded"}
    assert run.run_status() is RunStatus.SUCCEEDED
    assert run.state.outputs == {"result": 41}


@pytest.mark.parametrize(("flag", "expected"), [(True, "succeeded"), (False, "skipped")])
def test_rule_1_a_false_condition_skips_the_step(flag: bool, expected: str) -> None:
    run = Driver("""
    inputs:
      flag: {type: boolean}
    steps:
      - {id: maybe, type: transform, if: "${{ inputs.flag }}", output: ran}
    """).start({"flag": flag})

    assert run.status("maybe").value == expected
    assert run.run_status() is RunStatus.SUCCEEDED
    if not flag:
        assert run.instance("maybe").reason == "its condition is false"
        assert run.output("maybe") is None


def test_rule_2_a_switch_runs_only_the_targets_of_the_chosen_case() -> None:
    body = """
    inputs:
      size: {type: integer}
    steps:
      - id: route
        type: switch
        cases:
          - {when: "${{ inputs.size > 100 }}", goto: [big]}
          - {when: "${{ inputs.size > 10 }}", goto: [medium]}
        default: [small]
      - {id: big, type: transform, needs: [route], output: big}
      - {id: medium, type: transform, needs: [route], output: medium}
      - {id: small, type: transform, needs: [route], output: small}
    """
    medium = Driver(body).start({"size": 50})
    assert medium.output("route") == {"case": 1}
    assert medium.statuses() == {
        "route": "succeeded",
        "big": "skipped",
        "medium": "succeeded",
        "small": "skipped",
    }
    assert medium.instance("big").reason == "switch route did not choose it"

    small = Driver(body).start({"size": 1})
    assert small.output("route") == {"case": "default"}
    assert [k for k, s in small.statuses().items() if s == "succeeded"] == ["route", "small"]


def test_rule_3_a_step_whose_needs_were_all_skipped_is_skipped_too() -> None:
    run = Driver("""
    steps:
      - {id: off, type: transform, if: "${{ false }}", output: 1}
      - {id: also_off, type: transform, if: "${{ 1 > 2 }}", output: 2}
      - {id: after, type: transform, needs: [off, also_off], output: 3}
      - {id: later, type: transform, needs: [after], output: 4}
    """).start()

    assert run.statuses() == {
        "off": "skipped",
        "also_off": "skipped",
        "after": "skipped",
        "later": "skipped",
    }
    assert run.instance("after").reason == "every step it needs was skipped"
    assert run.run_status() is RunStatus.SUCCEEDED


@pytest.mark.parametrize(("vip", "expected"), [(True, "gold"), (False, "standard")])
def test_a_join_after_a_switch_runs_because_one_of_its_needs_ran(vip: bool, expected: str) -> None:
    run = Driver("""
    inputs:
      vip: {type: boolean}
    steps:
      - {id: route, type: switch, cases: [{when: "${{ inputs.vip }}", goto: [vip]}], default: [std]}
      - {id: vip, type: transform, needs: [route], output: gold}
      - {id: std, type: transform, needs: [route], output: standard}
      - id: join
        type: transform
        needs: [vip, std]
        output: "${{ steps.vip.output ?? steps.std.output }}"
    """).start({"vip": vip})

    assert run.status("join") is StepStatus.SUCCEEDED
    assert run.output("join") == expected


def test_rule_4_a_failure_routed_to_a_handler_skips_the_dependents_and_runs_the_handler() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: refund}}
      - {id: receipt, type: transform, needs: [charge], output: sent}
      - {id: refund, type: transform, output: "${{ steps.charge.error.code }}"}
    """).start()

    run.fail("charge", "HTTP_502")

    assert run.statuses() == {"charge": "failed", "receipt": "skipped", "refund": "succeeded"}
    assert run.instance("receipt").reason == ("charge failed and its handler refund ran instead")
    assert run.output("refund") == "HTTP_502"
    # The failure was handled: the run goes on and succeeds.
    assert run.run_status() is RunStatus.SUCCEEDED


def test_rule_5_a_handler_is_skipped_when_nothing_it_handles_failed() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: refund}}
      - {id: receipt, type: transform, needs: [charge], output: sent}
      - {id: refund, type: transform, output: refunded}
    """).start()

    run.succeed("charge", {"ok": True})

    assert run.statuses() == {"charge": "succeeded", "receipt": "succeeded", "refund": "skipped"}
    assert run.instance("refund").reason == "no step it handles failed"
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_step_after_an_unused_handler_is_skipped_and_the_run_ends() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: refund}}
      - {id: refund, type: transform, output: refunded}
      - {id: notify, type: transform, needs: [refund], output: told}
    """).start()

    run.succeed("charge", {"ok": True})

    assert run.statuses() == {"charge": "succeeded", "refund": "skipped", "notify": "skipped"}
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_step_after_a_handler_that_ran_runs() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: refund}}
      - {id: refund, type: transform, output: refunded}
      - {id: notify, type: transform, needs: [refund], output: "${{ steps.refund.output }}"}
    """).start()

    run.fail("charge")

    assert run.statuses() == {"charge": "failed", "refund": "succeeded", "notify": "succeeded"}
    assert run.output("notify") == "refunded"
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_handler_waits_only_for_the_steps_it_handles() -> None:
    run = Driver("""
    steps:
      - {id: charge, type: http, url: "https://pay.example.com", on_error: {goto: refund}}
      - {id: refund, type: transform, output: refunded}
      - {id: slow, type: http, url: "https://slow.example.com"}
    """).start()

    run.succeed("charge", 1)

    assert run.status("refund") is StepStatus.SKIPPED
    assert run.status("slow") is StepStatus.READY
    assert run.run_status() is RunStatus.RUNNING


def test_refresh_status_tells_running_from_waiting() -> None:
    run = Driver("""
    steps:
      - {id: review, type: approval, message: "Ship it?"}
      - {id: call, type: http, url: "https://api.example.com/a"}
    """).start()
    # A step a worker can run: running.
    assert run.run_status() is RunStatus.RUNNING

    run.succeed("call", 1)
    # Only a person can move it now: waiting, with a reason.
    assert run.run_status() is RunStatus.WAITING
    assert run.state.reason == "waiting for a timer, an approval or a child run"

    run.decide("review", approved=True)
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_container_with_runnable_steps_inside_keeps_the_run_running() -> None:
    run = Driver("""
    steps:
      - id: fan
        type: parallel
        branches:
          - name: one
            steps: [{id: call, type: http, url: "https://api.example.com/a"}]
    """).start()

    assert run.status("fan") is StepStatus.WAITING
    assert run.run_status() is RunStatus.RUNNING


def test_history_records_each_decision_in_order() -> None:
    run = Driver("""
    steps:
      - {id: fetch, type: http, url: "https://api.example.com/a"}
      - {id: off, type: transform, needs: [fetch], if: "${{ false }}", output: 1}
      - {id: shape, type: transform, needs: [fetch], output: "${{ steps.fetch.output }}"}
    """).start()
    run.succeed("fetch", {"n": 1})

    assert run.events() == [
        ("run_started", None),
        ("step_scheduled", "fetch"),
        ("step_succeeded", "fetch"),
        ("step_skipped", "off"),
        ("step_scheduled", "shape"),
        ("step_succeeded", "shape"),
        ("run_finished", None),
    ]
    finished = run.history("run_finished")[0]
    assert finished.data["status"] == "succeeded"
    assert run.history("step_succeeded")[0].attempt == 1


def test_a_step_end_decides_what_follows_it_transitively_in_the_definitions_order() -> None:
    run = Driver("""
    steps:
      - {id: fetch, type: http, url: "https://api.example.com/a"}
      - {id: off, type: transform, needs: [fetch], if: "${{ false }}", output: 1}
      - {id: after_off, type: transform, needs: [off], output: 2}
      - {id: last, type: http, url: "https://api.example.com/b", needs: [after_off]}
      - {id: other, type: http, url: "https://api.example.com/c", needs: [fetch]}
      - {id: join, type: transform, needs: [last, other], output: 3}
    """).start()
    run.succeed("fetch", 1)

    # One transition: the skip cascades down the chain, and the sibling becomes ready.
    assert run.events()[3:] == [
        ("step_skipped", "off"),
        ("step_skipped", "after_off"),
        ("step_skipped", "last"),
        ("step_scheduled", "other"),
    ]
    assert run.status("join") is StepStatus.PENDING
    run.succeed("other", 4)
    assert run.status("join") is StepStatus.SUCCEEDED
    assert run.run_status() is RunStatus.SUCCEEDED


def test_the_plan_knows_which_steps_a_step_end_can_decide() -> None:
    plan = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a", on_error: {goto: fix}}
      - {id: b, type: transform, needs: [a], output: 1}
      - {id: c, type: transform, needs: [a, b], output: 2}
      - {id: fix, type: transform, output: 3}
    """).plan

    assert plan.dependents == {
        "a": frozenset({"b", "c", "fix"}),
        "b": frozenset({"c"}),
        "c": frozenset(),
        "fix": frozenset(),
    }
