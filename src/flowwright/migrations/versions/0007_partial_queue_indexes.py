"""The queue's indexes on run_steps hold only the steps it looks for.

The indexes on (status, ready_at), (status, wake_at) and (status, lease_expires_at) held every
step ever run, though the queue only ever looks for ready steps, steps waiting on a timer and
leased steps: three index entries written for each step row, most of them for steps that had
already ended. Partial indexes on the time column, one per status, hold only those steps.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (old index, new index, time column, the status its rows have)
_INDEXES = (
    ("ix_run_steps_status_ready_at", "ix_run_steps_ready", "ready_at", "ready"),
    ("ix_run_steps_status_wake_at", "ix_run_steps_waiting", "wake_at", "waiting"),
    ("ix_run_steps_status_lease", "ix_run_steps_leased", "lease_expires_at", "running"),
)


def upgrade() -> None:
    for old, new, column, status in _INDEXES:
        op.drop_index(old, table_name="run_steps")
        where = sa.text(f"status = '{status}'")
        op.create_index(new, "run_steps", [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for old, new, column, _status in _INDEXES:
        op.drop_index(new, table_name="run_steps")
        op.create_index(old, "run_steps", ["status", column], unique=False)
