"""Planning a call: the tenant's catalog and budget, and the order to try candidates in.

The catalog (aliases, providers, prices) and the budget are read once per tenant and kept for
``cache_seconds`` (0 = read on every call). This process drops its copy as soon as it commits a
catalog event (``CATALOG_EVENTS``), so its own changes apply at once; changes made by other
processes apply within ``cache_seconds``. Budget counters are taken from the write that records
each call of this process (``budget_seen``), and other processes' usage is seen within
``cache_seconds`` too: with several processes, a month may end above its hard limit by what they
spend in that window.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.application.ports import (
    AgentsUnitOfWork,
    AgentsUnitOfWorkFactory,
    StoredResult,
)
from flowwright.agents.domain.budget import Budget
from flowwright.agents.domain.catalog import Alias, Candidate, Provider, ProviderKind
from flowwright.agents.domain.errors import CapabilityMissing, LLMNotConfigured
from flowwright.agents.domain.pricing import Price, resolve_price
from flowwright.agents.domain.routing import Needs, is_capable, order_candidates


@dataclass(frozen=True)
class CatalogSnapshot:
    aliases: dict[str, Alias]
    providers: dict[str, Provider]
    prices: dict[str, Price]
    budget: Budget | None


@dataclass(frozen=True)
class CallPlan:
    tenant_id: str
    alias: Alias
    providers: dict[str, Provider]
    prices: dict[str, Price]
    budget: Budget | None
    order: list[Candidate]

    def price_of(self, candidate: Candidate) -> Price:
        return resolve_price(candidate.model, self.prices)


@dataclass(frozen=True)
class Planned:
    """Either a plan to call providers, or the recorded result of an earlier identical call."""

    plan: CallPlan | None
    recorded: StoredResult | None


class Planner:
    def __init__(
        self,
        uow_factory: AgentsUnitOfWorkFactory,
        health: ProviderHealth,
        rng: random.Random,
        *,
        cache_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._health = health
        self._rng = rng
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, CatalogSnapshot]] = {}

    def forget(self, tenant_id: str) -> None:
        """Read the tenant's catalog again on its next call."""
        self._cache.pop(tenant_id, None)

    def budget_seen(self, tenant_id: str, budget: Budget) -> None:
        """Keep the counters that recording a call's usage left."""
        cached = self._cache.get(tenant_id)
        if cached is not None:
            self._cache[tenant_id] = (cached[0], replace(cached[1], budget=budget))

    async def plan(
        self,
        tenant_id: str,
        alias_name: str,
        *,
        needs: Needs,
        idempotency_key: str | None,
        embeddings: bool = False,
    ) -> Planned:
        snapshot = self._cached(tenant_id)
        if idempotency_key is not None or snapshot is None:
            async with self._uow_factory(tenant_id) as uow:
                if idempotency_key is not None:
                    recorded = await uow.results.get(idempotency_key)
                    if recorded is not None:
                        return Planned(plan=None, recorded=recorded)
                if snapshot is None:
                    snapshot = await self._load(tenant_id, uow)
        alias = snapshot.aliases.get(alias_name)
        if alias is None:
            raise LLMNotConfigured.for_alias(alias_name, has_providers=bool(snapshot.providers))
        capable = _capable(alias, snapshot.providers, needs, embeddings=embeddings)
        order = order_candidates(
            alias.policy,
            capable,
            price_of=lambda c: resolve_price(c.model, snapshot.prices),
            median_latency_ms=lambda c: self._health.median_latency_ms(tenant_id, c),
            rng=self._rng,
        )
        plan = CallPlan(
            tenant_id, alias, snapshot.providers, snapshot.prices, snapshot.budget, order
        )
        return Planned(plan=plan, recorded=None)

    def _cached(self, tenant_id: str) -> CatalogSnapshot | None:
        cached = self._cache.get(tenant_id)
        if cached is None or cached[0] <= self._monotonic():
            return None
        return cached[1]

    async def _load(self, tenant_id: str, uow: AgentsUnitOfWork) -> CatalogSnapshot:
        snapshot = CatalogSnapshot(
            aliases={a.name: a for a in await uow.aliases.list()},
            providers={p.name: p for p in await uow.providers.list()},
            prices={entry.model: entry.price for entry in await uow.prices.list()},
            budget=await uow.budgets.get(),
        )
        if self._cache_seconds > 0:
            self._cache[tenant_id] = (self._monotonic() + self._cache_seconds, snapshot)
        return snapshot


def _capable(
    alias: Alias, providers: dict[str, Provider], needs: Needs, *, embeddings: bool
) -> list[Candidate]:
    capable = [c for c in alias.candidates if is_capable(c, needs)]
    if embeddings:
        capable = [
            c
            for c in capable
            if (p := providers.get(c.provider)) is None or p.kind is ProviderKind.OPENAI
        ]
        if not capable:
            raise CapabilityMissing(
                f"no candidate of alias '{alias.name}' can embed: Anthropic has no embeddings "
                "API; add a candidate on an OpenAI-compatible provider (OpenAI, Ollama, vLLM)",
                details={"alias": alias.name},
            )
    if not capable:
        wanted = "tool calling" if needs.tools else "a large enough context window"
        raise CapabilityMissing(
            f"no candidate of alias '{alias.name}' supports {wanted}; add one that does, or "
            "set its capabilities if the defaults are wrong",
            details={"alias": alias.name},
        )
    return capable
