from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.database import Scope
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import Clock
from flowwright.workflow.adapters.repositories import SqlWorkflowRepository
from flowwright.workflow.adapters.run_cache import RunCache
from flowwright.workflow.adapters.run_store import SqlRunRepository


class SqlWorkflowUnitOfWork(SqlUnitOfWork):
    workflows: SqlWorkflowRepository
    runs: SqlRunRepository

    run_cache: RunCache | None = None

    def _open(self) -> None:
        assert self.scope.tenant_id is not None
        self.workflows = SqlWorkflowRepository(self.session, self.scope.tenant_id)
        self.runs = SqlRunRepository(
            self.session, self.scope.tenant_id, self.run_cache, outbox_rows=self.take_outbox_rows
        )

    async def commit(self) -> None:
        await super().commit()
        self.runs.committed()


class SqlWorkflowUnitOfWorkFactory:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        app_role: str,
        run_cache: RunCache | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._app_role = app_role
        self._run_cache = run_cache

    def __call__(self, tenant_id: str) -> SqlWorkflowUnitOfWork:
        uow = SqlWorkflowUnitOfWork(
            self._session_factory,
            scope=Scope(tenant_id=tenant_id),
            clock=self._clock,
            app_role=self._app_role,
        )
        uow.run_cache = self._run_cache
        return uow
