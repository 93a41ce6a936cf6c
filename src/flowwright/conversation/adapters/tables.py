from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text

from flowwright.kernel.adapters.metadata import metadata, tenant_owned
from flowwright.kernel.adapters.types import UtcDateTime

conversations = Table(
    tenant_owned("conversations"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), nullable=True),
    Column("title", String(200), nullable=False),
    Column("workflow_name", String(63), nullable=True),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_conversations_tenant_updated", "tenant_id", "updated_at"),
)

conversation_messages = Table(
    tenant_owned("conversation_messages"),
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column(
        "conversation_id",
        String(36),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("draft", JSON, nullable=True),
    Column("meta", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_conversation_messages_conversation_created", "conversation_id", "created_at"),
)
