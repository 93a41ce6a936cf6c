"""Attempts lost with their worker: they do not use up the step's retries, and a resumed step
starts with a fresh count of them."""

from __future__ import annotations

from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

RETRIED = """
steps:
  - id: call
    type: http
    url: "https://api.example.com"
    retry: {max_attempts: 3, backoff: fixed, initial: 1s, jitter: false}
"""


def lose_lease(run: Driver, key: str) -> None:
    """A worker leases the step and dies; the sweeper takes its lease back."""
    instance = run.lease(key)
    instance.lease_losses += 1
    instance.status = StepStatus.READY
    instance.ready_at = run.now


def test_attempts_lost_with_their_worker_do_not_use_up_the_retries() -> None:
    run = Driver(RETRIED).start()
    lose_lease(run, "call")
    run.fail("call", "HTTP_503", retryable=True)
    run.advance(seconds=1)
    lose_lease(run, "call")
    run.fail("call", "HTTP_503", retryable=True)

    # Four attempts were leased, two ended: the third of three may still come.
    assert run.instance("call").attempt == 4
    assert run.status("call") is StepStatus.READY
    assert [e.data["delay_ms"] for e in run.history("step_retried")] == [1_000, 1_000]

    run.advance(seconds=1)
    run.succeed("call", {"status": 200})
    assert run.run_status() is RunStatus.SUCCEEDED


def test_the_retries_still_end_after_max_attempts_that_ended() -> None:
    run = Driver(RETRIED).start()
    for _ in range(3):
        lose_lease(run, "call")
        run.fail("call", "HTTP_503", retryable=True)
        run.advance(seconds=1)

    assert run.status("call") is StepStatus.FAILED
    assert run.instance("call").attempt == 6
    assert run.run_status() is RunStatus.FAILED


def test_resume_gives_the_step_a_fresh_count_of_lost_leases() -> None:
    run = Driver(RETRIED).start()
    lose_lease(run, "call")
    lose_lease(run, "call")
    for _ in range(3):
        run.fail("call", "HTTP_503", retryable=True)
        run.advance(seconds=1)
    assert run.run_status() is RunStatus.FAILED

    run.resume()

    instance = run.instance("call")
    assert (instance.attempt, instance.lease_losses) == (0, 0)
    for _ in range(2):
        run.fail("call", "HTTP_503", retryable=True)
        run.advance(seconds=1)
    assert run.status("call") is StepStatus.READY  # two of three attempts used, not five
