"""Tables of the agents context (the LLM gateway's). Every one of them is tenant-owned."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from flowwright.kernel.adapters.metadata import metadata, tenant_owned
from flowwright.kernel.adapters.types import UtcDateTime


def _tenant_id() -> Column[str]:
    return Column(
        "tenant_id", String(36), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


llm_providers = Table(
    tenant_owned("llm_providers"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("name", String(63), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("base_url", String(500), nullable=True),
    Column("api_key_secret", String(64), nullable=True),
    Column("timeout_seconds", Float, nullable=False),
    Column("breaker_threshold", Integer, nullable=False),
    Column("breaker_cooldown_seconds", Float, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "name", name="uq_llm_providers_tenant_name"),
)

llm_aliases = Table(
    tenant_owned("llm_aliases"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("name", String(63), nullable=False),
    Column("policy", String(20), nullable=False),
    Column("candidates", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "name", name="uq_llm_aliases_tenant_name"),
)

llm_prices = Table(
    tenant_owned("llm_prices"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("model", String(200), nullable=False),
    Column("input_micros", BigInteger, nullable=False),
    Column("output_micros", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "model", name="uq_llm_prices_tenant_model"),
)

llm_budgets = Table(
    tenant_owned("llm_budgets"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("token_limit", BigInteger, nullable=True),
    Column("cost_limit_micros", BigInteger, nullable=True),
    Column("warn_percent", Integer, nullable=False),
    Column("period", String(7), nullable=False),
    Column("used_tokens", BigInteger, nullable=False),
    Column("used_micros", BigInteger, nullable=False),
    Column("warned_period", String(7), nullable=True),
    Column("stopped_period", String(7), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", name="uq_llm_budgets_tenant"),
)

llm_usage = Table(
    tenant_owned("llm_usage"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("created_at", UtcDateTime, nullable=False),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD (UTC), for grouping on any database
    Column("alias", String(63), nullable=False),
    Column("provider", String(63), nullable=False),
    Column("model", String(200), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("priced", Boolean, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("fallback_path", JSON, nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("step_id", String(200), nullable=True),
    Column("workflow_id", String(64), nullable=True),
    Column("agent", String(200), nullable=True),
    Column("conversation_id", String(64), nullable=True),
    Column("user_id", String(36), nullable=True),
    Index("ix_llm_usage_tenant_created", "tenant_id", "created_at"),
    Index("ix_llm_usage_tenant_run", "tenant_id", "run_id"),
)

llm_call_results = Table(
    tenant_owned("llm_call_results"),
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant_id(),
    Column("idempotency_key", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_llm_call_results_tenant_key"),
)
