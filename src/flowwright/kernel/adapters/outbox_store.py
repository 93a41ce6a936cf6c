"""Outbox rows in the database, claimed with SKIP LOCKED on PostgreSQL.

A claim pushes ``next_attempt_at`` forward by a visibility timeout in the claiming transaction, so
a relay that dies mid-batch leaves its envelopes to be picked up again once the timeout passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.database import SYSTEM, apply_scope, dialect_name
from flowwright.kernel.adapters.outbox_table import outbox
from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.outbox import PendingEnvelope

VISIBILITY_TIMEOUT = timedelta(seconds=30)


class SqlOutboxStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], app_role: str) -> None:
        self._session_factory = session_factory
        self._app_role = app_role

    async def claim_pending(self, *, now: datetime, limit: int) -> Sequence[PendingEnvelope]:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            query = (
                select(outbox)
                .where(outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.id)
                .limit(limit)
            )
            if dialect_name(session) == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).mappings().all()
            if not rows:
                return []
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row["id"] for row in rows]))
                .values(next_attempt_at=now + VISIBILITY_TIMEOUT)
            )
        return [
            PendingEnvelope(
                envelope=EventEnvelope(
                    id=row["id"],
                    name=row["name"],
                    payload=row["payload"],
                    tenant_id=row["tenant_id"],
                    occurred_at=row["occurred_at"],
                ),
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def mark_delivered(self, envelope_ids: Sequence[str], *, at: datetime) -> None:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            await session.execute(
                update(outbox).where(outbox.c.id.in_(list(envelope_ids))).values(delivered_at=at)
            )

    async def mark_failed(self, envelope_id: str, *, error: str, retry_at: datetime) -> None:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            await session.execute(
                update(outbox)
                .where(outbox.c.id == envelope_id)
                .values(attempts=outbox.c.attempts + 1, last_error=error, next_attempt_at=retry_at)
            )

    async def purge_delivered(self, *, older_than: datetime) -> int:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            result = await session.execute(
                delete(outbox).where(
                    outbox.c.delivered_at.is_not(None), outbox.c.delivered_at < older_than
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
