"""Tenant secrets and the LLM gateway (providers, aliases, prices, budgets, usage, results).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowwright.kernel.adapters.types import UtcDateTime
from flowwright.migrations import rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = (
    "secrets",
    "llm_providers",
    "llm_aliases",
    "llm_prices",
    "llm_budgets",
    "llm_usage",
    "llm_call_results",
)


def _tenant(table: str) -> tuple[sa.Column[str], sa.ForeignKeyConstraint]:
    return (
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"
        ),
    )


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("secrets"),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_secrets"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_secrets_tenant_name"),
    )
    op.create_table(
        "llm_providers",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_providers"),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=True),
        sa.Column("api_key_secret", sa.String(64), nullable=True),
        sa.Column("timeout_seconds", sa.Float, nullable=False),
        sa.Column("breaker_threshold", sa.Integer, nullable=False),
        sa.Column("breaker_cooldown_seconds", sa.Float, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_providers"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_llm_providers_tenant_name"),
    )
    op.create_table(
        "llm_aliases",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_aliases"),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_aliases"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_llm_aliases_tenant_name"),
    )
    op.create_table(
        "llm_prices",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_prices"),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_micros", sa.BigInteger, nullable=False),
        sa.Column("output_micros", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_prices"),
        sa.UniqueConstraint("tenant_id", "model", name="uq_llm_prices_tenant_model"),
    )
    op.create_table(
        "llm_budgets",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_budgets"),
        sa.Column("token_limit", sa.BigInteger, nullable=True),
        sa.Column("cost_limit_micros", sa.BigInteger, nullable=True),
        sa.Column("warn_percent", sa.Integer, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("used_tokens", sa.BigInteger, nullable=False),
        sa.Column("used_micros", sa.BigInteger, nullable=False),
        sa.Column("warned_period", sa.String(7), nullable=True),
        sa.Column("stopped_period", sa.String(7), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_budgets"),
        sa.UniqueConstraint("tenant_id", name="uq_llm_budgets_tenant"),
    )
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_usage"),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("alias", sa.String(63), nullable=False),
        sa.Column("provider", sa.String(63), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("priced", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("fallback_path", sa.JSON, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("step_id", sa.String(200), nullable=True),
        sa.Column("workflow_id", sa.String(64), nullable=True),
        sa.Column("agent", sa.String(200), nullable=True),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_llm_usage"),
    )
    op.create_index("ix_llm_usage_tenant_created", "llm_usage", ["tenant_id", "created_at"])
    op.create_index("ix_llm_usage_tenant_run", "llm_usage", ["tenant_id", "run_id"])
    op.create_table(
        "llm_call_results",
        sa.Column("id", sa.String(36), nullable=False),
        *_tenant("llm_call_results"),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_llm_call_results"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_llm_call_results_tenant_key"),
    )
    for table in TABLES:
        rls.enable_tenant_isolation(table)


def downgrade() -> None:
    for table in TABLES:
        rls.disable_tenant_isolation(table)
    op.drop_index("ix_llm_usage_tenant_run", table_name="llm_usage")
    op.drop_index("ix_llm_usage_tenant_created", table_name="llm_usage")
    for table in reversed(TABLES):
        op.drop_table(table)
