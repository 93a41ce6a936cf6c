"""Prometheus metrics of the gateway, registered on the registry the composition root owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from flowwright.agents.domain.breaker import BreakerState

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class PrometheusGatewayMetrics:
    """Satisfies :class:`flowwright.agents.application.ports.GatewayMetrics`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "flowwright_llm_calls",
            "Attempts to call a model, by provider, model and outcome.",
            ["provider", "model", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "flowwright_llm_call_latency_seconds",
            "Latency of attempts that reached a provider.",
            ["provider", "model"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.breakers = Gauge(
            "flowwright_llm_breaker_state",
            "Circuit breaker of each tenant's provider: 0 closed, 1 half-open, 2 open.",
            ["tenant", "provider"],
            registry=registry,
        )

    def observe_call(
        self, *, provider: str, model: str, outcome: str, latency_seconds: float
    ) -> None:
        self.calls.labels(provider=provider, model=model, outcome=outcome).inc()
        self.latency.labels(provider=provider, model=model).observe(latency_seconds)

    def breaker_changed(self, *, tenant_id: str, provider: str, state: BreakerState) -> None:
        self.breakers.labels(tenant=tenant_id, provider=provider).set(state.gauge)
