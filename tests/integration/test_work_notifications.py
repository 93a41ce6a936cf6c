"""Across processes on PostgreSQL, the commit that makes a step ready wakes idle workers.

Two containers stand for two processes: an API that starts runs and a worker whose poll is a
minute long, so only the notification can explain a step that runs within seconds. Each has its
own engine, connections and in-process signals; NOTIFY reaches the worker through the server.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.role_names import Role
from flowwright.entrypoints.roles import serve
from flowwright.kernel.waiting import first_of
from flowwright.migrations import runner
from flowwright.tenancy.application.first_run import ensure_first_run
from flowwright.workflow.adapters.work_listener import PgWorkListener, asyncpg_dsn
from flowwright.workflow.application import versions
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.status import RunStatus
from sink import Sink
from testkit import EmptyDatabase
from testkit import test_settings as settings_for

CALL = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: ping}
steps:
  - {id: call, type: http, method: POST, url: "%s", body: {n: 1}}
  - {id: again, type: http, needs: [call], method: POST, url: "%s", body: {n: 2}}
"""


@pytest.fixture
def postgres_url(empty_database: EmptyDatabase) -> str:
    if empty_database.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite, workers of other processes poll")
    runner.upgrade(empty_database.url)
    return empty_database.url


@pytest.fixture
async def api_and_worker(
    postgres_url: str, tmp_path: Path, sink: Sink
) -> AsyncIterator[tuple[Container, Container, Caller]]:
    allowed = [f"127.0.0.1:{sink.port}"]
    api = build_container(settings_for(postgres_url, tmp_path / "api", http_allowed_hosts=allowed))
    worker = build_container(
        settings_for(
            postgres_url, tmp_path / "worker", http_allowed_hosts=allowed, worker_poll_seconds=60
        )
    )
    credentials = await ensure_first_run(
        uow_factory=api.tenancy, hasher=api.hasher, clock=api.clock
    )
    assert credentials is not None
    caller = Caller(credentials.tenant_id, None, "owner")
    await versions.push(
        textwrap.dedent(CALL % (f"{sink.url}/ok/notify-1", f"{sink.url}/ok/notify-2")),
        caller=caller,
        uow_factory=api.workflows,
        installation=api.installation,
        clock=api.clock,
    )
    try:
        yield api, worker, caller
    finally:
        await api.aclose()


async def test_a_run_started_elsewhere_runs_at_the_commit_not_at_the_next_poll(
    api_and_worker: tuple[Container, Container, Caller],
) -> None:
    api, worker, caller = api_and_worker
    listener = worker.work_listener
    assert isinstance(listener, PgWorkListener)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(worker, Role.WORKER, stop=stop))
    try:
        async with asyncio.timeout(10):
            await listener.listening.wait()
        await asyncio.sleep(0.5)  # the worker's first passes are over; it now sleeps for 60 s
        started = await api.run_engine.start_run(caller, "ping", inputs={})
        run_id = started.state.run_id
        async with asyncio.timeout(20):  # far below the worker's poll of 60 s
            # The API's process has no signal from the worker's: it reads, as a client would.
            while (await api.run_engine.get(caller, run_id)).status is not RunStatus.SUCCEEDED:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await serving


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
