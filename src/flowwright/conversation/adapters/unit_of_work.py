from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.conversation.adapters.repositories import SqlConversationRepository
from flowwright.kernel.adapters.database import Scope
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import Clock


class SqlConversationUnitOfWork(SqlUnitOfWork):
    conversations: SqlConversationRepository

    def _open(self) -> None:
        assert self.scope.tenant_id is not None
        self.conversations = SqlConversationRepository(self.session, self.scope.tenant_id)


class SqlConversationUnitOfWorkFactory:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], clock: Clock, app_role: str
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._app_role = app_role

    def __call__(self, tenant_id: str) -> SqlConversationUnitOfWork:
        return SqlConversationUnitOfWork(
            self._session_factory,
            scope=Scope(tenant_id=tenant_id),
            clock=self._clock,
            app_role=self._app_role,
        )
