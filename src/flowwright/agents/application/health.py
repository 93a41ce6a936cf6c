"""What this process knows about provider health: breakers, latencies and Retry-After pauses.

Kept in memory per process on purpose: it is advice for routing, rebuilt within seconds after a
restart, and each API or worker process learns it from its own calls. Keys are per tenant, so
one tenant's failures (or slow prompts) never open another tenant's breaker.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from flowwright.agents.application.ports import GatewayMetrics
from flowwright.agents.domain.breaker import BreakerState, CircuitBreaker
from flowwright.agents.domain.catalog import Candidate, Provider

LATENCY_WINDOW = 50


@dataclass(frozen=True)
class BreakerView:
    provider: str
    state: BreakerState
    consecutive_failures: int
    retry_in_seconds: float | None


class ProviderHealth:
    def __init__(
        self,
        *,
        metrics: GatewayMetrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        latency_window: int = LATENCY_WINDOW,
    ) -> None:
        self._metrics = metrics
        self.monotonic = monotonic
        self._window = latency_window
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._latencies: dict[tuple[str, str], deque[float]] = {}
        self._paused_until: dict[tuple[str, str], float] = {}

    # --- breakers ----------------------------------------------------------------------------

    def breaker(self, tenant_id: str, provider: Provider) -> CircuitBreaker:
        """The provider's breaker, following the provider's current threshold and cool-down."""
        key = (tenant_id, provider.name)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = CircuitBreaker(provider.breaker_threshold, provider.breaker_cooldown_seconds)
            self._breakers[key] = breaker
            if self._metrics is not None:
                self._metrics.breaker_changed(
                    tenant_id=tenant_id, provider=provider.name, state=breaker.state
                )
        else:
            breaker.threshold = provider.breaker_threshold
            breaker.cooldown_seconds = provider.breaker_cooldown_seconds
        return breaker

    def allow(self, tenant_id: str, provider: Provider) -> bool:
        breaker = self.breaker(tenant_id, provider)
        before = breaker.state
        allowed = breaker.allow(self.monotonic())
        self._changed(tenant_id, provider.name, before, breaker.state)
        return allowed

    def succeeded(self, tenant_id: str, provider: Provider) -> None:
        breaker = self.breaker(tenant_id, provider)
        before = breaker.state
        breaker.record_success()
        self._changed(tenant_id, provider.name, before, breaker.state)

    def failed(self, tenant_id: str, provider: Provider) -> None:
        breaker = self.breaker(tenant_id, provider)
        before = breaker.state
        breaker.record_failure(self.monotonic())
        self._changed(tenant_id, provider.name, before, breaker.state)

    def abandoned(self, tenant_id: str, provider: Provider) -> None:
        self.breaker(tenant_id, provider).abandon_probe()

    def breakers(self, tenant_id: str, providers: list[Provider]) -> list[BreakerView]:
        now = self.monotonic()
        views = []
        for provider in providers:
            breaker = self.breaker(tenant_id, provider)
            before = breaker.state
            state = breaker.current_state(now)
            self._changed(tenant_id, provider.name, before, state)
            views.append(
                BreakerView(
                    provider=provider.name,
                    state=state,
                    consecutive_failures=breaker.consecutive_failures,
                    retry_in_seconds=breaker.retry_in(now),
                )
            )
        return views

    def forget(self, tenant_id: str, provider_name: str) -> None:
        """Drop what is known of a removed provider."""
        self._breakers.pop((tenant_id, provider_name), None)
        prefix = provider_name + "/"
        for table in (self._latencies, self._paused_until):
            for key in [k for k in table if k[0] == tenant_id and k[1].startswith(prefix)]:
                del table[key]

    def _changed(
        self, tenant_id: str, provider: str, before: BreakerState, after: BreakerState
    ) -> None:
        if before is not after and self._metrics is not None:
            self._metrics.breaker_changed(tenant_id=tenant_id, provider=provider, state=after)

    # --- latency -----------------------------------------------------------------------------

    def record_latency(self, tenant_id: str, candidate: Candidate, milliseconds: float) -> None:
        key = (tenant_id, candidate.key)
        samples = self._latencies.get(key)
        if samples is None:
            samples = self._latencies[key] = deque(maxlen=self._window)
        samples.append(milliseconds)

    def median_latency_ms(self, tenant_id: str, candidate: Candidate) -> float | None:
        samples = self._latencies.get((tenant_id, candidate.key))
        return statistics.median(samples) if samples else None

    # --- Retry-After -------------------------------------------------------------------------

    def pause(self, tenant_id: str, candidate: Candidate, seconds: float) -> None:
        """The candidate asked not to be called for ``seconds``."""
        key = (tenant_id, candidate.key)
        until = self.monotonic() + seconds
        self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))

    def paused_for(self, tenant_id: str, candidate: Candidate) -> float | None:
        """Seconds the candidate still wants to be left alone, or None."""
        key = (tenant_id, candidate.key)
        until = self._paused_until.get(key)
        if until is None:
            return None
        left = until - self.monotonic()
        if left <= 0:
            del self._paused_until[key]
            return None
        return left
