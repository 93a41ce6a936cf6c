"""Run history keyed by (run, sequence number), without a row id or a foreign key to runs.

Every entry had a random id that nothing read, an index for it beside the one on (run_id, seq),
and a foreign-key check per insert. A run's start or step completion writes several entries,
a fan-out of 100 over 300, and these were most of the cost of each one on PostgreSQL.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowwright.kernel.ids import new_id

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_history") as batch:
        batch.drop_constraint("fk_run_history_run_id_runs", type_="foreignkey")
        batch.drop_constraint("uq_run_history_run_seq", type_="unique")
        batch.drop_constraint("pk_run_history", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_run_history", ["run_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("run_history") as batch:
        batch.add_column(sa.Column("id", sa.String(length=36), nullable=True))
    # Entries get new ids: the ones dropped by the upgrade were never read.
    history = sa.table("run_history", sa.column("id"), sa.column("run_id"), sa.column("seq"))
    bind = op.get_bind()
    keys = bind.execute(sa.select(history.c.run_id, history.c.seq)).all()
    if keys:
        bind.execute(
            history.update()
            .where(
                history.c.run_id == sa.bindparam("key_run_id"),
                history.c.seq == sa.bindparam("key_seq"),
            )
            .values(id=sa.bindparam("new_id")),
            [{"key_run_id": run_id, "key_seq": seq, "new_id": new_id()} for run_id, seq in keys],
        )
    with op.batch_alter_table("run_history") as batch:
        batch.drop_constraint("pk_run_history", type_="primary")
        batch.alter_column("id", existing_type=sa.String(length=36), nullable=False)
        batch.create_primary_key("pk_run_history", ["id"])
        batch.create_unique_constraint("uq_run_history_run_seq", ["run_id", "seq"])
        batch.create_foreign_key(
            "fk_run_history_run_id_runs", "runs", ["run_id"], ["id"], ondelete="CASCADE"
        )
