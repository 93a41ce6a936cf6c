"""The workflow ports in memory, with the semantics of the SQL adapters.

* A unit of work is scoped to one tenant: its repositories only see and write that tenant's
  workflows, versions, webhook routes and runs, and refuse rows of another tenant.
* Writes are staged in the unit of work: reads inside it see them, other units of work (and the
  run queue) see them only once it commits, and leaving it without a commit discards them.
* Updates write the columns the SQL statements write and nothing else. A run's save leaves a
  step's fencing token and lease alone, so a lease the queue took meanwhile survives, as it does
  in the database.
* Events emitted inside a unit of work reach the store's outbox on commit only.
* Unique constraints are checked on every write and again on commit: a second run with the same
  idempotency key raises :class:`AlreadyExists` (as ``SqlRunRepository.save`` does); any
  other violation raises :class:`IntegrityViolation`, as the database would refuse the row.
* Rows are copied in and out, so changing a loaded ``RunState`` or ``Workflow`` changes nothing
  until it is saved.
* None of these coroutines suspends, so a unit of work used without ``await`` on anything else
  runs as if it held the run's lock (``load(lock=True)``) from its start to its commit.

:class:`InMemoryRunQueue` works on the committed rows of the same store, as the SQL queue works
in its own transactions.
"""

from __future__ import annotations

import builtins
import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AlreadyExists
from flowwright.kernel.events import DomainEvent, EventEnvelope
from flowwright.kernel.memory import InMemoryOutboxStore
from flowwright.workflow.adapters.run_queue import fair_shares
from flowwright.workflow.adapters.run_store import RUN_UPDATE_COLUMNS, HistoryRecord, RunSummary
from flowwright.workflow.application.ports import (
    EngineUnitOfWork,
    EngineUnitOfWorkFactory,
    RunQueue,
    RunRepository,
    WorkflowRepository,
    WorkflowUnitOfWork,
    WorkflowUnitOfWorkFactory,
)
from flowwright.workflow.domain.runs.queue import Due, Lease
from flowwright.workflow.domain.runs.state import Instance, RunState
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus
from flowwright.workflow.domain.versions import VersionRef, Workflow, WorkflowVersion

# The step columns a save updates (run_store._STEP_COLUMNS without the payload reference).
STEP_UPDATE_COLUMNS = (
    "status",
    "attempt",
    "output",
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
_ACTIVE_RUN = frozenset({RunStatus.RUNNING, RunStatus.WAITING})
_UNFINISHED_RUN = frozenset({RunStatus.RUNNING, RunStatus.WAITING, RunStatus.QUEUED})


class IntegrityViolation(RuntimeError):
    """A write broke a unique constraint of the workflow tables."""


# --- rows --------------------------------------------------------------------------------------


@dataclass
class RunRow:
    """A row of ``runs``."""

    id: str
    tenant_id: str
    workflow_id: str
    workflow_name: str
    version_id: str
    version: int
    status: RunStatus
    reason: str | None
    inputs: dict[str, Any]
    vars: dict[str, Any]
    outputs: dict[str, Any] | None
    error: dict[str, Any] | None
    state: dict[str, Any]
    idempotency_key: str | None
    trigger: str
    parent_run_id: str | None
    parent_step_key: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    deadline_at: datetime | None
    updated_at: datetime
    history_seq: int


@dataclass
class StepRow:
    """A row of ``run_steps``: a step instance and the lease the queue keeps on it."""

    tenant_id: str
    run_id: str
    instance: Instance
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


@dataclass(frozen=True)
class HistoryRow:
    """A row of ``run_history``."""

    tenant_id: str
    run_id: str
    record: HistoryRecord


@dataclass(frozen=True)
class RouteRow:
    """A row of ``webhook_routes``."""

    tenant_id: str
    path: str
    workflow_id: str
    created_at: datetime


@dataclass
class InMemoryWorkflowStore:
    """The committed state shared by every unit of work of one factory and by the queue."""

    workflows: dict[str, Workflow] = field(default_factory=dict)
    versions: dict[str, WorkflowVersion] = field(default_factory=dict)
    routes: dict[tuple[str, str], RouteRow] = field(default_factory=dict)  # (tenant, path)
    runs: dict[str, RunRow] = field(default_factory=dict)
    steps: dict[tuple[str, str], StepRow] = field(default_factory=dict)  # (run id, key)
    history: dict[tuple[str, int], HistoryRow] = field(default_factory=dict)  # (run id, seq)
    outbox: list[EventEnvelope] = field(default_factory=list)
    # When given, committed envelopes are also added here, for a relay to deliver.
    outbox_store: InMemoryOutboxStore | None = None

    def event_names(self) -> list[str]:
        return [envelope.name for envelope in self.outbox]

    def events_named(self, name: str) -> list[EventEnvelope]:
        return [envelope for envelope in self.outbox if envelope.name == name]

    def step_rows(self, run_id: str) -> list[StepRow]:
        return [row for (owner, _), row in self.steps.items() if owner == run_id]

    def history_of(self, run_id: str) -> list[HistoryRecord]:
        return sorted(
            (row.record for (owner, _), row in self.history.items() if owner == run_id),
            key=lambda record: record.seq,
        )


# --- staged changes ----------------------------------------------------------------------------


class _Staged:
    """What one unit of work wrote and has not committed yet."""

    def __init__(self) -> None:
        self.workflows: dict[str, Workflow] = {}
        self.versions: dict[str, WorkflowVersion] = {}
        self.routes: dict[tuple[str, str], RouteRow | None] = {}  # None marks a deleted route
        self.new_runs: dict[str, RunRow] = {}
        self.run_updates: dict[str, dict[str, Any]] = {}
        self.new_steps: dict[tuple[str, str], StepRow] = {}
        self.step_updates: dict[tuple[str, str], dict[str, Any]] = {}
        self.leases: dict[tuple[str, str], tuple[str, datetime]] = {}  # owner, expiry
        self.history: dict[tuple[str, int], HistoryRow] = {}


class InMemoryEngineUnitOfWork:
    """Satisfies :class:`flowwright.workflow.application.ports.EngineUnitOfWork`."""

    workflows: InMemoryWorkflowRepository
    runs: InMemoryRunRepository

    def __init__(self, store: InMemoryWorkflowStore, *, tenant_id: str, clock: Clock) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.clock = clock
        self.staged = _Staged()
        self._events: list[DomainEvent] = []
        self._open = False
        self.workflows = InMemoryWorkflowRepository(self)
        self.runs = InMemoryRunRepository(self)

    async def __aenter__(self) -> Self:
        self._discard()
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._discard()
        self._open = False

    def emit(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self.require_open()
        self._check_commit()
        self._apply()
        if self._events:
            now = self.clock.now()
            envelopes = [
                EventEnvelope(
                    name=event.name,
                    payload=event.payload(),
                    tenant_id=event.tenant_id or self.tenant_id,
                    occurred_at=now,
                )
                for event in self._events
            ]
            self.store.outbox.extend(envelopes)
            if self.store.outbox_store is not None:
                self.store.outbox_store.add(*envelopes)
        self._events = []

    async def rollback(self) -> None:
        self._discard()

    # Used by the repositories.

    def require_open(self) -> str:
        if not self._open:
            raise RuntimeError("the unit of work is not open: use it in 'async with'")
        return self.tenant_id

    def own(self, tenant_id: str, what: str) -> None:
        if tenant_id != self.require_open():
            raise RuntimeError(f"{what} belongs to another tenant")

    def _discard(self) -> None:
        self.staged = _Staged()
        self._events = []

    def _check_commit(self) -> None:
        """Constraints that another unit of work may have broken since the writes were staged."""
        store, staged = self.store, self.staged
        for run in staged.new_runs.values():
            if run.id in store.runs:
                raise IntegrityViolation(f"duplicate run id {run.id}")
            if run.idempotency_key is not None and any(
                other.tenant_id == run.tenant_id and other.idempotency_key == run.idempotency_key
                for other in store.runs.values()
            ):
                raise AlreadyExists("a run with this idempotency key already exists")
        for run_id, key in staged.new_steps:
            if (run_id, key) in store.steps:
                raise IntegrityViolation(f"duplicate step {key} of run {run_id}")
        for run_id, seq in staged.history:
            if (run_id, seq) in store.history:
                raise IntegrityViolation(f"duplicate history seq {seq} of run {run_id}")
        for workflow in staged.workflows.values():
            if any(
                other.id != workflow.id
                and other.tenant_id == workflow.tenant_id
                and other.name == workflow.name
                for other in store.workflows.values()
            ):
                raise IntegrityViolation(f"duplicate workflow name {workflow.name}")
        for version in staged.versions.values():
            if any(
                other.id != version.id
                and other.workflow_id == version.workflow_id
                and other.version == version.version
                for other in store.versions.values()
            ):
                raise IntegrityViolation(f"duplicate version {version.version}")
        for route_key, route in staged.routes.items():
            current = store.routes.get(route_key)
            if (
                route is not None
                and current is not None
                and current.workflow_id != route.workflow_id
            ):
                raise IntegrityViolation(f"webhook path {route.path} is taken")

    def _apply(self) -> None:
        store, staged = self.store, self.staged
        store.workflows.update(staged.workflows)
        store.versions.update(staged.versions)
        for route_key, route in staged.routes.items():
            if route is None:
                store.routes.pop(route_key, None)
            else:
                store.routes[route_key] = route
        store.runs.update(staged.new_runs)
        for run_id, columns in staged.run_updates.items():
            run = store.runs.get(run_id)
            if run is not None:
                _set(run, columns)
        store.steps.update(staged.new_steps)
        for step_key, columns in staged.step_updates.items():
            row = store.steps.get(step_key)
            if row is not None:
                _set(row.instance, columns)
        for step_key, (owner, until) in staged.leases.items():
            row = store.steps.get(step_key)
            if row is not None:
                row.lease_owner, row.lease_expires_at = owner, until
        store.history.update(staged.history)
        self.staged = _Staged()


class InMemoryEngineUnitOfWorkFactory:
    """Satisfies :class:`flowwright.workflow.application.ports.EngineUnitOfWorkFactory`."""

    def __init__(self, store: InMemoryWorkflowStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def __call__(self, tenant_id: str) -> InMemoryEngineUnitOfWork:
        return InMemoryEngineUnitOfWork(self.store, tenant_id=tenant_id, clock=self.clock)


# --- workflows ---------------------------------------------------------------------------------


class InMemoryWorkflowRepository:
    """Satisfies :class:`flowwright.workflow.application.ports.WorkflowRepository`."""

    def __init__(self, uow: InMemoryEngineUnitOfWork) -> None:
        self._uow = uow

    def _workflows(self) -> builtins.list[Workflow]:
        tenant_id = self._uow.require_open()
        merged = {**self._uow.store.workflows, **self._uow.staged.workflows}
        return [copy.copy(w) for w in merged.values() if w.tenant_id == tenant_id]

    def _versions(self) -> builtins.list[WorkflowVersion]:
        tenant_id = self._uow.require_open()
        merged = {**self._uow.store.versions, **self._uow.staged.versions}
        return [copy.deepcopy(v) for v in merged.values() if v.tenant_id == tenant_id]

    def _routes(self) -> builtins.list[RouteRow]:
        tenant_id = self._uow.require_open()
        merged: dict[tuple[str, str], RouteRow | None] = {
            **self._uow.store.routes,
            **self._uow.staged.routes,
        }
        return [r for r in merged.values() if r is not None and r.tenant_id == tenant_id]

    async def get_by_name(self, name: str) -> Workflow | None:
        return next((w for w in self._workflows() if w.name == name), None)

    async def get(self, workflow_id: str) -> Workflow | None:
        return next((w for w in self._workflows() if w.id == workflow_id), None)

    async def add(self, workflow: Workflow) -> None:
        self._uow.own(workflow.tenant_id, "workflow")
        for other in self._workflows():
            if other.id == workflow.id or other.name == workflow.name:
                raise IntegrityViolation(f"duplicate workflow {workflow.name}")
        self._uow.staged.workflows[workflow.id] = copy.copy(workflow)

    async def update(self, workflow: Workflow) -> None:
        current = await self.get(workflow.id)
        if current is None:
            return  # an UPDATE that matches no row of the tenant
        # The columns the SQL update writes.
        current.description = workflow.description
        current.latest_version = workflow.latest_version
        current.updated_at = workflow.updated_at
        self._uow.staged.workflows[current.id] = current

    async def list(self) -> builtins.list[Workflow]:
        return sorted(self._workflows(), key=lambda w: w.name)

    async def names(self) -> frozenset[str]:
        return frozenset(w.name for w in self._workflows())

    async def add_version(self, version: WorkflowVersion) -> None:
        self._uow.own(version.tenant_id, "version")
        for other in self._versions():
            if other.id == version.id or (
                other.workflow_id == version.workflow_id and other.version == version.version
            ):
                raise IntegrityViolation(f"duplicate version {version.version}")
        self._uow.staged.versions[version.id] = copy.deepcopy(version)

    async def get_version(self, workflow_id: str, number: int) -> WorkflowVersion | None:
        return next(
            (v for v in self._versions() if v.workflow_id == workflow_id and v.version == number),
            None,
        )

    async def get_version_by_id(self, version_id: str) -> WorkflowVersion | None:
        return next((v for v in self._versions() if v.id == version_id), None)

    async def find_version(
        self, name: str, number: int | None, *, count_active_runs: bool = False
    ) -> VersionRef | None:
        workflow = await self.get_by_name(name)
        if workflow is None:
            return None
        version = await self.get_version(workflow.id, number or workflow.latest_version)
        if version is None:
            return None
        active = await self._uow.runs.count_active() if count_active_runs else None
        return VersionRef(workflow.id, workflow.name, version.id, version.version, active)

    async def list_versions(self, workflow_id: str) -> builtins.list[WorkflowVersion]:
        return sorted(
            (v for v in self._versions() if v.workflow_id == workflow_id),
            key=lambda v: v.version,
        )

    async def webhook_paths(self) -> Mapping[str, str]:
        names = {w.id: w.name for w in self._workflows()}
        return {r.path: names[r.workflow_id] for r in self._routes() if r.workflow_id in names}

    async def set_webhook_paths(
        self, workflow_id: str, paths: builtins.list[str], *, at: datetime
    ) -> None:
        tenant_id = self._uow.require_open()
        staged = self._uow.staged.routes
        for route in self._routes():
            if route.workflow_id == workflow_id:
                staged[(tenant_id, route.path)] = None
        taken = {r.path: r.workflow_id for r in self._routes()}
        for path in paths:
            if path in taken:
                raise IntegrityViolation(f"webhook path {path} is taken")
            staged[(tenant_id, path)] = RouteRow(tenant_id, path, workflow_id, at)
            taken[path] = workflow_id


# --- runs --------------------------------------------------------------------------------------


class InMemoryRunRepository:
    """Satisfies :class:`flowwright.workflow.application.ports.RunRepository`."""

    def __init__(self, uow: InMemoryEngineUnitOfWork) -> None:
        self._uow = uow
        self._made_ready = False

    @property
    def made_ready(self) -> bool:
        return self._made_ready

    async def hold_lease(self, step_row_id: str, fencing: int, owner: str, until: datetime) -> None:
        for row in self._steps():
            if row.instance.id == step_row_id:
                key = (row.run_id, row.instance.key)
                self._uow.staged.step_updates.setdefault(key, {})["fencing"] = fencing
                self._uow.staged.leases[key] = (owner, until)

    def _run(self, run_id: str) -> RunRow | None:
        """The run of this tenant as this unit of work sees it (a copy)."""
        tenant_id = self._uow.require_open()
        staged = self._uow.staged
        row = staged.new_runs.get(run_id) or self._uow.store.runs.get(run_id)
        if row is None or row.tenant_id != tenant_id:
            return None
        row = copy.deepcopy(row)
        _set(row, staged.run_updates.get(run_id, {}))
        return row

    def _runs(self) -> builtins.list[RunRow]:
        tenant_id = self._uow.require_open()
        ids = [*self._uow.store.runs, *self._uow.staged.new_runs]
        rows = (self._run(run_id) for run_id in dict.fromkeys(ids))
        return [row for row in rows if row is not None and row.tenant_id == tenant_id]

    def _steps(self, run_id: str | None = None) -> builtins.list[StepRow]:
        tenant_id = self._uow.require_open()
        staged = self._uow.staged
        merged = {**self._uow.store.steps, **staged.new_steps}
        rows: builtins.list[StepRow] = []
        for key, row in merged.items():
            if row.tenant_id != tenant_id or (run_id is not None and row.run_id != run_id):
                continue
            row = copy.deepcopy(row)
            _set(row.instance, staged.step_updates.get(key, {}))
            rows.append(row)
        return rows

    def _insert_run(self, state: RunState, now: datetime) -> None:
        for other in self._runs():
            if state.idempotency_key is not None and other.idempotency_key == state.idempotency_key:
                raise AlreadyExists("a run with this idempotency key already exists")
        if self._run(state.run_id) is not None or state.run_id in self._uow.store.runs:
            raise IntegrityViolation(f"duplicate run id {state.run_id}")
        self._uow.staged.new_runs[state.run_id] = RunRow(
            id=state.run_id,
            tenant_id=state.tenant_id,
            workflow_id=state.workflow_id,
            workflow_name=state.workflow_name,
            version_id=state.version_id,
            version=state.version,
            status=state.status,
            reason=state.reason,
            inputs=_json(state.inputs),
            vars=_json(state.vars),
            outputs=_json(state.outputs),
            error=_json(state.error),
            state=_json(state.state),
            idempotency_key=state.idempotency_key,
            trigger=state.trigger,
            parent_run_id=state.parent_run_id,
            parent_step_key=state.parent_step_key,
            created_by=state.created_by,
            created_at=now,
            started_at=state.started_at,
            finished_at=state.finished_at,
            deadline_at=state.deadline_at,
            updated_at=now,
            history_seq=state.history_seq,
        )

    async def find_by_idempotency_key(self, key: str) -> str | None:
        return next((r.id for r in self._runs() if r.idempotency_key == key), None)

    async def load(self, run_id: str, *, lock: bool) -> RunState | None:
        # ``lock`` needs nothing here: no method of this fake suspends (see the module docstring).
        row = self._run(run_id)
        if row is None:
            return None
        instances = {s.instance.key: s.instance for s in self._steps(run_id)}
        return RunState(
            run_id=row.id,
            tenant_id=row.tenant_id,
            workflow_name=row.workflow_name,
            version=row.version,
            status=row.status,
            inputs=row.inputs,
            started_at=row.started_at or row.created_at,
            vars=row.vars,
            outputs=row.outputs,
            error=row.error,
            reason=row.reason,
            state=row.state,
            instances=instances,
            finished_at=row.finished_at,
            workflow_id=row.workflow_id,
            version_id=row.version_id,
            trigger=row.trigger,
            idempotency_key=row.idempotency_key,
            parent_run_id=row.parent_run_id,
            parent_step_key=row.parent_step_key,
            created_by=row.created_by,
            deadline_at=row.deadline_at,
            history_seq=row.history_seq,
        )

    async def save(self, state: RunState, now: datetime) -> builtins.list[HistoryRecord]:
        self._uow.own(state.tenant_id, "run")
        staged = self._uow.staged
        records = _history_records(state)
        inserted = state.is_new
        if inserted:
            self._insert_run(state, now)
            state.is_new = state.changed = False
        for instance in state.instances.values():
            key = (state.run_id, instance.key)
            if instance.is_new:
                if key in staged.new_steps or key in self._uow.store.steps:
                    raise IntegrityViolation(f"duplicate step {instance.key} of run {state.run_id}")
                staged.new_steps[key] = StepRow(state.tenant_id, state.run_id, _stored(instance))
            elif instance.changed:
                columns = {name: getattr(instance, name) for name in STEP_UPDATE_COLUMNS}
                staged.step_updates.setdefault(key, {}).update(_json_columns(columns))
            if (instance.is_new or instance.changed) and _leasable(instance, now):
                self._made_ready = True
            instance.is_new = instance.changed = False
        for record in records:
            history_key = (state.run_id, record.seq)
            if history_key in staged.history or history_key in self._uow.store.history:
                raise IntegrityViolation(
                    f"duplicate history seq {record.seq} of run {state.run_id}"
                )
            staged.history[history_key] = HistoryRow(state.tenant_id, state.run_id, record)
        if not inserted and (state.changed or records):
            columns = {name: getattr(state, name) for name in RUN_UPDATE_COLUMNS}
            columns["updated_at"] = now
            staged.run_updates.setdefault(state.run_id, {}).update(_json_columns(columns))
            state.changed = False
        return records

    async def count_active(self) -> int:
        return sum(1 for r in self._runs() if r.status in _ACTIVE_RUN)

    async def count_running_steps(self) -> int:
        return sum(1 for row in self._steps() if row.instance.status is StepStatus.RUNNING)

    async def list_runs(
        self, *, status: str | None, workflow: str | None, limit: int, before: str | None
    ) -> builtins.list[RunSummary]:
        rows = [
            r
            for r in self._runs()
            if (not status or r.status.value == status)
            and (not workflow or r.workflow_name == workflow)
            and (not before or r.id < before)
        ]
        rows.sort(key=lambda r: r.id, reverse=True)
        return [
            RunSummary(
                id=r.id,
                workflow=r.workflow_name,
                version=r.version,
                status=r.status.value,
                reason=r.reason,
                trigger=r.trigger,
                created_at=r.created_at,
                finished_at=r.finished_at,
                parent_run_id=r.parent_run_id,
            )
            for r in rows[:limit]
        ]

    async def history(
        self, run_id: str, *, after_seq: int, limit: int
    ) -> builtins.list[HistoryRecord]:
        tenant_id = self._uow.require_open()
        merged = {**self._uow.store.history, **self._uow.staged.history}
        records = sorted(
            (
                row.record
                for row in merged.values()
                if row.run_id == run_id
                and row.tenant_id == tenant_id
                and row.record.seq > after_seq
            ),
            key=lambda record: record.seq,
        )
        return copy.deepcopy(records[:limit])

    async def waiting_approvals(
        self,
    ) -> builtins.list[tuple[str, str, str, dict[str, Any], datetime | None]]:
        names = {r.id: r.workflow_name for r in self._runs()}
        rows = sorted(
            (
                s
                for s in self._steps()
                if s.instance.status is StepStatus.WAITING
                and s.instance.step_type == "approval"
                and s.run_id in names
            ),
            key=lambda s: s.instance.id,
        )
        return [
            (s.run_id, s.instance.key, names[s.run_id], s.instance.state, s.instance.wake_at)
            for s in rows
        ]


# --- the queue ---------------------------------------------------------------------------------


class InMemoryRunQueue:
    """Satisfies :class:`flowwright.workflow.application.ports.RunQueue`, over committed rows."""

    def __init__(self, store: InMemoryWorkflowStore) -> None:
        self.store = store

    def _ready(self, now: datetime, types: frozenset[str]) -> builtins.list[StepRow]:
        return [
            row
            for row in self.store.steps.values()
            if row.instance.status is StepStatus.READY
            and row.instance.ready_at is not None
            and row.instance.ready_at <= now
            and row.instance.step_type in types
        ]

    async def lease(
        self,
        *,
        owner: str,
        now: datetime,
        until: datetime,
        limit: int,
        types: frozenset[str],
        tenant_step_cap: int,
    ) -> builtins.list[Lease]:
        if limit <= 0:
            return []
        ready = self._ready(now, types)
        if not ready:
            return []
        counts: dict[str, int] = {}
        for row in ready:
            counts[row.tenant_id] = counts.get(row.tenant_id, 0) + 1
        running: dict[str, int] = {}
        for row in self.store.steps.values():
            if row.instance.status is StepStatus.RUNNING:
                running[row.tenant_id] = running.get(row.tenant_id, 0) + 1
        allocation = fair_shares(
            counts, {t: tenant_step_cap - running.get(t, 0) for t in counts}, limit
        )
        leases: builtins.list[Lease] = []
        for tenant_id in sorted(allocation):
            picked = sorted(
                (row for row in ready if row.tenant_id == tenant_id),
                key=lambda row: (row.instance.ready_at, row.instance.id),
            )[: allocation[tenant_id]]
            for row in picked:
                instance = row.instance
                instance.status = StepStatus.RUNNING
                instance.fencing += 1
                instance.attempt += 1
                instance.started_at = now
                row.lease_owner = owner
                row.lease_expires_at = until
                leases.append(
                    Lease(
                        tenant_id,
                        row.run_id,
                        instance.id,
                        instance.key,
                        instance.step_id,
                        instance.step_type,
                        instance.attempt,
                        instance.fencing,
                        owner,
                    )
                )
        for lease in leases:
            self._append_history(lease, {"worker": owner}, now)
        return leases

    def _append_history(self, lease: Lease, data: dict[str, Any], at: datetime) -> None:
        run = self.store.runs[lease.run_id]
        run.history_seq += 1
        record = HistoryRecord(run.history_seq, "step_started", lease.key, lease.attempt, data, at)
        self.store.history[(run.id, record.seq)] = HistoryRow(lease.tenant_id, run.id, record)

    async def renew(self, lease: Lease, until: datetime) -> bool:
        """Extend a lease; False when the step was taken over, cancelled or finished."""
        row = next(
            (r for r in self.store.steps.values() if r.instance.id == lease.step_row_id), None
        )
        if (
            row is None
            or row.instance.fencing != lease.fencing
            or row.instance.status is not StepStatus.RUNNING
        ):
            return False
        row.lease_expires_at = until
        return True

    async def due_timers(self, now: datetime, limit: int) -> builtins.list[Due]:
        return [
            Due(row.tenant_id, row.run_id, row.instance.key, row.instance.fencing)
            for row in self.store.steps.values()
            if row.instance.status is StepStatus.WAITING
            and row.instance.wake_at is not None
            and row.instance.wake_at <= now
        ][:limit]

    async def expired_leases(self, now: datetime, limit: int) -> builtins.list[Due]:
        return [
            Due(row.tenant_id, row.run_id, row.instance.key, row.instance.fencing)
            for row in self.store.steps.values()
            if row.instance.status is StepStatus.RUNNING
            and row.lease_expires_at is not None
            and row.lease_expires_at < now
        ][:limit]

    async def overdue_runs(self, now: datetime, limit: int) -> builtins.list[Due]:
        return [
            Due(run.tenant_id, run.id)
            for run in self.store.runs.values()
            if run.status in _UNFINISHED_RUN
            and run.deadline_at is not None
            and run.deadline_at < now
        ][:limit]

    async def queued_runs(self, limit: int) -> builtins.list[Due]:
        queued = sorted(
            (run for run in self.store.runs.values() if run.status is RunStatus.QUEUED),
            key=lambda run: run.created_at,
        )
        return [Due(run.tenant_id, run.id) for run in queued[:limit]]


# --- helpers -----------------------------------------------------------------------------------


def _leasable(instance: Instance, now: datetime) -> bool:
    return instance.status is StepStatus.READY and (
        instance.ready_at is None or instance.ready_at <= now
    )


def _set(target: object, columns: Mapping[str, Any]) -> None:
    for name, value in columns.items():
        setattr(target, name, copy.deepcopy(value))


_JSON_COLUMNS = frozenset({"inputs", "vars", "outputs", "error", "state", "output"})


def _json(value: Any) -> Any:
    """A JSON column's value as the database gives it back (a value JSON cannot hold raises)."""
    return json.loads(json.dumps(value))


def _json_columns(columns: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _json(value) if name in _JSON_COLUMNS else value for name, value in columns.items()
    }


def _stored(instance: Instance) -> Instance:
    """A copy of an instance as its row holds it: not new, not changed."""
    return replace(
        instance,
        output=_json(instance.output),
        error=_json(instance.error),
        state=_json(instance.state),
        is_new=False,
        changed=False,
    )


def _history_records(state: RunState) -> builtins.list[HistoryRecord]:
    """Number the run's new history entries and clear them, as ``SqlRunRepository.save`` does."""
    records = []
    for entry in state.history:
        state.history_seq += 1
        records.append(
            HistoryRecord(
                state.history_seq,
                entry.type,
                entry.step_key,
                entry.attempt,
                json.loads(json.dumps(entry.data, default=str)),
                entry.at,
            )
        )
    state.history = []
    return records


if TYPE_CHECKING:  # mypy proves the fakes keep satisfying the ports

    def _satisfies_ports(
        factory: InMemoryEngineUnitOfWorkFactory,
        uow: InMemoryEngineUnitOfWork,
        queue: InMemoryRunQueue,
    ) -> tuple[
        EngineUnitOfWorkFactory,
        WorkflowUnitOfWorkFactory,
        EngineUnitOfWork,
        WorkflowUnitOfWork,
        WorkflowRepository,
        RunRepository,
        RunQueue,
    ]:
        return factory, factory, uow, uow, uow.workflows, uow.runs, queue
