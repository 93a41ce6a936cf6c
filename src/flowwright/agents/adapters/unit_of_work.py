"""The agents context's SQL unit of work: always scoped to one tenant."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flowwright.agents.adapters.catalog_repositories import (
    SqlAliasRepository,
    SqlPriceRepository,
    SqlProviderRepository,
)
from flowwright.agents.adapters.usage_ledger import SqlUsageLedger
from flowwright.agents.adapters.usage_repositories import (
    SqlBudgetRepository,
    SqlCallResultRepository,
    SqlUsageRepository,
)
from flowwright.kernel.adapters.database import Scope
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import Clock
from flowwright.kernel.events import DomainEvent

# Called after each commit with the tenant and the names of the events it wrote.
CommitListener = Callable[[str, frozenset[str]], None]


class SqlAgentsUnitOfWork(SqlUnitOfWork):
    providers: SqlProviderRepository
    aliases: SqlAliasRepository
    prices: SqlPriceRepository
    budgets: SqlBudgetRepository
    usage: SqlUsageRepository
    results: SqlCallResultRepository
    on_commit: CommitListener | None = None

    def _open(self) -> None:
        self._emitted: set[str] = set()
        tenant_id = self.scope.tenant_id
        if tenant_id is None:
            raise RuntimeError("the agents context works in one tenant's scope only")
        self.providers = SqlProviderRepository(self.session, tenant_id)
        self.aliases = SqlAliasRepository(self.session, tenant_id)
        self.prices = SqlPriceRepository(self.session, tenant_id)
        self.budgets = SqlBudgetRepository(self.session, tenant_id)
        self.usage = SqlUsageRepository(self.session, tenant_id)
        self.results = SqlCallResultRepository(self.session, tenant_id)

    def emit(self, event: DomainEvent) -> None:
        self._emitted.add(event.name)
        super().emit(event)

    async def commit(self) -> None:
        names, self._emitted = frozenset(self._emitted), set()
        await super().commit()
        if names and self.on_commit is not None and self.scope.tenant_id is not None:
            self.on_commit(self.scope.tenant_id, names)


class SqlAgentsUnitOfWorkFactory:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], clock: Clock, app_role: str
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._app_role = app_role
        self.on_commit: CommitListener | None = None
        self.ledger = SqlUsageLedger(_engine_of(session_factory), app_role)

    def __call__(self, tenant_id: str) -> SqlAgentsUnitOfWork:
        uow = SqlAgentsUnitOfWork(
            self._session_factory,
            scope=Scope(tenant_id=tenant_id),
            clock=self._clock,
            app_role=self._app_role,
        )
        uow.on_commit = self.on_commit
        return uow


def _engine_of(session_factory: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = session_factory.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise RuntimeError("the agents context needs a session factory bound to an engine")
    return engine
