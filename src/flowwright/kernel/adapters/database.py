"""Database engines and per-transaction tenant scoping.

SQLite runs in WAL mode with foreign keys on, with transactions started as ``BEGIN IMMEDIATE``
so that concurrent writers queue instead of failing on lock upgrades, on the driver of
``sqlite_driver`` (statements in the event loop) whatever driver the URL names.

On PostgreSQL every transaction declares its scope with ``set_config(..., true)`` (local to the
transaction): either one tenant, whose id row-level security policies compare against, or the
system scope used by authentication and installation administration. The transaction also assumes
an unprivileged role, so the policies apply even when the connection's user is a superuser.

A pooled PostgreSQL connection may have been closed by the server (a terminated backend, a
restart) while it sat in the pool. It is checked when taken from the pool, cheaply (see
``_configure_postgresql``), and a connection lost anyway fails the transaction's first statement,
its scope, which ``open_scoped`` then runs again on a new connection: nothing was written yet.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    InternalError,
    OperationalError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from flowwright.kernel.adapters import sqlite_driver

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
        in_loop = make_url(url).set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        # Seconds a transaction waits for another process's write lock.
        connect_args = {"timeout": 30, **kwargs.pop("connect_args", {})}
        engine = create_async_engine(in_loop, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


# A connection back in the pool for longer than this is pinged before it is handed out again.
IDLE_PING_SECONDS = 1.0
PING_TIMEOUT_SECONDS = 10.0
PING = "SELECT 1"
_IDLE_SINCE = "flowwright_idle_since"


def _configure_postgresql(engine: AsyncEngine) -> None:
    """Hand out no pooled connection that is known to be gone, without a round trip per checkout.

    SQLAlchemy's ``pool_pre_ping`` costs every checkout a round trip or three (asyncpg's ping is
    BEGIN, an empty statement and ROLLBACK, about 0.3 ms), which was most of the LLM gateway's
    overhead per call. Instead: a connection the server ended while it sat in the pool has
    already been marked closed by the driver (the server's notice arrives as the connection
    idles), which costs nothing to look at; and one that sat idle for more than
    ``IDLE_PING_SECONDS`` gets one statement first, for the losses nobody announced (a network
    gone quiet). A connection that fails either is replaced before anyone sees it (raising
    ``DisconnectionError`` makes the pool connect anew). What is left, a connection lost
    between its checkout and its first statement, or mid-transaction, fails that statement:
    SQLAlchemy then sees a disconnect and discards the pool's older connections, the first
    statement is done over by ``open_scoped``, and a later one fails its transaction, which the
    role loops try again and an API client may retry.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed the connection while it was pooled")
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or back from work a moment ago
        try:
            # One simple-protocol round trip, outside any transaction (pgbouncer-safe). Not the
            # empty statement: asyncpg cannot read its reply's missing status.
            dbapi_connection.run_async(
                lambda driver: driver.execute(PING, timeout=PING_TIMEOUT_SECONDS)
            )
        except Exception as exc:
            raise DisconnectionError(f"a pooled connection failed its ping: {exc!r}") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    # The driver begins every transaction with BEGIN IMMEDIATE and waits up to the connection's
    # ``timeout`` for another process's write lock (see ``sqlite_driver``).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def dialect_of(session: AsyncSession | AsyncConnection) -> Dialect:
    bind = session.bind if isinstance(session, AsyncSession) else session
    assert bind is not None, "session is not bound to an engine"
    return bind.dialect


def dialect_name(session: AsyncSession | AsyncConnection) -> str:
    return dialect_of(session).name


Handle = TypeVar("Handle", AsyncSession, AsyncConnection)

# A lost connection fails the first statement again only if the server is down or unreachable.
FIRST_STATEMENT_ATTEMPTS = 3


async def open_scoped(
    open_handle: Callable[[], Awaitable[Handle]], scope: Scope, app_role: str
) -> Handle:
    """A session or connection from ``open_handle`` whose transaction has declared ``scope``.

    The scope is the transaction's first statement, so a connection found lost there (see
    ``_configure_postgresql``) is given up and the statement done over on a new one, up to
    ``FIRST_STATEMENT_ATTEMPTS`` times in all. Other errors, and those of later statements,
    are the caller's.
    """
    for attempt in range(1, FIRST_STATEMENT_ATTEMPTS + 1):
        handle = await open_handle()
        try:
            await apply_scope(handle, scope, app_role)
        except DBAPIError as exc:
            with contextlib.suppress(Exception):
                await handle.close()
            if attempt == FIRST_STATEMENT_ATTEMPTS or not connection_lost(exc):
                raise
            continue
        except BaseException:
            await handle.close()
            raise
        return handle
    raise AssertionError("unreachable")


def connection_lost(error: DBAPIError) -> bool:
    """Whether ``error`` says the connection broke, rather than that a statement was wrong.

    SQLAlchemy flags the disconnects it recognizes. Besides, asyncpg fails a statement sent
    between the server's termination notice and the close of the connection with a protocol
    error (an ``InternalError`` here), and a refused or reset connection is an operational error.
    """
    return error.connection_invalidated or isinstance(
        error, OperationalError | InterfaceError | InternalError
    )


async def apply_scope(session: AsyncSession | AsyncConnection, scope: Scope, app_role: str) -> None:
    """Declare the transaction's scope (PostgreSQL only; SQLite has no second wall)."""
    if dialect_name(session) != "postgresql":
        return
    if not _ROLE_RE.match(app_role):
        raise ValueError(f"invalid PostgreSQL role name {app_role!r}")
    await session.execute(
        _SET_SCOPE, {"role": app_role, "scope": scope.kind, "tenant_id": scope.tenant_id or ""}
    )


_SET_SCOPE = text(
    "SELECT set_config('role', :role, true),"
    " set_config('flowwright.scope', :scope, true),"
    " set_config('flowwright.tenant_id', :tenant_id, true)"
)
