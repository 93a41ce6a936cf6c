"""SQLite's driver runs statements in the event loop and waits for other processes on a thread.

Another process holding the write lock is played by a second :mod:`sqlite3` connection to the
same file: SQLite makes no difference between the two.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from flowwright.kernel.adapters.database import create_engine


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "driver.db"


async def _engine(path: Path, lock_wait: float = 30) -> AsyncEngine:
    # Any SQLite URL gets the in-loop driver, whatever driver it names.
    engine = create_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": lock_wait})
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS notes (body TEXT NOT NULL)"))
    return engine


@pytest.fixture
async def engine(database_file: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _engine(database_file)
    yield engine
    await engine.dispose()


@pytest.fixture
def other_process(database_file: Path, engine: AsyncEngine) -> Iterator[sqlite3.Connection]:
    """A second connection, as another process would have, in autocommit mode."""
    connection = sqlite3.connect(database_file, isolation_level=None, check_same_thread=False)
    yield connection
    connection.close()


def _bodies(path: Path) -> list[str]:
    with sqlite3.connect(path) as reader:
        return [row[0] for row in reader.execute("SELECT body FROM notes ORDER BY rowid")]


async def _insert(engine: AsyncEngine, body: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


class Ticker:
    """Counts how often the event loop got to run it: zero while the loop is blocked."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.005)
            self.ticks += 1

    def stop(self) -> None:
        self._task.cancel()


async def test_a_commit_is_on_disk_and_a_rollback_is_not(
    engine: AsyncEngine, database_file: Path
) -> None:
    await _insert(engine, "kept")
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES ('dropped')"))
        await connection.rollback()
    assert _bodies(database_file) == ["kept"]
    async with engine.connect() as connection:
        settings = [
            (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        ]
    assert settings == ["wal", 2, 1]  # synchronous 2 is FULL: fsync at every commit


async def test_a_transaction_holds_the_write_lock_from_its_start(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other_process.execute("PRAGMA busy_timeout=0")
            other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("ROLLBACK")


async def test_waiting_for_another_process_lock_leaves_the_loop_free(
    engine: AsyncEngine, other_process: sqlite3.Connection, database_file: Path
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("INSERT INTO notes (body) VALUES ('first')")
    ticker = Ticker()
    started = time.monotonic()
    waiting = asyncio.create_task(_insert(engine, "second"))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    ticks_while_waiting = ticker.ticks
    other_process.execute("COMMIT")
    await asyncio.wait_for(waiting, 10)
    ticker.stop()
    assert time.monotonic() - started >= 0.3
    # The loop ran its 5 ms ticker all along (at least a third of the time, on a busy machine).
    assert ticks_while_waiting >= 20
    assert _bodies(database_file) == ["first", "second"]


async def test_a_lock_held_past_the_timeout_fails_the_transaction_and_nothing_else(
    database_file: Path, other_process: sqlite3.Connection
) -> None:
    engine = await _engine(database_file, lock_wait=0.2)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"):
            await _insert(engine, "too late")
        other_process.execute("ROLLBACK")
        await _insert(engine, "in time")
    finally:
        await engine.dispose()
    assert _bodies(database_file) == ["in time"]


async def test_a_caller_cancelled_while_waiting_leaves_no_lock_behind(
    engine: AsyncEngine, other_process: sqlite3.Connection, database_file: Path
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    waiting = asyncio.create_task(_insert(engine, "cancelled"))
    await asyncio.sleep(0.1)
    waiting.cancel()
    paused = time.monotonic()
    await asyncio.sleep(0.1)
    # The loop is not blocked (touching the connection the thread waits with would block it)...
    assert time.monotonic() - paused < 5
    # ...because the thread is waited for before the connection is touched again.
    assert not waiting.done()
    other_process.execute("ROLLBACK")
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 10)
    await _insert(engine, "after")
    # The lock the cancelled transaction took was given back: another connection can write.
    other_process.execute("PRAGMA busy_timeout=0")
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("INSERT INTO notes (body) VALUES ('other')")
    other_process.execute("COMMIT")
    assert _bodies(database_file) == ["after", "other"]
