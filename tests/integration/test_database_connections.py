"""Pooled PostgreSQL connections the server ended are never handed to a use case.

A connection terminated while it sat in the pool is replaced at checkout; one idle for longer
than the threshold is pinged with one statement, and one just back from work is not; and
a connection lost between its checkout and its first statement makes the unit of work start
over on a new one, since nothing was written yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from flowwright.kernel.adapters import database
from flowwright.kernel.adapters.database import SYSTEM, create_engine
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import SystemClock
from flowwright.migrations import runner
from testkit import EmptyDatabase, connect_admin

ROLE = "flowwright_app"


@pytest.fixture
async def engine(empty_database: EmptyDatabase) -> AsyncIterator[AsyncEngine]:
    if empty_database.backend != "postgres":
        pytest.skip("SQLite has no server to end a connection")
    await asyncio.to_thread(runner.upgrade, empty_database.url)
    engine = create_engine(empty_database.url)
    yield engine
    await engine.dispose()


async def backend_of(connection: AsyncConnection) -> int:
    raw = await connection.get_raw_connection()
    pid: int = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
    return pid


async def terminate(pid: int) -> None:
    admin = await connect_admin()
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def last_statement(pid: int) -> str:
    admin = await connect_admin()
    try:
        query: str = await admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
        return query
    finally:
        await admin.close()


async def test_a_connection_the_server_ended_in_the_pool_is_replaced_unseen(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        first = await backend_of(connection)
        await connection.execute(text("SELECT 1"))
    await terminate(first)
    await asyncio.sleep(0.2)  # the server's notice reaches the idle connection

    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT pg_backend_pid()")) != first


async def test_only_a_connection_idle_past_the_threshold_is_pinged(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.3)
    async with engine.connect() as connection:
        pid = await backend_of(connection)
        await connection.execute(text("SELECT 'at work'"))

    async with engine.connect() as connection:  # back from work a moment ago
        assert await backend_of(connection) == pid
        assert await last_statement(pid) == "ROLLBACK;"  # the pool's reset, nothing since
    await asyncio.sleep(0.4)
    async with engine.connect() as connection:
        assert await backend_of(connection) == pid
        assert await last_statement(pid) == database.PING


async def test_a_unit_of_work_whose_connection_is_lost_before_its_first_statement_starts_anew(
    engine: AsyncEngine,
) -> None:
    lost: list[int] = []

    async def lose(driver: Any) -> None:
        await terminate(driver.get_server_pid())
        while not driver.is_closed():  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    @event.listens_for(engine.sync_engine, "checkout")
    def lose_the_first(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # After the engine's own check: the connection was fine when it left the pool.
        if not lost:
            lost.append(dbapi_connection.driver_connection.get_server_pid())
            dbapi_connection.run_async(lose)

    uow = SqlUnitOfWork(
        async_sessionmaker(engine), scope=SYSTEM, clock=SystemClock(), app_role=ROLE
    )
    async with uow:
        used = await uow.session.scalar(text("SELECT pg_backend_pid()"))
        await uow.commit()

    assert len(lost) == 1 and used != lost[0]


async def test_a_statement_error_on_the_first_statement_is_not_tried_again(
    engine: AsyncEngine,
) -> None:
    uow = SqlUnitOfWork(
        async_sessionmaker(engine), scope=SYSTEM, clock=SystemClock(), app_role="no_such_role"
    )
    with pytest.raises(DBAPIError) as raised:
        async with uow:
            pass
    assert not database.connection_lost(raised.value)
