from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from flowwright.kernel.adapters.metadata import metadata
from flowwright.kernel.adapters.types import UtcDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tenant_id", String(36), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),
)
