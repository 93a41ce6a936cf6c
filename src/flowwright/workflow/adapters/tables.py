from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from flowwright.kernel.adapters.metadata import metadata, tenant_owned
from flowwright.kernel.adapters.types import UtcDateTime

workflows = Table(
    tenant_owned("workflows"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(63), nullable=False),
    Column("description", Text, nullable=False),
    Column("latest_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=True),
    UniqueConstraint("tenant_id", "name", name="uq_workflows_tenant_name"),
)

workflow_versions = Table(
    tenant_owned("workflow_versions"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column(
        "workflow_id", String(36), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("message", String(500), nullable=True),
    UniqueConstraint("workflow_id", "version", name="uq_workflow_versions_workflow_version"),
    Index("ix_workflow_versions_tenant_id", "tenant_id"),
)

# Which workflow answers a webhook path; paths are unique per tenant.
webhook_routes = Table(
    tenant_owned("webhook_routes"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(200), nullable=False),
    Column(
        "workflow_id", String(36), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    ),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "path", name="uq_webhook_routes_tenant_path"),
)
