"""Retries: backoff kinds, the cap, jitter, non-retryable codes, and retry scheduling in a run."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from run_driver import Driver

from flowwright.workflow.domain.runs.retry import Backoff, code_matches
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


def backoff(kind: str, *, jitter: bool = False, **extra: int) -> Backoff:
    settings = {"max_attempts": 5, "initial_ms": 1_000, "max_ms": 10_000, **extra}
    return Backoff(
        max_attempts=settings["max_attempts"],
        kind=kind,
        initial_ms=settings["initial_ms"],
        max_ms=settings["max_ms"],
        jitter=jitter,
        non_retryable=frozenset(),
    )


@pytest.mark.parametrize(
    ("kind", "waits"),
    [
        ("exponential", [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]),
        ("linear", [1_000, 2_000, 3_000, 4_000, 5_000, 6_000]),
        ("fixed", [1_000, 1_000, 1_000, 1_000, 1_000, 1_000]),
    ],
)
def test_the_wait_grows_by_kind_and_is_capped(kind: str, waits: list[int]) -> None:
    policy = backoff(kind)
    assert [policy.delay_ms(n) for n in range(1, 7)] == waits


def test_linear_waits_are_capped_too() -> None:
    assert backoff("linear").delay_ms(50) == 10_000


def test_jitter_only_shortens_the_wait_by_at_most_a_fifth() -> None:
    policy = backoff("exponential", jitter=True)
    rng = random.Random(7)
    waits = [policy.delay_ms(3, rng) for _ in range(500)]

    assert all(3_200 <= wait <= 4_000 for wait in waits)
    assert len(set(waits)) > 50  # it does spread


@pytest.mark.parametrize(
    ("code", "pattern", "matches"),
    [
        ("HTTP_404", "HTTP_4XX", True),
        ("HTTP_429", "HTTP_4XX", True),
        ("HTTP_503", "HTTP_4XX", False),
        ("HTTP_503", "HTTP_5XX", True),
        ("HTTP_4040", "HTTP_4XX", False),
        ("HTTP_4AB", "HTTP_4XX", False),
        ("HTTP_404", "HTTP_404", True),
        ("RATE_LIMITED", "RATE_LIMITED", True),
        ("RATE_LIMITED", "RATE_LIMIT", False),
    ],
)
def test_code_matches_a_family_pattern_or_the_exact_code(
    code: str, pattern: str, matches: bool
) -> None:
    assert code_matches(code, pattern) is matches


def test_allows_retry_needs_a_retryable_error_attempts_left_and_no_matching_pattern() -> None:
    policy = Backoff(3, "fixed", 1_000, 1_000, False, frozenset({"HTTP_4XX"}))

    assert policy.allows_retry(1, "HTTP_503", retryable=True)
    assert policy.allows_retry(2, "HTTP_503", retryable=True)
    assert not policy.allows_retry(3, "HTTP_503", retryable=True)
    assert not policy.allows_retry(1, "HTTP_503", retryable=False)
    assert not policy.allows_retry(1, "HTTP_404", retryable=True)


RETRIED = """
steps:
  - id: call
    type: http
    url: "https://api.example.com"
    retry:
      max_attempts: 3
      backoff: exponential
      initial: 2s
      max: 1m
      jitter: {jitter}
      non_retryable: [HTTP_4XX]
"""


def test_a_retryable_failure_is_scheduled_again_after_the_backoff() -> None:
    run = Driver(RETRIED.format(jitter="false")).start()

    run.fail("call", "HTTP_503", retryable=True)
    instance = run.instance("call")
    assert instance.status is StepStatus.READY
    assert instance.ready_at == run.now + timedelta(seconds=2)
    assert instance.error is not None and instance.error["code"] == "HTTP_503"
    retried = run.history("step_retried")[0]
    assert (retried.attempt, retried.data["delay_ms"]) == (1, 2_000)
    assert run.ready() == []  # not before its time
    assert run.run_status() is RunStatus.RUNNING

    run.advance(seconds=2)
    run.fail("call", "HTTP_503", retryable=True)
    assert run.instance("call").ready_at == run.now + timedelta(seconds=4)

    run.advance(seconds=4)
    run.fail("call", "HTTP_503", retryable=True)
    assert run.status("call") is StepStatus.FAILED
    assert run.instance("call").attempt == 3
    assert run.run_status() is RunStatus.FAILED


def test_a_retry_that_succeeds_finishes_the_step_without_the_earlier_error() -> None:
    run = Driver(RETRIED.format(jitter="false")).start()
    run.fail("call", "HTTP_503", retryable=True)
    run.advance(seconds=2)

    run.succeed("call", {"status": 200})

    assert run.status("call") is StepStatus.SUCCEEDED
    assert run.instance("call").attempt == 2
    assert run.instance("call").error is None
    assert run.run_status() is RunStatus.SUCCEEDED


def test_a_non_retryable_family_fails_at_once() -> None:
    run = Driver(RETRIED.format(jitter="false")).start()

    run.fail("call", "HTTP_404", retryable=True)

    assert run.status("call") is StepStatus.FAILED
    assert run.instance("call").attempt == 1
    assert not run.history("step_retried")


def test_an_error_that_is_not_retryable_fails_at_once() -> None:
    run = Driver(RETRIED.format(jitter="false")).start()

    run.fail("call", "INVALID_REQUEST", retryable=False)

    assert run.status("call") is StepStatus.FAILED


def test_with_jitter_the_retry_comes_no_later_than_the_backoff() -> None:
    for _ in range(20):
        run = Driver(RETRIED.format(jitter="true")).start()
        run.fail("call", "HTTP_503", retryable=True)
        ready_at = run.instance("call").ready_at
        assert ready_at is not None
        wait = ready_at - run.now
        assert timedelta(seconds=1.6) <= wait <= timedelta(seconds=2)
