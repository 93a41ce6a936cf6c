"""A run's state as the engine decides on it: the run and its step instances.

Loaded in one transaction, changed by ``progress.RunProgress``, and written back with the history
entries it produced; nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowwright.kernel.ids import new_id
from flowwright.workflow.domain.runs.keys import ROOT
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

_ITERATION = re.compile(r"^(?P<container>.+)\[(?P<index>\d+)\]$")


@dataclass
class Instance:
    key: str
    step_id: str
    scope_key: str
    status: StepStatus
    id: str = field(default_factory=new_id)
    attempt: int = 0
    output: Any = None
    error: dict[str, Any] | None = None
    state: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    ready_at: datetime | None = None
    wake_at: datetime | None = None
    handled: bool = False
    finished_order: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    step_type: str = ""
    fencing: int = 0
    lease_losses: int = 0
    # bookkeeping for the store
    is_new: bool = False
    changed: bool = False

    def touch(self) -> None:
        self.changed = True


@dataclass(frozen=True)
class HistoryEntry:
    type: str
    step_key: str | None
    attempt: int | None
    data: dict[str, Any]
    at: datetime


@dataclass
class RunState:
    run_id: str
    tenant_id: str
    workflow_name: str
    version: int
    status: RunStatus
    inputs: dict[str, Any]
    started_at: datetime
    vars: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    reason: str | None = None
    state: dict[str, Any] = field(default_factory=dict)  # e.g. the compensation queue
    instances: dict[str, Instance] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    finished_at: datetime | None = None
    workflow_id: str = ""
    version_id: str = ""
    trigger: str = "api"
    idempotency_key: str | None = None
    parent_run_id: str | None = None
    parent_step_key: str | None = None
    created_by: str | None = None
    deadline_at: datetime | None = None
    history_seq: int = 0
    changed: bool = False
    is_new: bool = False  # not stored yet: the next save inserts the run as it is then
    _by_scope: dict[str, dict[str, Instance]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for instance in self.instances.values():
            self._by_scope.setdefault(instance.scope_key, {})[instance.step_id] = instance

    def add(self, instance: Instance) -> Instance:
        instance.is_new = True
        self.instances[instance.key] = instance
        self._by_scope.setdefault(instance.scope_key, {})[instance.step_id] = instance
        return instance

    def scope(self, scope_key: str) -> dict[str, Instance]:
        return self._by_scope.get(scope_key, {})

    def container_of(self, scope_key: str) -> tuple[Instance, str | int] | None:
        """The container instance of a nested scope, with the branch name or item index."""
        if scope_key == ROOT or scope_key.startswith("~"):
            return None
        match = _ITERATION.match(scope_key)
        if match:
            return self.instances[match["container"]], int(match["index"])
        container_key, branch = scope_key.rsplit("/", 1)
        return self.instances[container_key], branch

    def next_finish_order(self) -> int:
        self.state["finished"] = int(self.state.get("finished", 0)) + 1
        self.changed = True
        return int(self.state["finished"])
