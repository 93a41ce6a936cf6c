"""Compensation: reverse completion order, one at a time, each at most once, failures recorded."""

from __future__ import annotations

from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

BOOKING = """
steps:
  - {id: flight, type: http, url: "https://air.example.com", compensate_with: cancel_flight}
  - {id: hotel, type: http, url: "https://inn.example.com", compensate_with: cancel_hotel}
  - {id: car, type: http, url: "https://car.example.com", compensate_with: cancel_car}
  - {id: pay, type: http, url: "https://pay.example.com", needs: [flight, hotel, car]}
compensations:
  - id: cancel_flight
    type: http
    method: POST
    url: "https://air.example.com/cancel"
    body: {booking: "${{ steps.flight.output.body.id }}"}
  - {id: cancel_hotel, type: http, url: "https://inn.example.com/cancel"}
  - {id: cancel_car, type: http, url: "https://car.example.com/cancel"}
"""


def test_compensations_run_one_at_a_time_in_reverse_completion_order() -> None:
    run = Driver(BOOKING).start()
    run.succeed("hotel", {"id": "H1"})
    run.succeed("flight", {"id": "F1"})
    run.succeed("car", {"id": "C1"})

    run.fail("pay", "HTTP_402")

    # The run is not over while it compensates.
    assert run.run_status() is RunStatus.RUNNING
    assert run.ready() == ["~compensate/0/cancel_car"]
    run.succeed("~compensate/0/cancel_car")
    assert run.ready() == ["~compensate/1/cancel_flight"]
    assert run.instance("~compensate/1/cancel_flight").state == {"compensates": "flight"}
    run.succeed("~compensate/1/cancel_flight")
    assert run.ready() == ["~compensate/2/cancel_hotel"]
    run.succeed("~compensate/2/cancel_hotel")

    assert run.run_status() is RunStatus.FAILED
    assert run.state.reason == "step pay failed"
    assert run.state.error is not None
    assert run.state.error["step"] == "pay"
    assert run.state.error["compensation_failed"] == []
    started = run.history("compensation_started")[0]
    assert started.data["steps"] == ["car", "flight", "hotel"]


def test_only_steps_that_succeeded_are_compensated() -> None:
    run = Driver(BOOKING).start()
    run.succeed("flight", {"id": "F1"})

    run.fail("hotel")

    # hotel failed and car was cancelled: only the flight is undone.
    assert run.ready() == ["~compensate/0/cancel_flight"]
    run.succeed("~compensate/0/cancel_flight")
    assert run.run_status() is RunStatus.FAILED
    assert not any(key.endswith(("cancel_hotel", "cancel_car")) for key in run.state.instances)


def test_a_compensation_reads_the_output_of_the_step_it_undoes() -> None:
    run = Driver("""
    steps:
      - {id: order, type: http, url: "https://shop.example.com", compensate_with: undo}
      - {id: pay, type: http, url: "https://pay.example.com", needs: [order]}
    compensations:
      - {id: undo, type: transform, output: "cancel ${{ steps.order.output.body.id }}"}
    """).start()
    run.succeed("order", {"status": 201, "body": {"id": "O-7"}})

    run.fail("pay")

    assert run.output("~compensate/0/undo") == "cancel O-7"
    assert run.run_status() is RunStatus.FAILED
    assert run.state.error is not None and run.state.error["compensation_failed"] == []


def test_a_compensation_step_runs_at_most_once() -> None:
    run = Driver("""
    steps:
      - {id: a, type: http, url: "https://api.example.com/a", compensate_with: undo}
      - {id: b, type: http, url: "https://api.example.com/b", compensate_with: undo}
      - {id: c, type: http, url: "https://api.example.com/c", needs: [a, b]}
    compensations:
      - {id: undo, type: http, url: "https://api.example.com/undo"}
    """).start()
    run.succeed("a", 1)
    run.succeed("b", 2)

    run.fail("c")

    assert run.ready() == ["~compensate/0/undo"]
    assert run.instance("~compensate/0/undo").state == {"compensates": "b"}
    run.succeed("~compensate/0/undo")
    assert run.run_status() is RunStatus.FAILED
    assert [k for k in run.state.instances if k.startswith("~")] == ["~compensate/0/undo"]


def test_a_failed_compensation_is_recorded_and_the_next_one_still_runs() -> None:
    run = Driver(BOOKING).start()
    run.succeed("flight", {"id": "F1"})
    run.succeed("hotel", {"id": "H1"})
    run.succeed("car", {"id": "C1"})
    run.fail("pay")

    run.fail("~compensate/0/cancel_car", "HTTP_500")
    assert run.status("~compensate/0/cancel_car") is StepStatus.FAILED
    run.succeed("~compensate/1/cancel_hotel")
    run.succeed("~compensate/2/cancel_flight")

    assert run.run_status() is RunStatus.FAILED
    assert run.state.reason == "step pay failed; 1 compensation(s) failed"
    assert run.state.error is not None
    assert run.state.error["compensation_failed"] == ["~compensate/0/cancel_car"]


def test_a_run_without_compensations_to_run_fails_at_once() -> None:
    run = Driver(BOOKING).start()

    run.fail("flight")

    assert run.run_status() is RunStatus.FAILED
    assert not run.history("compensation_started")
