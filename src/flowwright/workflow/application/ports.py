"""Ports of the workflow context."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flowwright.kernel.unit_of_work import UnitOfWork
from flowwright.workflow.domain.runs.outcome import Outcome
from flowwright.workflow.domain.runs.queue import Due, Lease
from flowwright.workflow.domain.runs.state import RunState
from flowwright.workflow.domain.versions import VersionRef, Workflow, WorkflowVersion


class WorkflowRepository(Protocol):
    """Workflows and versions of the unit of work's tenant."""

    async def get_by_name(self, name: str) -> Workflow | None: ...
    async def get(self, workflow_id: str) -> Workflow | None: ...
    async def add(self, workflow: Workflow) -> None: ...
    async def update(self, workflow: Workflow) -> None: ...
    async def list(self) -> builtins.list[Workflow]: ...
    async def names(self) -> frozenset[str]: ...
    async def add_version(self, version: WorkflowVersion) -> None: ...
    async def get_version(self, workflow_id: str, number: int) -> WorkflowVersion | None: ...
    async def get_version_by_id(self, version_id: str) -> WorkflowVersion | None: ...
    async def find_version(
        self, name: str, number: int | None, *, count_active_runs: bool = False
    ) -> VersionRef | None:
        """The version ``number`` (the latest if None) of the workflow ``name``, in one read;
        with ``count_active_runs``, also how many of the tenant's runs are running or waiting
        (what a start checks against the tenant's limit), in the same read."""
        ...

    async def list_versions(self, workflow_id: str) -> builtins.list[WorkflowVersion]: ...
    async def webhook_paths(self) -> Mapping[str, str]:
        """Webhook path -> name of the workflow that answers it."""
        ...

    async def set_webhook_paths(
        self, workflow_id: str, paths: builtins.list[str], *, at: datetime
    ) -> None: ...


class WorkflowUnitOfWork(UnitOfWork, Protocol):
    @property
    def workflows(self) -> WorkflowRepository: ...


class WorkflowUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> WorkflowUnitOfWork: ...


class RunRepository(Protocol):
    """Runs of the unit of work's tenant (see adapters/run_store.py)."""

    async def find_by_idempotency_key(self, key: str) -> str | None: ...
    async def load(self, run_id: str, *, lock: bool) -> RunState | None: ...
    async def save(self, state: RunState, now: datetime) -> builtins.list[Any]:
        """Write what changed: the run itself if ``state.is_new`` (raising ``AlreadyExists``
        when its idempotency key is taken), new and changed steps, and new history entries."""
        ...

    async def count_active(self) -> int: ...
    async def count_running_steps(self) -> int:
        """Steps of the tenant leased to a worker now (its limit on running steps)."""
        ...

    async def hold_lease(self, step_row_id: str, fencing: int, owner: str, until: datetime) -> None:
        """Record a lease taken inside a run's transition (the step's row is saved as running)."""
        ...

    @property
    def made_ready(self) -> bool:
        """Whether this unit of work saved a step a worker could lease (ready now)."""
        ...

    async def list_runs(
        self, *, status: str | None, workflow: str | None, limit: int, before: str | None
    ) -> builtins.list[Any]: ...
    async def history(self, run_id: str, *, after_seq: int, limit: int) -> builtins.list[Any]: ...
    async def waiting_approvals(self) -> builtins.list[Any]: ...


class EngineUnitOfWork(WorkflowUnitOfWork, Protocol):
    @property
    def runs(self) -> RunRepository: ...


class EngineUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> EngineUnitOfWork: ...


@dataclass(frozen=True)
class StepCall:
    """One attempt of a step with effects, as an executor receives it."""

    tenant_id: str
    run_id: str
    workflow: str
    step_key: str
    step_id: str
    step_type: str
    attempt: int
    idempotency_key: str
    config: dict[str, Any]
    timeout_ms: int | None


class StepExecutor(Protocol):
    async def execute(self, call: StepCall) -> Outcome: ...


class HttpReply(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def body(self) -> bytes: ...


class OutboundHttp(Protocol):
    """An HTTP client that refuses internal destinations (the integrations context has one)."""

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
        json_body: Any = None,
        timeout: float | None = None,  # noqa: ASYNC109  (forwarded to the client's own timeouts)
        idempotency_key: str | None = None,
    ) -> HttpReply: ...


class WorkListener(Protocol):
    """Learns that other processes made steps ready (PostgreSQL: LISTEN/NOTIFY)."""

    async def listen(self, on_work: Callable[[], None], stop: asyncio.Event) -> None:
        """Call ``on_work`` for each notification until ``stop`` is set."""
        ...


class RunQueue(Protocol):
    """Work across tenants (see adapters/run_queue.py)."""

    async def lease(
        self,
        *,
        owner: str,
        now: datetime,
        until: datetime,
        limit: int,
        types: frozenset[str],
        tenant_step_cap: int,
    ) -> builtins.list[Lease]: ...
    async def renew(self, lease: Lease, until: datetime) -> bool: ...
    async def due_timers(self, now: datetime, limit: int) -> builtins.list[Due]: ...
    async def expired_leases(self, now: datetime, limit: int) -> builtins.list[Due]: ...
    async def overdue_runs(self, now: datetime, limit: int) -> builtins.list[Due]: ...
    async def queued_runs(self, limit: int) -> builtins.list[Due]: ...


@dataclass(frozen=True)
class ModelRequest:
    """What an ``llm`` step asks of the installation's model gateway."""

    tenant_id: str
    alias: str
    prompt: str
    system: str | None
    temperature: float | None
    max_tokens: int | None
    output_schema: dict[str, Any] | None
    run_id: str
    step_key: str
    workflow: str
    # Stable across attempts: a repeated call with the same key answers from the record
    # instead of calling the model again.
    idempotency_key: str


@dataclass(frozen=True)
class ModelAnswer:
    output: Any  # the text, or the parsed value when an output schema was given
    usage: dict[str, Any]  # provider, model, tokens, cost, replayed


class LanguageModel(Protocol):
    async def generate(self, request: ModelRequest) -> ModelAnswer: ...
