"""Fixtures of the chaos tests: a migrated database of each backend, the engine as the test
process drives it, a sink of its own, and worker processes that are always killed at teardown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from engine_probe import EngineProbe
from processes import Workers, worker_environment

from flowwright.bootstrap import build_container
from flowwright.kernel.ids import new_id
from flowwright.migrations import runner
from flowwright.tenancy.application.first_run import ensure_first_run
from flowwright.workflow.domain.caller import Caller
from sink import Sink
from testkit import EmptyDatabase, test_settings


@pytest.fixture
def chaos_sink() -> Iterator[Sink]:
    receiver = Sink().start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def probe(
    empty_database: EmptyDatabase, tmp_path: Path, chaos_sink: Sink
) -> AsyncIterator[EngineProbe]:
    await asyncio.to_thread(runner.upgrade, empty_database.url)
    data_dir = tmp_path / "data"
    settings = test_settings(
        empty_database.url,
        data_dir,
        http_allowed_hosts=[f"127.0.0.1:{chaos_sink.port}"],
        lease_seconds=1.0,
    )
    container = build_container(settings)
    credentials = await ensure_first_run(
        uow_factory=container.tenancy,
        hasher=container.hasher,
        clock=container.clock,
        owner_email=f"chaos-{new_id()[-8:]}@flowwright.test",
    )
    assert credentials is not None
    caller = Caller(credentials.tenant_id, None, "owner")
    try:
        yield EngineProbe(empty_database.backend, empty_database.url, data_dir, container, caller)
    finally:
        await container.aclose()


@pytest.fixture
def make_workers(
    probe: EngineProbe, chaos_sink: Sink, tmp_path: Path
) -> Iterator[Callable[..., Workers]]:
    """Build the test's worker pool; every process it started is killed at teardown."""
    pools: list[Workers] = []

    def factory(
        *, forked: bool = False, lease_seconds: float = 1.0, concurrency: int = 4
    ) -> Workers:
        log_dir = tmp_path / f"workers-{len(pools) + 1}"
        log_dir.mkdir()
        env = worker_environment(
            database_url=probe.url,
            data_dir=probe.data_dir,
            allowed_hosts=[f"127.0.0.1:{chaos_sink.port}"],
            lease_seconds=lease_seconds,
            concurrency=concurrency,
        )
        pool = Workers(env, log_dir, forked=forked)
        pools.append(pool)
        return pool

    yield factory
    for pool in pools:
        pool.close()
