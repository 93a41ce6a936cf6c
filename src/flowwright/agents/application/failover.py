"""Failover: try the planned candidates in order until one answers.

A candidate is skipped, without contacting it, while it asked us to wait (``Retry-After``), while
its provider's breaker is open, or when it cannot be called at all (missing secret, refused base
URL). A call moves on to the next candidate after a timeout, a connection error, a 5xx, a 429 or an
unreadable answer. It stops at once on any other 4xx: the request itself is at fault and another
provider would refuse it too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.application.planning import CallPlan
from flowwright.agents.application.ports import (
    EndpointGuard,
    GatewayMetrics,
    ModelClient,
    ModelClients,
    ProviderCallFailed,
    SecretReader,
)
from flowwright.agents.domain.catalog import Candidate, Provider
from flowwright.agents.domain.errors import LLMNotConfigured, LLMRequestRejected, LLMUnavailable
from flowwright.agents.domain.messages import Attempt, TokenUsage
from flowwright.agents.domain.usage import Outcome
from flowwright.kernel.errors import FlowwrightError, ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class Route:
    candidate: Candidate
    provider: Provider
    client: ModelClient


@dataclass(frozen=True)
class AttemptLog:
    candidate: Candidate
    outcome: Outcome
    latency_ms: int = 0
    detail: str | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)

    def public(self) -> Attempt:
        return Attempt(
            provider=self.candidate.provider,
            model=self.candidate.model,
            outcome=self.outcome.value,
            latency_ms=self.latency_ms,
            detail=self.detail,
        )


@dataclass
class Routed(Generic[T]):
    """What failover produced: a value from ``route``, or the error to raise; always the path."""

    attempts: list[AttemptLog]
    value: T | None = None
    route: Route | None = None
    error: FlowwrightError | None = None


class Failover:
    def __init__(
        self,
        *,
        health: ProviderHealth,
        clients: ModelClients,
        secrets: SecretReader,
        guard: EndpointGuard,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._health = health
        self._clients = clients
        self._secrets = secrets
        self._guard = guard
        self._metrics = metrics

    async def run(self, plan: CallPlan, operation: Callable[[Route], Awaitable[T]]) -> Routed[T]:
        attempts: list[AttemptLog] = []
        tenant_id = plan.tenant_id
        for candidate in plan.order:
            provider = plan.providers.get(candidate.provider)
            if provider is None:
                attempts.append(
                    AttemptLog(
                        candidate,
                        Outcome.UNAVAILABLE,
                        detail=f"provider '{candidate.provider}' does not exist",
                    )
                )
                continue
            paused = self._health.paused_for(tenant_id, candidate)
            if paused is not None:
                attempts.append(
                    AttemptLog(
                        candidate, Outcome.COOLING_DOWN, detail=f"asked to retry in {paused:.1f}s"
                    )
                )
                continue
            try:
                client = await self._client(tenant_id, provider)
            except ValidationFailed as exc:
                attempts.append(AttemptLog(candidate, Outcome.UNAVAILABLE, detail=exc.message))
                continue
            if not self._health.allow(tenant_id, provider):
                attempts.append(
                    AttemptLog(
                        candidate,
                        Outcome.BREAKER_OPEN,
                        detail=f"circuit breaker of '{provider.name}' is open",
                    )
                )
                continue
            route = Route(candidate, provider, client)
            started = time.perf_counter()
            try:
                value = await operation(route)
            except ProviderCallFailed as failure:
                latency_ms = _elapsed_ms(started)
                attempts.append(AttemptLog(candidate, failure.outcome, latency_ms, failure.message))
                self._observe(candidate, failure.outcome, latency_ms)
                if failure.outcome is Outcome.REJECTED:
                    self._health.succeeded(tenant_id, provider)  # it answered: it is up
                    return Routed(attempts, error=_rejected(candidate, failure))
                self.failed(tenant_id, candidate, provider, failure)
                continue
            except BaseException:
                self._health.abandoned(tenant_id, provider)
                raise
            latency_ms = _elapsed_ms(started)
            self._health.succeeded(tenant_id, provider)
            self._health.record_latency(tenant_id, candidate, latency_ms)
            self._observe(candidate, Outcome.OK, latency_ms)
            attempts.append(AttemptLog(candidate, Outcome.OK, latency_ms))
            return Routed(attempts, value=value, route=route)
        return Routed(attempts, error=self._exhausted(plan, attempts))

    def failed(
        self,
        tenant_id: str,
        candidate: Candidate,
        provider: Provider,
        failure: ProviderCallFailed,
    ) -> None:
        """Count a transient failure against the provider (also used for broken streams)."""
        self._health.failed(tenant_id, provider)
        if failure.retry_after_seconds is not None and failure.retry_after_seconds > 0:
            self._health.pause(tenant_id, candidate, failure.retry_after_seconds)

    async def _client(self, tenant_id: str, provider: Provider) -> ModelClient:
        if provider.base_url:
            await self._guard.check(provider.base_url)
        api_key = None
        if provider.api_key_secret:
            api_key = await self._secrets.read(tenant_id, provider.api_key_secret)
            if api_key is None:
                raise ValidationFailed(
                    f"provider '{provider.name}' needs the secret {provider.api_key_secret}, "
                    f"which is not set: `flowwright secret set {provider.api_key_secret}`"
                )
        return self._clients.client_for(provider, api_key)

    def _observe(self, candidate: Candidate, outcome: Outcome, latency_ms: int) -> None:
        if self._metrics is not None:
            self._metrics.observe_call(
                provider=candidate.provider,
                model=candidate.model,
                outcome=outcome.value,
                latency_seconds=latency_ms / 1000,
            )

    def _exhausted(self, plan: CallPlan, attempts: list[AttemptLog]) -> FlowwrightError:
        path = "; ".join(f"{a.candidate.key}: {a.outcome.value} ({a.detail})" for a in attempts)
        details = {"alias": plan.alias.name, "attempts": [a.public().__dict__ for a in attempts]}
        if attempts and all(a.outcome is Outcome.UNAVAILABLE for a in attempts):
            return LLMNotConfigured(
                f"alias '{plan.alias.name}' has no usable candidate: {path}", details=details
            )
        waits = [
            wait for a in attempts if (wait := self._wait_hint(plan.tenant_id, a, plan)) is not None
        ]
        return LLMUnavailable(
            f"no candidate of alias '{plan.alias.name}' answered: {path}",
            retry_after_seconds=min(waits) if waits else None,
            details=details,
        )

    def _wait_hint(self, tenant_id: str, attempt: AttemptLog, plan: CallPlan) -> float | None:
        if attempt.outcome is Outcome.COOLING_DOWN or attempt.outcome is Outcome.RATE_LIMITED:
            return self._health.paused_for(tenant_id, attempt.candidate)
        if attempt.outcome is Outcome.BREAKER_OPEN:
            provider = plan.providers[attempt.candidate.provider]
            breaker = self._health.breaker(tenant_id, provider)
            return breaker.retry_in(self._health.monotonic())
        return None


def _rejected(candidate: Candidate, failure: ProviderCallFailed) -> LLMRequestRejected:
    return LLMRequestRejected(
        f"{candidate.key} refused the request (HTTP {failure.status}): {failure.message}",
        details={
            "provider": candidate.provider,
            "model": candidate.model,
            "status": failure.status,
        },
    )


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
