"""The one SQLAlchemy MetaData that every context's tables join, so Alembic sees them all."""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Tables that hold one tenant's data. Each has a ``tenant_id`` column, every repository query
# filters on it, and on PostgreSQL a row-level security policy enforces it a second time.
TENANT_OWNED_TABLES: list[str] = []


def tenant_owned(table_name: str) -> str:
    TENANT_OWNED_TABLES.append(table_name)
    return table_name
