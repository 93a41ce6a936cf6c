"""Database engines and per-transaction tenant scoping.

SQLite runs in WAL mode with foreign keys on and a busy timeout, with transactions started as
``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing on lock upgrades.

On PostgreSQL every transaction declares its scope with ``set_config(..., true)`` (local to the
transaction): either one tenant, whose id row-level security policies compare against, or the
system scope used by authentication and installation administration. The transaction also assumes
an unprivileged role, so the policies apply even when the connection's user is a superuser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

SYSTEM_SCOPE = "system"
TENANT_SCOPE = "tenant"

_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Scope:
    """Which rows a transaction may see: one tenant's, or (for the system) all."""

    tenant_id: str | None

    @property
    def kind(self) -> str:
        return SYSTEM_SCOPE if self.tenant_id is None else TENANT_SCOPE


SYSTEM = Scope(tenant_id=None)


def tenant_scope(tenant_id: str) -> Scope:
    return Scope(tenant_id=tenant_id)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        # Every transaction takes SQLite's write lock (BEGIN IMMEDIATE), so two connections of
        # one process can never work at once anyway; with one pooled connection they queue in
        # the event loop and the next starts as soon as the last commits, instead of polling the
        # lock in SQLite's busy handler (sleeps of 1-100 ms). Other processes still wait in the
        # busy handler.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 30)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy drive transactions (the driver's implicit BEGIN would be DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_name(session: AsyncSession | AsyncConnection) -> str:
    bind = session.bind if isinstance(session, AsyncSession) else session
    assert bind is not None, "session is not bound to an engine"
    return bind.dialect.name


async def apply_scope(session: AsyncSession | AsyncConnection, scope: Scope, app_role: str) -> None:
    """Declare the transaction's scope (PostgreSQL only; SQLite has no second wall)."""
    if dialect_name(session) != "postgresql":
        return
    if not _ROLE_RE.match(app_role):
        raise ValueError(f"invalid PostgreSQL role name {app_role!r}")
    await session.execute(
        text(
            "SELECT set_config('role', :role, true),"
            " set_config('flowwright.scope', :scope, true),"
            " set_config('flowwright.tenant_id', :tenant_id, true)"
        ),
        {"role": app_role, "scope": scope.kind, "tenant_id": scope.tenant_id or ""},
    )
