"""The circuit breaker state machine, with time passed in."""

from __future__ import annotations

from flowwright.agents.domain.breaker import BreakerState, CircuitBreaker


def _opened(now: float = 0.0) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold=3, cooldown_seconds=10)
    for _ in range(3):
        breaker.record_failure(now)
    return breaker


def test_stays_closed_below_the_threshold_and_successes_reset_the_count() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_seconds=10)
    breaker.record_failure(0)
    breaker.record_failure(0)
    breaker.record_success()
    breaker.record_failure(0)
    breaker.record_failure(0)
    assert breaker.current_state(0) is BreakerState.CLOSED
    assert breaker.allow(0)


def test_opens_after_threshold_consecutive_failures_and_refuses_calls() -> None:
    breaker = _opened(now=5)
    assert breaker.current_state(5) is BreakerState.OPEN
    assert not breaker.allow(14.9)
    assert breaker.retry_in(10) == 5


def test_half_opens_after_the_cooldown_and_lets_exactly_one_probe_through() -> None:
    breaker = _opened()
    assert breaker.current_state(10) is BreakerState.HALF_OPEN
    assert breaker.allow(10)
    assert not breaker.allow(10.1)
    assert not breaker.allow(11)


def test_a_good_probe_closes_the_breaker() -> None:
    breaker = _opened()
    assert breaker.allow(10)
    breaker.record_success()
    assert breaker.current_state(10) is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    assert breaker.allow(10) and breaker.allow(10)


def test_a_failed_probe_opens_it_again_for_a_new_cooldown() -> None:
    breaker = _opened()
    assert breaker.allow(10)
    breaker.record_failure(10)
    assert breaker.current_state(19) is BreakerState.OPEN
    assert breaker.current_state(20) is BreakerState.HALF_OPEN


def test_an_abandoned_probe_lets_the_next_caller_probe() -> None:
    breaker = _opened()
    assert breaker.allow(10)
    breaker.abandon_probe()
    assert breaker.allow(10.5)


def test_gauge_values_order_the_states_by_severity() -> None:
    assert [s.gauge for s in (BreakerState.CLOSED, BreakerState.HALF_OPEN, BreakerState.OPEN)] == [
        0,
        1,
        2,
    ]
