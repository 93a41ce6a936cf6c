from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.database import Scope
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import Clock
from flowwright.tenancy.adapters.repositories import (
    SqlApiKeyRepository,
    SqlMembershipRepository,
    SqlTenantRepository,
    SqlUserRepository,
)
from flowwright.tenancy.adapters.secret_repository import SqlSecretRepository


class SqlTenancyUnitOfWork(SqlUnitOfWork):
    tenants: SqlTenantRepository
    users: SqlUserRepository
    memberships: SqlMembershipRepository
    api_keys: SqlApiKeyRepository
    secrets: SqlSecretRepository

    def _open(self) -> None:
        self.tenants = SqlTenantRepository(self.session, self.scope)
        self.users = SqlUserRepository(self.session, self.scope)
        self.memberships = SqlMembershipRepository(self.session, self.scope)
        self.api_keys = SqlApiKeyRepository(self.session, self.scope)
        self.secrets = SqlSecretRepository(self.session, self.scope)


class SqlTenancyUnitOfWorkFactory:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], clock: Clock, app_role: str
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._app_role = app_role

    def __call__(self, tenant_id: str | None) -> SqlTenancyUnitOfWork:
        return SqlTenancyUnitOfWork(
            self._session_factory,
            scope=Scope(tenant_id=tenant_id),
            clock=self._clock,
            app_role=self._app_role,
        )
