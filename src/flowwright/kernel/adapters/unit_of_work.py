"""The SQLAlchemy unit of work: one session, one transaction, outbox rows written on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.database import Scope, apply_scope
from flowwright.kernel.adapters.outbox_table import outbox
from flowwright.kernel.clock import Clock
from flowwright.kernel.events import DomainEvent
from flowwright.kernel.ids import new_id


class SqlUnitOfWork:
    """Base for each context's unit of work; subclasses attach repositories in ``_open``."""

    session: AsyncSession

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        scope: Scope,
        clock: Clock,
        app_role: str,
    ) -> None:
        self._session_factory = session_factory
        self.scope = scope
        self.clock = clock
        self._app_role = app_role
        self._events: list[DomainEvent] = []
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self._events = []
        self._committed = False
        await apply_scope(self.session, self.scope, self._app_role)
        self._open()
        return self

    def _open(self) -> None:
        """Attach repositories to ``self.session`` (overridden per context)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        if self._events:
            now = self.clock.now()
            await self.session.execute(
                insert(outbox),
                [
                    {
                        "id": new_id(),
                        "name": event.name,
                        "tenant_id": event.tenant_id or self.scope.tenant_id,
                        "payload": event.payload(),
                        "occurred_at": now,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                    for event in self._events
                ],
            )
            self._events = []
        await self.session.commit()
        self._committed = True

    async def rollback(self) -> None:
        self._events = []
        await self.session.rollback()
