"""Tables of the durable engine: runs, step instances, history, and large payloads."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.sql.elements import ColumnElement

from flowwright.kernel.adapters.metadata import metadata, tenant_owned
from flowwright.kernel.adapters.types import UtcDateTime
from flowwright.workflow.domain.runs.status import StepStatus

runs = Table(
    tenant_owned("runs"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("workflow_id", String(36), nullable=False),
    Column("workflow_name", String(63), nullable=False),
    Column("version_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("inputs", JSON, nullable=False),
    Column("vars", JSON, nullable=False),
    Column("outputs", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("state", JSON, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("trigger", String(20), nullable=False),
    Column("parent_run_id", String(36), nullable=True),
    Column("parent_step_key", String(500), nullable=True),
    Column("created_by", String(36), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("deadline_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("history_seq", Integer, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_runs_tenant_idempotency_key"),
    Index("ix_runs_tenant_created", "tenant_id", "created_at"),
    Index("ix_runs_status_deadline", "status", "deadline_at"),
    Index("ix_runs_parent_run_id", "parent_run_id"),
)

run_steps = Table(
    tenant_owned("run_steps"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), nullable=False),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(500), nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("step_type", String(32), nullable=False),
    Column("scope_key", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("lease_losses", Integer, nullable=False),
    Column("fencing", BigInteger, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("ready_at", UtcDateTime, nullable=True),
    Column("wake_at", UtcDateTime, nullable=True),
    Column("output", JSON, nullable=True),
    Column("output_ref", String(36), nullable=True),
    Column("error", JSON, nullable=True),
    Column("state", JSON, nullable=False),
    Column("reason", Text, nullable=True),
    Column("handled", Boolean, nullable=False),
    Column("finished_order", Integer, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    UniqueConstraint("run_id", "key", name="uq_run_steps_run_key"),
)


def step_is(status: StepStatus) -> ColumnElement[bool]:
    """``run_steps.status = '<status>'`` with the status as a literal, as the queue's queries
    must name it: a partial index below serves a query only when the query's condition implies
    the index's, which neither PostgreSQL's generic plans nor SQLite can see through a bound
    parameter."""
    return run_steps.c.status == literal_column(f"'{status.value}'")


# The queue's indexes hold only the steps it looks for (ready, waiting on a timer, leased), a
# few rows whatever the length of the history, instead of every step ever run: a step that
# ends leaves them, and a step written already ended, as most are, is never entered in them.
for _name, _column, _status in (
    ("ix_run_steps_ready", run_steps.c.ready_at, StepStatus.READY),
    ("ix_run_steps_waiting", run_steps.c.wake_at, StepStatus.WAITING),
    ("ix_run_steps_leased", run_steps.c.lease_expires_at, StepStatus.RUNNING),
):
    Index(_name, _column, postgresql_where=step_is(_status), sqlite_where=step_is(_status))

# A run's history is keyed by its sequence number, the order it is read back in. It has no
# foreign key to ``runs``: entries are only ever written by a save of their run, in the run's own
# transaction, and the per-entry check cost a third of an entry's insert on PostgreSQL (10 of
# 30 µs). Whatever deletes runs deletes their history with them.
run_history = Table(
    tenant_owned("run_history"),
    metadata,
    Column("tenant_id", String(36), nullable=False),
    Column("run_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("step_key", String(500), nullable=True),
    Column("attempt", Integer, nullable=True),
    Column("data", JSON, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Step outputs above the inline limit live here, out of the rows the scheduler scans.
run_payloads = Table(
    tenant_owned("run_payloads"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), nullable=False),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("data", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_run_payloads_run_id", "run_id"),
)
