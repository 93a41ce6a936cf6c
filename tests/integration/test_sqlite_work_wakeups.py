"""Across processes on SQLite, a worker learns of new work from the database file's version.

Two containers on one SQLite file stand for two processes: an API that starts runs and a worker
whose poll is a minute long, so only the listener can explain a step that runs within seconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from worker_elsewhere import CALL, api_and_worker, run_started_elsewhere

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.role_names import Role
from flowwright.entrypoints.roles import serve
from flowwright.kernel.clock import SystemClock
from flowwright.migrations import runner
from flowwright.workflow.adapters.sqlite_listener import SqliteWorkListener
from flowwright.workflow.domain.caller import Caller
from sink import Sink
from testkit import test_settings as settings_for
from workflow_helpers import first_tenant

REVIEW = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: review}
steps:
  - {id: look, type: approval, message: Fine?}
"""


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    runner.upgrade(url)
    return url


@pytest.fixture
async def two_processes(
    sqlite_url: str, tmp_path: Path, sink: Sink
) -> AsyncIterator[tuple[Container, Container, Caller]]:
    async with api_and_worker(sqlite_url, tmp_path, sink, REVIEW) as processes:
        yield processes


async def test_a_run_started_by_another_process_runs_without_waiting_for_the_poll(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    api, worker, caller = two_processes
    listener = worker.work_listener
    assert isinstance(listener, SqliteWorkListener)
    await run_started_elsewhere(api, worker, caller, "ping", listener.watching)


async def test_only_commits_that_leave_a_step_ready_wake_the_worker(
    sqlite_url: str, tmp_path: Path
) -> None:
    api = build_container(settings_for(sqlite_url, tmp_path / "api"))  # no worker of its own
    caller = await first_tenant(
        api, REVIEW, CALL % ("https://api.example.com/1", "https://api.example.com/2")
    )
    listener = SqliteWorkListener(sqlite_url, SystemClock(), interval=0.005)
    woken = asyncio.Event()
    wake_ups = 0

    def on_work() -> None:
        nonlocal wake_ups
        wake_ups += 1
        woken.set()

    stop = asyncio.Event()
    listening = asyncio.create_task(listener.listen(on_work, stop))
    try:
        async with asyncio.timeout(10):
            await listener.watching.wait()
        for _ in range(3):  # each start commits a run that waits for a person: nothing to lease
            await api.run_engine.start_run(caller, "review", inputs={})
            await asyncio.sleep(0.05)
        assert wake_ups == 0

        await api.run_engine.start_run(caller, "ping", inputs={})  # its first call is ready
        async with asyncio.timeout(10):
            await woken.wait()
    finally:
        stop.set()
        await listening
        await api.aclose()


async def test_the_one_process_installation_does_not_watch_the_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    container = build_container(settings_for(sqlite_url, tmp_path / "all", port=port))
    listener = container.work_listener
    assert isinstance(listener, SqliteWorkListener)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(container, Role.ALL, stop=stop))
    try:
        await asyncio.sleep(0.5)
        assert not listener.watching.is_set()  # its own commits wake its worker already
    finally:
        stop.set()
        await serving
