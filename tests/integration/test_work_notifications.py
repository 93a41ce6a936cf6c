"""Across processes on PostgreSQL, the commit that makes a step ready wakes idle workers.

Two containers stand for two processes: an API that starts runs and a worker whose poll is a
minute long, so only the notification can explain a step that runs within seconds. Each has its
own engine, connections and in-process signals; NOTIFY reaches the worker through the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from worker_elsewhere import api_and_worker, run_started_elsewhere

from flowwright.bootstrap import Container
from flowwright.kernel.waiting import first_of
from flowwright.migrations import runner
from flowwright.workflow.adapters.work_listener import PgWorkListener, asyncpg_dsn
from flowwright.workflow.domain.caller import Caller
from sink import Sink
from testkit import EmptyDatabase


@pytest.fixture
def postgres_url(empty_database: EmptyDatabase) -> str:
    if empty_database.backend != "postgres":
        pytest.skip(
            "LISTEN/NOTIFY is PostgreSQL's; SQLite's wake-ups are in test_sqlite_work_wakeups.py"
        )
    runner.upgrade(empty_database.url)
    return empty_database.url


@pytest.fixture
async def two_processes(
    postgres_url: str, tmp_path: Path, sink: Sink
) -> AsyncIterator[tuple[Container, Container, Caller]]:
    async with api_and_worker(postgres_url, tmp_path, sink) as processes:
        yield processes


async def test_a_run_started_elsewhere_runs_at_the_commit_not_at_the_next_poll(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    api, worker, caller = two_processes
    listener = worker.work_listener
    assert isinstance(listener, PgWorkListener)
    await run_started_elsewhere(api, worker, caller, "ping", listener.listening)


async def test_the_listener_reconnects_and_wakes_the_worker_after_losing_its_connection(
    postgres_url: str,
) -> None:
    listener = PgWorkListener(postgres_url, retry_seconds=0.1)
    wake_ups = 0
    woken = asyncio.Event()

    def on_work() -> None:
        nonlocal wake_ups
        wake_ups += 1
        woken.set()

    stop = asyncio.Event()
    listening = asyncio.create_task(listener.listen(on_work, stop))
    admin = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        async with asyncio.timeout(10):
            await listener.listening.wait()
        assert wake_ups == 1  # on connecting: whatever became ready while nobody listened
        woken.clear()
        await admin.execute("SELECT pg_notify('flowwright_work', '')")
        async with asyncio.timeout(10):
            await woken.wait()
        assert wake_ups == 2

        terminated = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        assert terminated == 1
        async with asyncio.timeout(10):
            while wake_ups < 3 or not listener.listening.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        woken.clear()
        await admin.execute("SELECT pg_notify('flowwright_work', '')")
        async with asyncio.timeout(10):
            await woken.wait()
        assert wake_ups == 4
    finally:
        await admin.close()
        stop.set()
        await listening


async def test_the_listener_outlives_connections_that_die_before_they_listen(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend terminated between the connect and the LISTEN fails the LISTEN with asyncpg's
    InterfaceError (the connection is closed), which is neither an OSError nor a PostgresError."""
    connect = asyncpg.connect
    doomed = 2

    async def connect_then_lose(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        nonlocal doomed
        connection = await connect(*args, **kwargs)
        if doomed > 0:
            doomed -= 1
            admin = await connect(asyncpg_dsn(postgres_url))
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())
            finally:
                await admin.close()
            while not connection.is_closed():  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        return connection

    monkeypatch.setattr(asyncpg, "connect", connect_then_lose)
    listener = PgWorkListener(postgres_url, retry_seconds=0.05)
    stop = asyncio.Event()
    listening = asyncio.create_task(listener.listen(lambda: None, stop))
    try:
        async with asyncio.timeout(10):
            await first_of(listener.listening, stop_on_failure(listening))
        assert listener.listening.is_set(), listening
        assert doomed == 0
    finally:
        stop.set()
        await listening


def stop_on_failure(task: asyncio.Task[None]) -> asyncio.Event:
    """An event set when ``task`` ends, so that a test waiting for something else stops then."""
    ended = asyncio.Event()
    task.add_done_callback(lambda _: ended.set())
    return ended
