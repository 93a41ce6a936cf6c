"""Workflows, their immutable versions, and webhook routes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowwright.kernel.adapters.types import UtcDateTime
from flowwright.migrations import rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("workflows", "workflow_versions", "webhook_routes")


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workflows"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            ondelete="CASCADE",
            name="fk_workflows_tenant_id_tenants",
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_workflows_tenant_name"),
    )
    op.create_table(
        "workflow_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("workflow_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_versions"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            ondelete="CASCADE",
            name="fk_workflow_versions_tenant_id_tenants",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            ondelete="CASCADE",
            name="fk_workflow_versions_workflow_id_workflows",
        ),
        sa.UniqueConstraint("workflow_id", "version", name="uq_workflow_versions_workflow_version"),
    )
    op.create_index("ix_workflow_versions_tenant_id", "workflow_versions", ["tenant_id"])
    op.create_table(
        "webhook_routes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("workflow_id", sa.String(36), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_routes"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            ondelete="CASCADE",
            name="fk_webhook_routes_tenant_id_tenants",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            ondelete="CASCADE",
            name="fk_webhook_routes_workflow_id_workflows",
        ),
        sa.UniqueConstraint("tenant_id", "path", name="uq_webhook_routes_tenant_path"),
    )
    for table in TABLES:
        rls.enable_tenant_isolation(table)


def downgrade() -> None:
    for table in TABLES:
        rls.disable_tenant_isolation(table)
    op.drop_table("webhook_routes")
    op.drop_index("ix_workflow_versions_tenant_id", table_name="workflow_versions")
    op.drop_table("workflow_versions")
    op.drop_table("workflows")
