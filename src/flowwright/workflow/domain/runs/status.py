"""Run and step statuses, and which of them are final."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"  # accepted; waiting for a tenant concurrency slot
    RUNNING = "running"
    WAITING = "waiting"  # nothing runnable: timers, approvals or child runs pending
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_RUN


TERMINAL_RUN = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT}
)
RESUMABLE_RUN = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT})
# What counts against a tenant's limit on concurrent runs.
ACTIVE_RUN_STATUSES = (RunStatus.RUNNING.value, RunStatus.WAITING.value)


class StepStatus(StrEnum):
    PENDING = "pending"  # waits for the steps it needs
    READY = "ready"  # runnable at ready_at, by a worker that leases it
    RUNNING = "running"  # leased by a worker
    WAITING = "waiting"  # a timer, an approval, a child run or nested steps
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STEP


TERMINAL_STEP = frozenset(
    {StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.CANCELLED}
)
