"""Drive a run through ``RunProgress`` as the engine does, with no storage and no worker.

Each call is one transition: a ``RunProgress`` at the driver's current time applies a change,
runs the steps that only compute (as ``Engine._drive`` does) and refreshes the run's status.
Steps with effects are leased and completed by hand (``lease``, ``succeed``, ``fail``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flowwright.workflow.domain.dsl import CompileOptions, compile_workflow
from flowwright.workflow.domain.runs.local_steps import (
    LOCAL_TYPES,
    decide_approval,
    fire_timer,
    run_local_step,
)
from flowwright.workflow.domain.runs.outcome import Failed
from flowwright.workflow.domain.runs.plan import RunPlan, build_plan
from flowwright.workflow.domain.runs.progress import RunProgress
from flowwright.workflow.domain.runs.state import HistoryEntry, Instance, RunState
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
URL = "https://api.example.com/hook"
HEADER = "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: test-flow}\n"


def compile_plan(body: str) -> RunPlan:
    """The run plan of a workflow whose document is ``HEADER`` followed by ``body``."""
    result = compile_workflow(HEADER + textwrap.dedent(body), options=CompileOptions())
    errors = [f"{d.line}:{d.column} {d.code} {d.message}" for d in result.errors]
    assert result.ok and result.plan is not None, errors
    return build_plan(result.plan)


class Driver:
    def __init__(self, body: str) -> None:
        self.plan = compile_plan(body)
        self.now = T0
        self.state = RunState(
            run_id="run-1",
            tenant_id="tenant-1",
            workflow_name="test-flow",
            version=1,
            status=RunStatus.QUEUED,
            inputs={},
            started_at=T0,
        )
        self.cancelled_children: list[str] = []

    # --- transitions -------------------------------------------------------------------------

    def apply(self, change: Callable[[RunProgress], object]) -> RunProgress:
        progress = RunProgress(self.plan, self.state, self.now)
        change(progress)
        while progress.ready:
            key = progress.ready.pop(0)
            instance = self.state.instances[key]
            if instance.status is StepStatus.READY and instance.step_type in LOCAL_TYPES:
                run_local_step(progress, key)
        progress.refresh_status()
        self.cancelled_children += progress.cancelled_children
        return progress

    def start(self, inputs: dict[str, Any] | None = None) -> Driver:
        self.state.inputs = dict(inputs or {})
        self.apply(lambda p: p.start())
        return self

    def lease(self, key: str) -> Instance:
        """What the queue does when a worker leases the step."""
        instance = self.instance(key)
        assert instance.status is StepStatus.READY, (key, instance.status)
        assert instance.ready_at is not None and instance.ready_at <= self.now, instance.ready_at
        instance.status = StepStatus.RUNNING
        instance.attempt += 1
        instance.fencing += 1
        instance.started_at = self.now
        return instance

    def succeed(self, key: str, output: Any = None) -> None:
        self.lease(key)
        self.apply(lambda p: p.succeed(key, output))

    def fail(
        self, key: str, code: str = "BOOM", *, retryable: bool = False, message: str = "it broke"
    ) -> None:
        self.lease(key)
        self.apply(lambda p: p.fail(key, Failed(code, message, retryable=retryable)))

    def fire(self, key: str) -> None:
        self.apply(lambda p: fire_timer(p, key))

    def decide(self, key: str, *, approved: bool, by: str = "user-1") -> None:
        self.apply(
            lambda p: decide_approval(p, key, approved=approved, decided_by=by, comment=None)
        )

    def cancel(self, reason: str = "stopped by a person") -> None:
        self.apply(lambda p: p.cancel_run(reason))

    def resume(self) -> list[str]:
        reset: list[str] = []
        self.apply(lambda p: reset.extend(p.resume()))
        return reset

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    # --- reading -----------------------------------------------------------------------------

    def instance(self, key: str) -> Instance:
        return self.state.instances[key]

    def run_status(self) -> RunStatus:
        return self.state.status

    def status(self, key: str) -> StepStatus:
        return self.state.instances[key].status

    def statuses(self) -> dict[str, str]:
        return {key: i.status.value for key, i in self.state.instances.items()}

    def output(self, key: str) -> Any:
        return self.state.instances[key].output

    def ready(self) -> list[str]:
        """Keys of the steps with effects that a worker may lease now."""
        return [
            key
            for key, i in self.state.instances.items()
            if i.status is StepStatus.READY and i.ready_at is not None and i.ready_at <= self.now
        ]

    def history(self, kind: str | None = None) -> list[HistoryEntry]:
        return [e for e in self.state.history if kind is None or e.type == kind]

    def events(self) -> list[tuple[str, str | None]]:
        return [(e.type, e.step_key) for e in self.state.history]
