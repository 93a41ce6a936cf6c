"""The work queue across tenants: leasing ready steps fairly, renewing leases, and finding what
is due (timers, expired leases, overdue runs, queued runs).

Leasing sets the step running under a new fencing token (``fencing + 1``). A worker may only
renew or complete a step while the row still carries its token, so a worker that was paused past
its lease, and whose step was leased again, can never commit. Each pass offers every tenant with
ready work an equal share of the free slots, within the tenant's cap on running steps, so one
tenant's backlog cannot starve another's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.bulk_insert import insert_rows
from flowwright.kernel.adapters.database import SYSTEM, apply_scope, dialect_name
from flowwright.workflow.adapters.run_cache import RunCache
from flowwright.workflow.adapters.run_tables import run_history, run_steps, runs, step_is
from flowwright.workflow.domain.runs.queue import Due, Lease
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus


class SqlRunQueue:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        app_role: str,
        run_cache: RunCache | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._run_cache = run_cache
        self._app_role = app_role

    async def lease(
        self,
        *,
        owner: str,
        now: datetime,
        until: datetime,
        limit: int,
        types: frozenset[str],
        tenant_step_cap: int,
    ) -> list[Lease]:
        if limit <= 0:
            return []
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            ready = (
                await session.execute(
                    select(run_steps.c.tenant_id, func.count())
                    .where(
                        step_is(StepStatus.READY),
                        run_steps.c.ready_at <= now,
                        run_steps.c.step_type.in_(types),
                    )
                    .group_by(run_steps.c.tenant_id)
                )
            ).all()
            if not ready:
                return []
            running: dict[str, int] = dict(
                (
                    await session.execute(
                        select(run_steps.c.tenant_id, func.count())
                        .where(
                            step_is(StepStatus.RUNNING),
                            run_steps.c.tenant_id.in_([t for t, _ in ready]),
                        )
                        .group_by(run_steps.c.tenant_id)
                    )
                ).all()
            )
            allocation = fair_shares(
                {tenant: int(count) for tenant, count in ready},
                {tenant: tenant_step_cap - int(running.get(tenant, 0)) for tenant, _ in ready},
                limit,
            )
            leases: list[Lease] = []
            for tenant_id, room in allocation.items():
                leases += await self._lease_for(session, tenant_id, owner, now, until, room, types)
            by_run: dict[str, list[Lease]] = {}
            for lease in leases:
                by_run.setdefault(lease.run_id, []).append(lease)
            last_seqs = await _record_starts(session, by_run, owner, now)
        if self._run_cache is not None:
            for run_id, run_leases in by_run.items():
                self._run_cache.started(run_leases, last_seqs[run_id], now)
        return leases

    async def _lease_for(
        self,
        session: AsyncSession,
        tenant_id: str,
        owner: str,
        now: datetime,
        until: datetime,
        room: int,
        types: frozenset[str],
    ) -> list[Lease]:
        candidates = (
            select(run_steps.c.id)
            .where(
                run_steps.c.tenant_id == tenant_id,
                step_is(StepStatus.READY),
                run_steps.c.ready_at <= now,
                run_steps.c.step_type.in_(types),
            )
            .order_by(run_steps.c.ready_at)
            .limit(room)
        )
        statement = update(run_steps)
        if dialect_name(session) == "postgresql":
            # Lock the runs before their steps, in the order every run transition does, so a
            # lease racing a cancel or a completion waits instead of deadlocking. Runs locked by
            # a transition are skipped this pass.
            ready_runs = (
                select(run_steps.c.run_id)
                .where(
                    run_steps.c.tenant_id == tenant_id,
                    step_is(StepStatus.READY),
                    run_steps.c.ready_at <= now,
                    run_steps.c.step_type.in_(types),
                )
                .order_by(run_steps.c.ready_at)
                .limit(room)
            )
            locked = (
                (
                    await session.execute(
                        select(runs.c.id)
                        .where(runs.c.id.in_(ready_runs.scalar_subquery()))
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if not locked:
                return []
            candidates = candidates.where(run_steps.c.run_id.in_(locked))
            # A materialized CTE runs the locking sub-select once; inside IN (...) PostgreSQL
            # may run it again per row and lease more than `room` steps.
            picked = (
                candidates.with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            statement = statement.where(run_steps.c.id == picked.c.id)
        else:
            statement = statement.where(run_steps.c.id.in_(candidates.scalar_subquery()))
        rows = (
            await session.execute(
                statement.values(
                    status=StepStatus.RUNNING.value,
                    lease_owner=owner,
                    lease_expires_at=until,
                    fencing=run_steps.c.fencing + 1,
                    attempt=run_steps.c.attempt + 1,
                    started_at=now,
                ).returning(
                    run_steps.c.id,
                    run_steps.c.run_id,
                    run_steps.c.key,
                    run_steps.c.step_id,
                    run_steps.c.step_type,
                    run_steps.c.attempt,
                    run_steps.c.fencing,
                )
            )
        ).all()
        return [
            Lease(
                tenant_id,
                r.run_id,
                r.id,
                r.key,
                r.step_id,
                r.step_type,
                r.attempt,
                r.fencing,
                owner,
            )
            for r in rows
        ]

    async def renew(self, lease: Lease, until: datetime) -> bool:
        """Extend a lease; False when the step was taken over, cancelled or finished."""
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            result = await session.execute(
                update(run_steps)
                .where(
                    run_steps.c.id == lease.step_row_id,
                    run_steps.c.fencing == lease.fencing,
                    run_steps.c.status == StepStatus.RUNNING.value,
                )
                .values(lease_expires_at=until)
            )
            return bool(getattr(result, "rowcount", 0))

    async def due_timers(self, now: datetime, limit: int) -> list[Due]:
        return await self._steps_where(
            step_is(StepStatus.WAITING) & (run_steps.c.wake_at <= now),
            limit,
        )

    async def expired_leases(self, now: datetime, limit: int) -> list[Due]:
        return await self._steps_where(
            step_is(StepStatus.RUNNING) & (run_steps.c.lease_expires_at < now),
            limit,
        )

    async def _steps_where(self, condition: ColumnElement[bool], limit: int) -> list[Due]:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            rows = (
                await session.execute(
                    select(
                        run_steps.c.tenant_id,
                        run_steps.c.run_id,
                        run_steps.c.key,
                        run_steps.c.fencing,
                    )
                    .where(condition)
                    .limit(limit)
                )
            ).all()
        return [Due(r.tenant_id, r.run_id, r.key, r.fencing) for r in rows]

    async def overdue_runs(self, now: datetime, limit: int) -> list[Due]:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            rows = (
                await session.execute(
                    select(runs.c.tenant_id, runs.c.id)
                    .where(
                        runs.c.status.in_(
                            [
                                RunStatus.RUNNING.value,
                                RunStatus.WAITING.value,
                                RunStatus.QUEUED.value,
                            ]
                        ),
                        runs.c.deadline_at < now,
                    )
                    .limit(limit)
                )
            ).all()
        return [Due(r.tenant_id, r.id) for r in rows]

    async def queued_runs(self, limit: int) -> list[Due]:
        async with self._session_factory() as session, session.begin():
            await apply_scope(session, SYSTEM, self._app_role)
            rows = (
                await session.execute(
                    select(runs.c.tenant_id, runs.c.id)
                    .where(runs.c.status == RunStatus.QUEUED.value)
                    .order_by(runs.c.created_at)
                    .limit(limit)
                )
            ).all()
        return [Due(r.tenant_id, r.id) for r in rows]


def fair_shares(ready: dict[str, int], room: dict[str, int], limit: int) -> dict[str, int]:
    """Hand out ``limit`` slots one per tenant in turn (water-filling), so a tenant with a
    little work gets all of it while the rest goes to those with more, within each cap."""
    want = {tenant: max(0, min(count, room.get(tenant, 0))) for tenant, count in ready.items()}
    given = dict.fromkeys(want, 0)
    left = limit
    while left > 0:
        hungry = [tenant for tenant in sorted(want) if given[tenant] < want[tenant]]
        if not hungry:
            break
        for tenant in hungry:
            if left == 0:
                break
            given[tenant] += 1
            left -= 1
    return {tenant: count for tenant, count in given.items() if count > 0}


async def _record_starts(
    session: AsyncSession, by_run: dict[str, list[Lease]], owner: str, now: datetime
) -> dict[str, int]:
    """Append a ``step_started`` entry per lease: one sequence update per run and one insert in
    all; returns each run's last sequence number."""
    last_seqs: dict[str, int] = {}
    entries = []
    for run_id, leases in by_run.items():
        last = (
            await session.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(history_seq=runs.c.history_seq + len(leases))
                .returning(runs.c.history_seq)
            )
        ).scalar_one()
        last_seqs[run_id] = last
        first = last - len(leases) + 1
        entries += [
            {
                "tenant_id": lease.tenant_id,
                "run_id": run_id,
                "seq": first + index,
                "type": "step_started",
                "step_key": lease.key,
                "attempt": lease.attempt,
                "data": {"worker": owner},
                "at": now,
            }
            for index, lease in enumerate(leases)
        ]
    if entries:
        await insert_rows(session, run_history, entries)
    return last_seqs
