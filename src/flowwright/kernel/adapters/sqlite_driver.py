"""SQLite for SQLAlchemy's asyncio engine, with statements run in the event loop.

An asyncio engine needs a driver it can await. aiosqlite runs every cursor, execute, fetch and
close on a thread of its own and wakes the event loop after each, which made a hand-over per
call, several per statement, most of the time a workflow transaction took (0.9 of 1.3 ms for a
``SELECT 1`` transaction).

This driver runs statements on the :mod:`sqlite3` connection directly, in the loop's thread.
Every transaction begins ``BEGIN IMMEDIATE`` (see ``database.py``); that is first tried without
waiting, and only if another process holds the write lock does a thread wait for it, in SQLite's
busy handler, up to the connection's ``timeout``. Once a transaction holds the write lock of a
WAL database, no other connection can make its statements wait, so they cost what SQLite takes
to run them: microseconds for the indexed reads and writes of the engine. Opening a connection
and its PRAGMAs (``database._configure_sqlite``) run in the loop too; they can wait on another
process only while it creates the file or recovers its WAL after a crash, once per connection.

``COMMIT`` runs in the loop too, fsync included (0.1-0.4 ms on a local SSD, longer when it
carries a WAL checkpoint). Handing it to a thread cost more than that in hand-over alone: 10-step
runs per second fell by a fifth and the start of a run's first step took twice as long. With one
connection per process (see ``database.create_engine``) nothing else of the process could use
the database meanwhile anyway; what pauses is work that needs no database, such as reading an
LLM's stream. On a disk whose fsync takes milliseconds, run PostgreSQL.

The module registers the dialect as ``sqlite+flowwright``; ``database.create_engine`` uses it for
every SQLite URL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, AdaptedConnection
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, StaticPool

T = TypeVar("T")

DRIVER = "flowwright"
DEFAULT_TIMEOUT_SECONDS = 5.0
# Prepared statements kept per connection; the engine runs a few hundred distinct ones.
CACHED_STATEMENTS = 512


async def on_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on a thread, waited for to the end even if the caller is cancelled.

    A cancelled caller goes on to roll back or close the connection; the thread must be done
    with it first. The cancellation is raised once the thread has returned.
    """
    future = asyncio.ensure_future(asyncio.to_thread(function, *args))
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = cancelled or not future.done()
        except BaseException:  # the function's own error, raised below
            break
    if cancelled:
        future.exception()  # seen: the cancellation is what the caller gets
        raise asyncio.CancelledError
    return future.result()


class InLoopCursor:
    """The driver's cursor, as the asyncio engine expects one.

    ``execute`` runs the statement in a coroutine that never suspends: the engine checks that
    its statements went through the event loop, and a greenlet switch costs about a microsecond.
    Rows are read from SQLite as they are fetched; there is nothing to close asynchronously.
    """

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: InLoopConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    def execute(self, operation: str, parameters: Any = None) -> InLoopCursor:
        arguments = () if parameters is None else parameters
        return self._in_loop(lambda: self._cursor.execute(operation, arguments))

    def executemany(self, operation: str, seq_of_parameters: Any) -> InLoopCursor:
        return self._in_loop(lambda: self._cursor.executemany(operation, seq_of_parameters))

    def _in_loop(self, statement: Callable[[], object]) -> InLoopCursor:
        async def run() -> None:
            statement()

        self._connection.run_async(lambda _driver: run())
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class InLoopConnection(AdaptedConnection):
    """A :mod:`sqlite3` connection as SQLAlchemy's asyncio engine expects one.

    Cursors are the driver's, barely wrapped. Only ``begin_immediate`` may leave the loop's
    thread, to wait for another process's write lock.
    """

    __slots__ = ("_busy_ms", "_sqlite")

    def __init__(self, connection: sqlite3.Connection, busy_ms: int) -> None:
        self._connection = cast(Any, connection)  # what ``driver_connection`` returns
        self._sqlite = connection
        self._busy_ms = busy_ms

    def cursor(self) -> InLoopCursor:
        return InLoopCursor(self, self._sqlite.cursor())

    def begin_immediate(self) -> None:
        """Take the write lock: at once if it is free, else on a thread that waits for it."""
        connection = self._sqlite
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            # The extended code may say why (SQLITE_BUSY_RECOVERY...); its low byte says busy.
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        self.run_async(lambda _driver: on_thread(connection.execute, "BEGIN IMMEDIATE"))

    def commit(self) -> None:
        self._sqlite.commit()

    def rollback(self) -> None:
        self._sqlite.rollback()

    def close(self) -> None:
        self._sqlite.close()

    @property
    def isolation_level(self) -> str | None:
        return self._sqlite.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._sqlite.isolation_level = value

    def __getattr__(self, name: str) -> Any:
        # create_function, in_transaction, total_changes and the rest of the driver's API.
        return getattr(self._sqlite, name)


class InLoopDBAPI:
    """The DBAPI module SQLAlchemy sees: :mod:`sqlite3`, with ``connect`` adapted."""

    paramstyle = "qmark"

    def connect(self, *args: Any, **kwargs: Any) -> InLoopConnection:
        timeout = float(kwargs.pop("timeout", DEFAULT_TIMEOUT_SECONDS))
        kwargs.pop("check_same_thread", None)
        kwargs.setdefault("cached_statements", CACHED_STATEMENTS)
        connection = sqlite3.connect(  # type: ignore[call-overload]
            *args,
            timeout=timeout,
            # Used by the loop's thread and, to wait for a lock, by a pool's thread, never by
            # two at once: the loop waits for the thread.
            check_same_thread=False,
            # SQLAlchemy issues BEGIN itself (``do_begin``); the driver's implicit BEGIN would
            # be DEFERRED.
            isolation_level=None,
            **kwargs,
        )
        return InLoopConnection(connection, busy_ms=int(timeout * 1000))

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)


class InLoopSQLiteDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return InLoopDBAPI()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        database = url.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in database
        return StaticPool if in_memory else AsyncAdaptedQueuePool

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.begin_immediate()


registry.register(f"sqlite.{DRIVER}", __name__, "InLoopSQLiteDialect")
