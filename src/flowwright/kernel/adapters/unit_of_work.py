"""The SQLAlchemy unit of work: one session, one transaction, outbox rows written on commit.

Opening it declares the transaction's scope, its first statement; a pooled connection found lost
there is replaced and the statement done over (``open_scoped``), so a use case never starts on a
dead connection. A connection lost later fails the use case, whose transaction is then lost
with it (unless the connection went during the commit itself, when it may have committed).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.bulk_insert import insert_rows
from flowwright.kernel.adapters.database import Scope, open_scoped
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
        self._events = []
        self._committed = False
        self.session = await open_scoped(self._new_session, self.scope, self._app_role)
        self._open()
        return self

    async def _new_session(self) -> AsyncSession:
        return self._session_factory()

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

    def take_outbox_rows(self) -> list[dict[str, Any]]:
        """The outbox rows of the events emitted since the last take, for a repository that
        writes them in its own statement; commit writes those still untaken."""
        if not self._events:
            return []
        now = self.clock.now()
        rows = [
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
        ]
        self._events = []
        return rows

    async def commit(self) -> None:
        await insert_rows(self.session, outbox, self.take_outbox_rows())
        await self.session.commit()
        self._committed = True

    async def rollback(self) -> None:
        self._events = []
        await self.session.rollback()
