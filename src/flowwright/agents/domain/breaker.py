"""A circuit breaker per provider endpoint.

::

    closed --(threshold consecutive failures)--> open --(cool-down elapsed)--> half_open
    half_open --(the one probe succeeds)--> closed
    half_open --(the probe fails)--> open (a new cool-down starts)

Only transient failures count (timeouts, connection errors, 5xx, 429). An answer the caller caused
(another 4xx) proves the endpoint is up, so it counts as a success. While half-open, exactly one
call (the probe) is let through; the others are refused until the probe's outcome is known.

Time is a monotonic float (seconds) passed in by the caller, so tests need no sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"

    @property
    def gauge(self) -> int:
        """The value exported as a metric: 0 closed, 1 half-open, 2 open."""
        return {"closed": 0, "half_open": 1, "open": 2}[self.value]


@dataclass
class CircuitBreaker:
    threshold: int
    cooldown_seconds: float
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_in_flight: bool = False

    def current_state(self, now: float) -> BreakerState:
        """The state at ``now``: an open breaker whose cool-down has passed is half-open."""
        if (
            self.state is BreakerState.OPEN
            and self.opened_at is not None
            and now - self.opened_at >= self.cooldown_seconds
        ):
            self.state = BreakerState.HALF_OPEN
            self.probe_in_flight = False
        return self.state

    def allow(self, now: float) -> bool:
        """May a call go through now? In half-open, the first caller becomes the probe."""
        state = self.current_state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.probe_in_flight:
            self.probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.opened_at = None
        self.probe_in_flight = False

    def record_failure(self, now: float) -> None:
        self.consecutive_failures += 1
        if self.state is BreakerState.HALF_OPEN or self.consecutive_failures >= self.threshold:
            self.state = BreakerState.OPEN
            self.opened_at = now
            self.probe_in_flight = False

    def abandon_probe(self) -> None:
        """A granted call ended without an outcome (e.g. cancelled): let another probe through."""
        self.probe_in_flight = False

    def retry_in(self, now: float) -> float | None:
        """Seconds until an open breaker lets a probe through (None unless open)."""
        if self.current_state(now) is not BreakerState.OPEN or self.opened_at is None:
            return None
        return max(0.0, self.opened_at + self.cooldown_seconds - now)
