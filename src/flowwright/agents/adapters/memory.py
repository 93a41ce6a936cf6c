"""The agents context's storage ports in memory, for unit tests.

A unit of work works on a copy of its tenant's state: ``commit`` publishes the copy (and the
events emitted, into ``store.outbox``), leaving without a commit discards it. Units of work of the
same tenant that overlap are last-writer-wins (the SQL adapters are the reference for
concurrency); tests drive them one at a time.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self

from flowwright.agents.application.ports import BudgetCharge, PriceEntry, StoredResult
from flowwright.agents.domain.budget import Budget
from flowwright.agents.domain.catalog import Alias, Provider
from flowwright.agents.domain.pricing import Price
from flowwright.agents.domain.usage import Outcome, UsageGroup, UsageRecord
from flowwright.kernel.events import DomainEvent


def _group_key(record: UsageRecord, group_by: str) -> str | None:
    if group_by == "day":
        return record.day
    if group_by == "model":
        return record.model
    return record.context.workflow_id if group_by == "workflow" else record.context.run_id


@dataclass
class TenantState:
    providers: dict[str, Provider] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    prices: dict[str, PriceEntry] = field(default_factory=dict)
    budget: Budget | None = None
    usage: list[UsageRecord] = field(default_factory=list)
    results: dict[str, StoredResult] = field(default_factory=dict)


@dataclass
class InMemoryAgentsStore:
    tenants: dict[str, TenantState] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)

    def state(self, tenant_id: str) -> TenantState:
        return self.tenants.setdefault(tenant_id, TenantState())

    def events_named(self, name: str) -> list[DomainEvent]:
        return [event for event in self.outbox if event.name == name]


class _Repository:
    def __init__(self, uow: InMemoryAgentsUnitOfWork) -> None:
        self._uow = uow

    @property
    def _state(self) -> TenantState:
        return self._uow.require_state()


class InMemoryProviderRepository(_Repository):
    async def add(self, provider: Provider) -> None:
        if provider.name in self._state.providers:
            raise RuntimeError(f"duplicate provider {provider.name}")
        self._state.providers[provider.name] = copy.copy(provider)

    async def update(self, provider: Provider) -> None:
        self._state.providers[provider.name] = copy.copy(provider)

    async def get(self, name: str) -> Provider | None:
        found = self._state.providers.get(name)
        return copy.copy(found) if found else None

    async def list(self) -> builtins.list[Provider]:
        return [copy.copy(p) for _, p in sorted(self._state.providers.items())]

    async def delete(self, name: str) -> None:
        self._state.providers.pop(name, None)


class InMemoryAliasRepository(_Repository):
    async def add(self, alias: Alias) -> None:
        if alias.name in self._state.aliases:
            raise RuntimeError(f"duplicate alias {alias.name}")
        self._state.aliases[alias.name] = copy.deepcopy(alias)

    async def update(self, alias: Alias) -> None:
        self._state.aliases[alias.name] = copy.deepcopy(alias)

    async def get(self, name: str) -> Alias | None:
        found = self._state.aliases.get(name)
        return copy.deepcopy(found) if found else None

    async def list(self) -> builtins.list[Alias]:
        return [copy.deepcopy(a) for _, a in sorted(self._state.aliases.items())]

    async def delete(self, name: str) -> None:
        self._state.aliases.pop(name, None)


class InMemoryPriceRepository(_Repository):
    async def set(self, model: str, price: Price, *, at: datetime) -> None:
        self._state.prices[model] = PriceEntry(model, price, at)

    async def list(self) -> builtins.list[PriceEntry]:
        return [entry for _, entry in sorted(self._state.prices.items())]

    async def delete(self, model: str) -> bool:
        return self._state.prices.pop(model, None) is not None


class InMemoryBudgetRepository(_Repository):
    async def get(self) -> Budget | None:
        return copy.copy(self._state.budget)

    async def save(self, budget: Budget) -> None:
        self._state.budget = copy.copy(budget)

    async def delete(self) -> bool:
        existed = self._state.budget is not None
        self._state.budget = None
        return existed

    async def claim_warning(self, period: str) -> bool:
        budget = self._state.budget
        if budget is None or budget.warned_period == period:
            return False
        budget.warned_period = period
        return True

    async def claim_stop_notice(self, period: str) -> bool:
        budget = self._state.budget
        if budget is None or budget.stopped_period == period:
            return False
        budget.stopped_period = period
        return True


class InMemoryUsageRepository(_Repository):
    async def add(self, records: Sequence[UsageRecord]) -> None:
        self._state.usage.extend(records)

    async def get(self, record_id: str) -> UsageRecord | None:
        return next((r for r in self._state.usage if r.id == record_id), None)

    async def list(
        self, *, since: datetime, until: datetime, run_id: str | None = None, limit: int = 100
    ) -> builtins.list[UsageRecord]:
        found = [r for r in self._in(since, until) if run_id is None or r.context.run_id == run_id]
        return sorted(found, key=lambda r: r.id, reverse=True)[:limit]

    async def aggregate(
        self, *, group_by: str, since: datetime, until: datetime
    ) -> builtins.list[UsageGroup]:
        groups: dict[str | None, list[UsageRecord]] = {}
        for record in self._in(since, until):
            groups.setdefault(_group_key(record, group_by), []).append(record)
        return [
            UsageGroup(
                key=key,
                calls=sum(r.outcome is Outcome.OK for r in rows),
                failed_calls=sum(r.outcome is not Outcome.OK for r in rows),
                input_tokens=sum(r.input_tokens for r in rows),
                output_tokens=sum(r.output_tokens for r in rows),
                cost_micros=sum(r.cost_micros for r in rows),
                unpriced_calls=sum(r.outcome is Outcome.OK and not r.priced for r in rows),
            )
            for key, rows in sorted(groups.items(), key=lambda item: item[0] or "")
        ]

    async def totals(self, *, since: datetime, until: datetime) -> tuple[int, int]:
        rows = self._in(since, until)
        return (
            sum(r.input_tokens + r.output_tokens for r in rows),
            sum(r.cost_micros for r in rows),
        )

    def _in(self, since: datetime, until: datetime) -> builtins.list[UsageRecord]:
        return [r for r in self._state.usage if since <= r.created_at < until]


class InMemoryCallResultRepository(_Repository):
    async def get(self, idempotency_key: str) -> StoredResult | None:
        return self._state.results.get(idempotency_key)

    async def put(self, result: StoredResult) -> None:
        self._state.results.setdefault(result.idempotency_key, result)

    async def list(self, *, limit: int = 100) -> builtins.list[StoredResult]:
        return list(reversed(self._state.results.values()))[:limit]

    async def delete(self, idempotency_key: str) -> bool:
        return self._state.results.pop(idempotency_key, None) is not None


class InMemoryAgentsUnitOfWork:
    """Satisfies :class:`flowwright.agents.application.ports.AgentsUnitOfWork`."""

    def __init__(
        self,
        store: InMemoryAgentsStore,
        tenant_id: str,
        on_commit: Callable[[str, frozenset[str]], None] | None = None,
    ) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self._on_commit = on_commit
        self._working: TenantState | None = None
        self._events: list[DomainEvent] = []
        self.providers = InMemoryProviderRepository(self)
        self.aliases = InMemoryAliasRepository(self)
        self.prices = InMemoryPriceRepository(self)
        self.budgets = InMemoryBudgetRepository(self)
        self.usage = InMemoryUsageRepository(self)
        self.results = InMemoryCallResultRepository(self)

    async def __aenter__(self) -> Self:
        self._working = copy.deepcopy(self.store.state(self.tenant_id))
        self._events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None
        self._events = []

    def require_state(self) -> TenantState:
        if self._working is None:
            raise RuntimeError("the unit of work is not open: use it in 'async with'")
        return self._working

    def emit(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self.store.tenants[self.tenant_id] = copy.deepcopy(self.require_state())
        self.store.outbox.extend(self._events)
        names = frozenset(event.name for event in self._events)
        self._events = []
        if names and self._on_commit is not None:
            self._on_commit(self.tenant_id, names)

    async def rollback(self) -> None:
        self._working = copy.deepcopy(self.store.state(self.tenant_id))
        self._events = []


class InMemoryAgentsUnitOfWorkFactory:
    """Satisfies :class:`flowwright.agents.application.ports.AgentsUnitOfWorkFactory`."""

    def __init__(self, store: InMemoryAgentsStore | None = None) -> None:
        self.store = store or InMemoryAgentsStore()
        self.on_commit: Callable[[str, frozenset[str]], None] | None = None
        self.ledger = InMemoryUsageLedger(self.store)

    def __call__(self, tenant_id: str) -> InMemoryAgentsUnitOfWork:
        return InMemoryAgentsUnitOfWork(self.store, tenant_id, self.on_commit)


class InMemoryUsageLedger:
    """Satisfies :class:`flowwright.agents.application.ports.UsageLedger`."""

    def __init__(self, store: InMemoryAgentsStore) -> None:
        self.store = store
        self.writes = 0

    async def record(
        self,
        tenant_id: str,
        records: Sequence[UsageRecord],
        *,
        stored: StoredResult | None = None,
        charge: BudgetCharge | None = None,
    ) -> Budget | None:
        self.writes += 1
        state = self.store.state(tenant_id)
        state.usage.extend(records)
        if stored is not None:
            state.results.setdefault(stored.idempotency_key, stored)
        budget = state.budget
        if charge is None or budget is None:
            return None
        if budget.period != charge.period:
            budget.period, budget.used_tokens, budget.used_micros = charge.period, 0, 0
        budget.used_tokens += charge.tokens
        budget.used_micros += charge.micros
        return copy.copy(budget)
