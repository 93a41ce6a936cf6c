"""The test process's view of the engine: publish, start and read runs, and query the queue.

Runs are started through the engine's use cases, like the API does, while worker processes
execute them; everything here reads or writes the shared database directly, never through a
worker.
"""

from __future__ import annotations

import asyncio
import sqlite3
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from flowwright.bootstrap import Container
from flowwright.kernel.adapters.database import SYSTEM, apply_scope
from flowwright.kernel.adapters.outbox_table import outbox
from flowwright.workflow.adapters.run_store import HistoryRecord
from flowwright.workflow.adapters.run_tables import run_steps, runs
from flowwright.workflow.application.versions import push
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.state import RunState
from sink import Sink

TERMINAL = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
STEP_ENDINGS = frozenset({"step_succeeded", "step_failed", "step_skipped", "step_cancelled"})


@dataclass(frozen=True)
class Overdue:
    """A step that should have been taken care of by now."""

    run_id: str
    key: str
    status: str
    due_at: datetime


@dataclass
class EngineProbe:
    backend: str
    url: str
    data_dir: Path
    container: Container
    caller: Caller

    async def publish(self, source: str) -> None:
        await push(
            textwrap.dedent(source),
            caller=self.caller,
            uow_factory=self.container.workflows,
            installation=self.container.installation,
            clock=self.container.clock,
        )

    async def start(
        self, workflow: str, inputs: dict[str, Any], *, key: str | None = None
    ) -> RunState:
        started = await self.container.run_engine.start_run(
            self.caller, workflow, inputs=inputs, idempotency_key=key
        )
        return started.state

    async def run(self, run_id: str) -> RunState:
        return await self.container.run_engine.get(self.caller, run_id)

    async def history(self, run_id: str) -> list[HistoryRecord]:
        async with self.container.workflows(self.caller.tenant_id) as uow:
            return await uow.runs.history(run_id, after_seq=0, limit=100_000)

    async def _system(self, session: AsyncSession) -> None:
        await apply_scope(session, SYSTEM, self.container.settings.postgres_app_role)

    async def statuses(self, run_ids: list[str]) -> dict[str, str]:
        async with self.container.session_factory() as session, session.begin():
            await self._system(session)
            rows = await session.execute(
                select(runs.c.id, runs.c.status).where(runs.c.id.in_(run_ids))
            )
            return {row.id: row.status for row in rows}

    async def overdue_events(self, due_by: datetime) -> int:
        """Outbox events not delivered although due by ``due_by``. A relay that published an
        event but failed to mark it leaves it to be claimed again once its claim expires."""
        async with self.container.session_factory() as session, session.begin():
            await self._system(session)
            query = (
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at <= due_by)
            )
            return int((await session.execute(query)).scalar_one())

    async def overdue(self, now: datetime) -> list[Overdue]:
        """Leases that have expired and timers that have come due, as of ``now``."""
        async with self.container.session_factory() as session, session.begin():
            await self._system(session)
            rows = await session.execute(
                select(
                    run_steps.c.run_id,
                    run_steps.c.key,
                    run_steps.c.status,
                    run_steps.c.lease_expires_at,
                    run_steps.c.wake_at,
                ).where(
                    ((run_steps.c.status == "running") & (run_steps.c.lease_expires_at < now))
                    | ((run_steps.c.status == "waiting") & (run_steps.c.wake_at < now))
                )
            )
            return [
                Overdue(
                    r.run_id,
                    r.key,
                    r.status,
                    r.lease_expires_at if r.status == "running" else r.wake_at,
                )
                for r in rows
            ]

    async def step_row(self, run_id: str, key: str) -> dict[str, Any]:
        async with self.container.session_factory() as session, session.begin():
            await self._system(session)
            row = (
                (
                    await session.execute(
                        select(run_steps).where(
                            run_steps.c.run_id == run_id, run_steps.c.key == key
                        )
                    )
                )
                .mappings()
                .one()
            )
            return dict(row)

    async def run_is_unlocked(self, run_id: str) -> bool:
        """Whether a transition of the run could start now (no paused process holds its locks)."""
        if self.backend == "sqlite":
            return await asyncio.to_thread(self._sqlite_writable)
        try:
            async with self.container.session_factory() as session, session.begin():
                await self._system(session)
                await session.execute(text("SET LOCAL lock_timeout = '300ms'"))
                await session.execute(
                    select(runs.c.id).where(runs.c.id == run_id).with_for_update()
                )
                await session.execute(
                    select(run_steps.c.id).where(run_steps.c.run_id == run_id).with_for_update()
                )
                await session.rollback()
        except Exception as exc:
            if "lock" in str(exc).lower():
                return False
            raise
        return True

    def _sqlite_writable(self) -> bool:
        path = make_url(self.url).database
        assert path is not None
        connection = sqlite3.connect(path, timeout=0.3, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise
        finally:
            connection.close()
        return True


@dataclass
class Planned:
    """A run and what it must end with, computed by the test rather than read from the engine."""

    workflow: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    effects: dict[str, dict[str, Any]]  # step key -> {"path", "body"} the sink must receive
    run_id: str = ""

    def keys(self) -> dict[str, dict[str, Any]]:
        return {f"{self.run_id}/{step}": effect for step, effect in self.effects.items()}


@dataclass(frozen=True)
class Effects:
    """What the sink received for the planned runs' effects, against what it should have."""

    expected: int
    missing: list[str]
    unexpected: list[str]
    wrong: list[str]
    duplicates: int  # deliveries beyond the first, over all keys
    most: int  # deliveries of the most delivered key


def check_effects(planned: list[Planned], sink: Sink) -> Effects:
    expected = {key: effect for item in planned for key, effect in item.keys().items()}
    applied = {key: sink.applied[key] for key in sink.keys_for(tuple(p.run_id for p in planned))}
    return Effects(
        expected=len(expected),
        missing=sorted(set(expected) - set(applied)),
        unexpected=sorted(set(applied) - set(expected)),
        wrong=sorted(k for k in expected.keys() & applied.keys() if applied[k] != expected[k]),
        duplicates=sum(sink.deliveries[key] - 1 for key in expected if key in applied),
        most=max((sink.deliveries[key] for key in expected), default=0),
    )


@dataclass(frozen=True)
class Outcomes:
    """What is wrong with the planned runs once finished, and how often their leases were lost."""

    problems: list[str]
    lease_expirations: int  # over all runs
    most_losses: int  # of one step


async def check_runs(probe: EngineProbe, planned: list[Planned], lease: timedelta) -> Outcomes:
    """Each run succeeded with its planned outputs, and its history is sound (``check_history``,
    ``early_expirations``)."""
    problems: list[str] = []
    lease_expirations = most_losses = 0
    for item in planned:
        state = await probe.run(item.run_id)
        if state.status.value != "succeeded":
            problems.append(f"{item.run_id} ({item.workflow}) {state.status.value}: {state.error}")
        elif state.outputs != item.outputs:
            problems.append(f"{item.run_id}: outputs {state.outputs} != {item.outputs}")
        history = await probe.history(item.run_id)
        problems += check_history(item.run_id, history)
        problems += early_expirations(item.run_id, history, lease)
        losses = Counter(h.step_key for h in history if h.type == "step_lease_expired")
        lease_expirations += sum(losses.values())
        most_losses = max([most_losses, *losses.values()])
    return Outcomes(problems, lease_expirations, most_losses)


@dataclass
class Watch:
    """What a test saw while the runs went: terminal statuses, and work overdue by more than
    ``grace`` seconds once the workers were back (``overdue``'s ``workers_back``)."""

    grace: float
    first_terminal: dict[str, str] = field(default_factory=dict)
    flips: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)

    def statuses(self, seen: dict[str, str]) -> None:
        for run_id, status in seen.items():
            first = self.first_terminal.get(run_id)
            if first is None and status in TERMINAL:
                self.first_terminal[run_id] = status
            elif first is not None and status != first:
                self.flips.append(f"{run_id}: {first} -> {status}")

    def overdue(self, items: list[Overdue], now: datetime, workers_back: datetime) -> None:
        for item in items:
            allowed = max(item.due_at, workers_back) + seconds(self.grace)
            if now > allowed:
                late = (now - max(item.due_at, workers_back)).total_seconds()
                self.stuck.append(
                    f"{item.run_id}/{item.key} {item.status}, due {late:.1f}s ago at {now}"
                )


def check_history(run_id: str, history: list[HistoryRecord]) -> list[str]:
    """What is wrong with a finished run's history: gaps, a missing or repeated end, or steps
    that ended more than once. Empty when nothing is."""
    problems: list[str] = []
    seqs = [h.seq for h in history]
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"{run_id}: history seq is not 1..n: {seqs}")
    types = [h.type for h in history]
    if not types or types[-1] != "run_finished":
        problems.append(f"{run_id}: history does not end with run_finished: {types[-3:]}")
    if types.count("run_finished") != 1 or types.count("run_started") != 1:
        problems.append(f"{run_id}: run started/finished more than once: {types}")
    ends: dict[str, int] = {}
    for h in history:
        if h.type in STEP_ENDINGS and h.step_key is not None:
            ends[h.step_key] = ends.get(h.step_key, 0) + 1
    repeated = {key: n for key, n in ends.items() if n > 1}
    if repeated:
        problems.append(f"{run_id}: steps that ended more than once: {repeated}")
    return problems


def early_expirations(run_id: str, history: list[HistoryRecord], lease: timedelta) -> list[str]:
    """Leases declared expired sooner than a lease lasts after they were taken: taken away
    from a worker that may well have been alive and renewing."""
    problems: list[str] = []
    started: dict[str, HistoryRecord] = {}
    for h in history:
        if h.step_key is None:
            continue
        if h.type == "step_started":
            started[h.step_key] = h
        elif h.type == "step_lease_expired":
            taken = started.get(h.step_key)
            if taken is not None and h.at - taken.at < lease:
                held = (h.at - taken.at).total_seconds()
                problems.append(
                    f"{run_id}/{h.step_key}: lease of attempt {taken.attempt} "
                    f"(seq {taken.seq}) declared expired after {held:.3f}s (seq {h.seq})"
                )
    return problems


def utc_now() -> datetime:
    return datetime.now(UTC)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
