"""Runs in SQL: load a run's state under a per-run lock, and save what changed in one go.

PostgreSQL serializes transitions of one run with ``SELECT ... FOR UPDATE`` on the run row, so two
workers finishing steps of the same run never decide on stale state; SQLite's single writer
(``BEGIN IMMEDIATE``) gives the same guarantee. Step outputs above ``INLINE_OUTPUT_BYTES`` are
kept in ``run_payloads``, out of the rows the scheduler scans.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, RowMapping, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flowwright.kernel.adapters.bulk_insert import insert_rows, insert_together
from flowwright.kernel.adapters.database import dialect_name
from flowwright.kernel.adapters.outbox_table import outbox
from flowwright.kernel.errors import AlreadyExists
from flowwright.kernel.ids import new_id
from flowwright.workflow.adapters.run_cache import RunCache
from flowwright.workflow.adapters.run_tables import (
    run_history,
    run_payloads,
    run_steps,
    runs,
    step_is,
)
from flowwright.workflow.domain.runs.state import HistoryEntry, Instance, RunState
from flowwright.workflow.domain.runs.status import ACTIVE_RUN_STATUSES, RunStatus, StepStatus

INLINE_OUTPUT_BYTES = 64 * 1024
# A foreach's items above this size are written once to ``run_payloads``, not into its state,
# which is written again each time one of its iterations starts or ends.
INLINE_ITEMS_BYTES = 16 * 1024
WORK_CHANNEL = "flowwright_work"  # PostgreSQL NOTIFY channel: steps became ready

_STEP_COLUMNS = (
    "status",
    "attempt",
    "output",
    "output_ref",
    "error",
    "state",
    "reason",
    "handled",
    "finished_order",
    "ready_at",
    "wake_at",
    "started_at",
    "finished_at",
    "lease_losses",
)


@dataclass(frozen=True)
class HistoryRecord:
    seq: int
    type: str
    step_key: str | None
    attempt: int | None
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class RunSummary:
    id: str
    workflow: str
    version: int
    status: str
    reason: str | None
    trigger: str
    created_at: datetime
    finished_at: datetime | None
    parent_run_id: str | None


class SqlRunRepository:
    def __init__(
        self,
        session: AsyncSession,
        tenant_id: str,
        cache: RunCache | None = None,
        *,
        outbox_rows: Callable[[], builtins.list[dict[str, Any]]] | None = None,
    ) -> None:
        self._session = session
        # The unit of work's outbox rows so far, written with a save's rows: one statement less.
        self._outbox_rows = outbox_rows
        self._tenant_id = tenant_id
        self._made_ready = False
        self._cache = cache
        # Runs saved in this unit of work, with the update time written to their row.
        self._saved: dict[str, tuple[RunState, datetime]] = {}
        # Runs holding an output stored out of line: too large to keep in memory.
        self._large: set[str] = set()

    @property
    def made_ready(self) -> bool:
        return self._made_ready

    async def _insert_keyed_run(self, state: RunState, now: datetime) -> None:
        """Insert a new run that has an idempotency key, which a concurrent start may hold."""
        try:
            async with self._session.begin_nested():
                await insert_rows(self._session, runs, [self._run_row(state, now)])
        except IntegrityError as exc:
            raise AlreadyExists("a run with this idempotency key already exists") from exc

    def _run_row(self, state: RunState, now: datetime) -> dict[str, Any]:
        return {
            "id": state.run_id,
            "tenant_id": self._tenant_id,
            "workflow_id": state.workflow_id,
            "workflow_name": state.workflow_name,
            "version_id": state.version_id,
            "version": state.version,
            "status": state.status.value,
            "reason": state.reason,
            "inputs": state.inputs,
            "vars": state.vars,
            "outputs": state.outputs,
            "error": state.error,
            "state": state.state,
            "idempotency_key": state.idempotency_key,
            "trigger": state.trigger,
            "parent_run_id": state.parent_run_id,
            "parent_step_key": state.parent_step_key,
            "created_by": state.created_by,
            "created_at": now,
            "started_at": state.started_at,
            "finished_at": state.finished_at,
            "deadline_at": state.deadline_at,
            "updated_at": now,
            "history_seq": state.history_seq,
        }

    async def find_by_idempotency_key(self, key: str) -> str | None:
        query = select(runs.c.id).where(
            runs.c.tenant_id == self._tenant_id, runs.c.idempotency_key == key
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def load(self, run_id: str, *, lock: bool) -> RunState | None:
        keys = {"run_id": run_id, "tenant_id": self._tenant_id}
        locked = lock and dialect_name(self._session) == "postgresql"
        row = (
            (await self._session.execute(_RUN_FOR_UPDATE if locked else _RUN, keys))
            .mappings()
            .first()
        )
        if row is None:
            return None
        if lock and self._cache is not None:
            cached = self._cache.take(run_id)
            if cached is not None and cached.matches(
                self._tenant_id, row["history_seq"], row["updated_at"]
            ):
                return _state(row, cached.instances)
        steps = (await self._session.execute(_STEPS_OF_RUN, keys)).mappings().all()
        refs = [s["output_ref"] for s in steps if s["output_ref"]]
        refs += [s["state"]["items_ref"] for s in steps if s["state"] and "items_ref" in s["state"]]
        payloads = await self._payloads(refs)
        if payloads:
            self._large.add(run_id)
        instances = {s["key"]: _instance(s, payloads) for s in steps}
        return _state(row, instances)

    async def _payloads(self, ids: builtins.list[str]) -> dict[str, Any]:
        if not ids:
            return {}
        rows = (
            await self._session.execute(
                select(run_payloads.c.id, run_payloads.c.data).where(
                    run_payloads.c.id.in_(ids), run_payloads.c.tenant_id == self._tenant_id
                )
            )
        ).all()
        return {row.id: json.loads(row.data) for row in rows}

    async def save(self, state: RunState, now: datetime) -> builtins.list[HistoryRecord]:
        """Write what changed (see ``RunRepository.save``). Whenever steps are written, the run's
        row is updated too, so its history sequence or update time shows the change to other
        processes' caches (see adapters/run_cache.py)."""
        records = self._history_records(state)
        inserted = state.is_new
        run_rows = []
        if inserted:
            # Inserted as its first transaction decides it: one statement, no update. Only the
            # idempotency key can collide (ids are new): a run without one needs no savepoint
            # and goes in with its steps and history.
            if state.idempotency_key is None:
                run_rows.append(self._run_row(state, now))
            else:
                await self._insert_keyed_run(state, now)
            state.is_new = state.changed = False
        new_rows, changed_rows = [], []
        payloads: builtins.list[dict[str, Any]] = []
        for instance in state.instances.values():
            if instance.is_new:
                new_rows.append(self._row(state, instance, payloads))
            elif instance.changed:
                changed_rows.append(self._row(state, instance, payloads))
            instance.is_new = instance.changed = False
        # The run first, then the payloads it holds: step rows refer to both.
        await insert_together(
            self._session,
            [
                (runs, run_rows),
                (run_payloads, payloads),
                (run_steps, new_rows),
                (run_history, self._entries(state, records)),
                (outbox, self._outbox_rows() if self._outbox_rows else []),
            ],
        )
        if changed_rows:
            await self._session.execute(
                _UPDATE_STEP,
                [{"_id": r["id"], **{f"_{c}": r[c] for c in _STEP_COLUMNS}} for r in changed_rows],
            )
        if not self._made_ready and any(
            row["status"] == StepStatus.READY.value
            and (row["ready_at"] is None or row["ready_at"] <= now)
            for row in (*new_rows, *changed_rows)
        ):
            self._made_ready = True
            if dialect_name(self._session) == "postgresql":
                # Wake workers of other processes at commit (see adapters/work_listener.py).
                await self._session.execute(select(func.pg_notify(WORK_CHANNEL, "")))
        if new_rows or changed_rows:
            state.changed = True
        wrote_run = inserted or state.changed or bool(records)
        if not inserted and wrote_run:
            await self._session.execute(
                _UPDATE_RUN,
                {
                    **{f"_{column}": getattr(state, column) for column in RUN_UPDATE_COLUMNS},
                    "_id": state.run_id,
                    "_status": state.status.value,
                    "_updated_at": now,
                },
            )
            state.changed = False
        if wrote_run:  # the row now carries ``now``: the stamp the step cache compares
            self._saved[state.run_id] = (state, now)
        return records

    def committed(self) -> None:
        """The unit of work committed: keep the runs it saved for their next transition."""
        if self._cache is not None:
            for run_id, (state, updated_at) in self._saved.items():
                if run_id not in self._large:
                    self._cache.keep(state, updated_at)
        self._saved.clear()

    def _entries(
        self, state: RunState, records: builtins.list[HistoryRecord]
    ) -> builtins.list[dict[str, Any]]:
        return [
            {
                "tenant_id": self._tenant_id,
                "run_id": state.run_id,
                "seq": r.seq,
                "type": r.type,
                "step_key": r.step_key,
                "attempt": r.attempt,
                "data": r.data,
                "at": r.at,
            }
            for r in records
        ]

    def _history_records(self, state: RunState) -> builtins.list[HistoryRecord]:
        records = []
        for entry in state.history:
            state.history_seq += 1
            records.append(
                HistoryRecord(
                    state.history_seq,
                    entry.type,
                    entry.step_key,
                    entry.attempt,
                    _jsonable(entry.data),
                    entry.at,
                )
            )
        state.history = []
        return records

    def _row(
        self, state: RunState, instance: Instance, payloads: builtins.list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The step's row; values too large for it are added to ``payloads``."""
        output, output_ref = instance.output, None
        if output is not None:
            encoded = json.dumps(output, separators=(",", ":"))
            if len(encoded) > INLINE_OUTPUT_BYTES:
                at = instance.finished_at or state.started_at
                output_ref = self._payload(state.run_id, encoded, at, payloads)
                output = None
        return {
            "id": instance.id,
            "tenant_id": self._tenant_id,
            "run_id": state.run_id,
            "key": instance.key,
            "step_id": instance.step_id,
            "step_type": instance.step_type,
            "scope_key": instance.scope_key,
            "status": instance.status.value,
            "attempt": instance.attempt,
            "lease_losses": instance.lease_losses,
            "fencing": instance.fencing,
            "lease_owner": None,
            "lease_expires_at": None,
            "ready_at": instance.ready_at,
            "wake_at": instance.wake_at,
            "output": output,
            "output_ref": output_ref,
            "error": instance.error,
            "state": self._stored_state(state, instance, payloads),
            "reason": instance.reason,
            "handled": instance.handled,
            "finished_order": instance.finished_order,
            "started_at": instance.started_at,
            "finished_at": instance.finished_at,
        }

    def _stored_state(
        self, state: RunState, instance: Instance, payloads: builtins.list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The step's state as written to its row: a foreach's large items list stays in
        ``run_payloads``, written once, and only its reference is in the row."""
        current = instance.state
        items = current.get("items")
        if not isinstance(items, list):
            return current
        if "items_ref" not in current:
            encoded = json.dumps(items, separators=(",", ":"))
            if len(encoded) <= INLINE_ITEMS_BYTES:
                return current
            at = instance.started_at or state.started_at
            current["items_ref"] = self._payload(state.run_id, encoded, at, payloads)
        self._large.add(state.run_id)
        return {name: value for name, value in current.items() if name != "items"}

    def _payload(
        self, run_id: str, encoded: str, at: datetime, payloads: builtins.list[dict[str, Any]]
    ) -> str:
        """Add a value too large for its row to ``payloads``, rows of ``run_payloads``; its id
        goes in the row."""
        payload_id = new_id()
        self._large.add(run_id)  # too large to keep in this process's step cache
        payloads.append(
            {
                "id": payload_id,
                "tenant_id": self._tenant_id,
                "run_id": run_id,
                "data": encoded,
                "size": len(encoded),
                "created_at": at,
            }
        )
        return payload_id

    async def hold_lease(self, step_row_id: str, fencing: int, owner: str, until: datetime) -> None:
        await self._session.execute(
            _HOLD_LEASE,
            {
                "_id": step_row_id,
                "_tenant_id": self._tenant_id,
                "_fencing": fencing,
                "_lease_owner": owner,
                "_lease_expires_at": until,
            },
        )

    async def list_runs(
        self, *, status: str | None, workflow: str | None, limit: int, before: str | None
    ) -> builtins.list[RunSummary]:
        query = select(runs).where(runs.c.tenant_id == self._tenant_id)
        if status:
            query = query.where(runs.c.status == status)
        if workflow:
            query = query.where(runs.c.workflow_name == workflow)
        if before:
            query = query.where(runs.c.id < before)
        rows = await self._session.execute(query.order_by(runs.c.id.desc()).limit(limit))
        return [_summary(row) for row in rows.mappings()]

    async def history(
        self, run_id: str, *, after_seq: int, limit: int
    ) -> builtins.list[HistoryRecord]:
        query = (
            select(run_history)
            .where(
                run_history.c.run_id == run_id,
                run_history.c.tenant_id == self._tenant_id,
                run_history.c.seq > after_seq,
            )
            .order_by(run_history.c.seq)
            .limit(limit)
        )
        return [
            HistoryRecord(r["seq"], r["type"], r["step_key"], r["attempt"], r["data"], r["at"])
            for r in (await self._session.execute(query)).mappings()
        ]

    async def waiting_approvals(
        self,
    ) -> builtins.list[tuple[str, str, str, dict[str, Any], datetime | None]]:
        query = (
            select(
                run_steps.c.run_id,
                run_steps.c.key,
                runs.c.workflow_name,
                run_steps.c.state,
                run_steps.c.wake_at,
            )
            .join(runs, runs.c.id == run_steps.c.run_id)
            .where(
                run_steps.c.tenant_id == self._tenant_id,
                step_is(StepStatus.WAITING),
                run_steps.c.step_type == "approval",
            )
            .order_by(run_steps.c.id)
        )
        return [
            (r.run_id, r.key, r.workflow_name, r.state, r.wake_at)
            for r in (await self._session.execute(query)).all()
        ]

    async def count_active(self) -> int:
        return int((await self._session.execute(active_runs(self._tenant_id))).scalar_one())

    async def count_running_steps(self) -> int:
        counted = await self._session.execute(_RUNNING_STEPS, {"tenant_id": self._tenant_id})
        return int(counted.scalar_one())


# The run columns a save updates, besides ``updated_at``.
RUN_UPDATE_COLUMNS = (
    "status",
    "reason",
    "vars",
    "outputs",
    "error",
    "state",
    "started_at",
    "finished_at",
    "deadline_at",  # a resumed run gets a new deadline
    "history_seq",
)


def _set_from_parameters(columns: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """SET column = :_column for each column (a parameter may not take a SET column's name)."""
    return {column: bindparam(f"_{column}") for column in columns}


# The statements of the engine's hot paths, built once: building one as a step completes took
# 60-200 µs each, about a sixth of the step's time on SQLite.
_RUN = select(runs).where(
    runs.c.id == bindparam("run_id"), runs.c.tenant_id == bindparam("tenant_id")
)
_RUN_FOR_UPDATE = _RUN.with_for_update()
_STEPS_OF_RUN = select(run_steps).where(
    run_steps.c.run_id == bindparam("run_id"), run_steps.c.tenant_id == bindparam("tenant_id")
)
_UPDATE_STEP = (
    update(run_steps)
    .where(run_steps.c.id == bindparam("_id"))
    .values(_set_from_parameters(_STEP_COLUMNS))
)
_UPDATE_RUN = (
    update(runs)
    .where(runs.c.id == bindparam("_id"))
    .values(_set_from_parameters((*RUN_UPDATE_COLUMNS, "updated_at")))
)
_HOLD_LEASE = (
    update(run_steps)
    .where(run_steps.c.id == bindparam("_id"), run_steps.c.tenant_id == bindparam("_tenant_id"))
    .values(_set_from_parameters(("fencing", "lease_owner", "lease_expires_at")))
)
_RUNNING_STEPS = select(func.count()).where(
    run_steps.c.tenant_id == bindparam("tenant_id"),
    step_is(StepStatus.RUNNING),
)


def active_runs(tenant_id: str | BindParameter[Any]) -> Select[Any]:
    """How many of the tenant's runs count against its limit on concurrent runs."""
    return select(func.count()).where(
        runs.c.tenant_id == tenant_id, runs.c.status.in_(ACTIVE_RUN_STATUSES)
    )


def _jsonable(value: Any) -> Any:
    """``value`` as its JSON column will hold it. A value made of JSON's own types, as nearly
    every history entry's is, is kept as it is: checking costs a tenth of encoding and parsing
    it. Anything else (times, tuples, keys that are not text) is encoded, with what JSON has no
    type for as its text, and parsed back."""
    return value if _is_json(value) else json.loads(json.dumps(value, default=str))


def _is_json(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    if kind is list:
        return all(_is_json(item) for item in value)
    return False


def _instance(row: RowMapping, payloads: dict[str, Any]) -> Instance:
    output = payloads.get(row["output_ref"]) if row["output_ref"] else row["output"]
    state = dict(row["state"] or {})
    if "items_ref" in state:
        state["items"] = payloads.get(state["items_ref"], [])
    return Instance(
        key=row["key"],
        step_id=row["step_id"],
        scope_key=row["scope_key"],
        status=StepStatus(row["status"]),
        id=row["id"],
        attempt=row["attempt"],
        output=output,
        error=row["error"],
        state=state,
        reason=row["reason"],
        ready_at=row["ready_at"],
        wake_at=row["wake_at"],
        handled=bool(row["handled"]),
        finished_order=row["finished_order"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        step_type=row["step_type"],
        fencing=row["fencing"],
        lease_losses=row["lease_losses"],
    )


def _state(row: RowMapping, instances: dict[str, Instance]) -> RunState:
    return RunState(
        run_id=row["id"],
        tenant_id=row["tenant_id"],
        workflow_name=row["workflow_name"],
        version=row["version"],
        status=RunStatus(row["status"]),
        inputs=row["inputs"],
        started_at=row["started_at"] or row["created_at"],
        vars=dict(row["vars"] or {}),
        outputs=row["outputs"],
        error=row["error"],
        reason=row["reason"],
        state=dict(row["state"] or {}),
        instances=instances,
        finished_at=row["finished_at"],
        workflow_id=row["workflow_id"],
        version_id=row["version_id"],
        trigger=row["trigger"],
        idempotency_key=row["idempotency_key"],
        parent_run_id=row["parent_run_id"],
        parent_step_key=row["parent_step_key"],
        created_by=row["created_by"],
        deadline_at=row["deadline_at"],
        history_seq=row["history_seq"],
    )


def _summary(row: RowMapping) -> RunSummary:
    return RunSummary(
        id=row["id"],
        workflow=row["workflow_name"],
        version=row["version"],
        status=row["status"],
        reason=row["reason"],
        trigger=row["trigger"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        parent_run_id=row["parent_run_id"],
    )


__all__ = ["HistoryEntry", "HistoryRecord", "RunSummary", "SqlRunRepository"]
