"""The worker through database outages: a pass that fails is tried again after a pause, and an
attempt's outcome that cannot be written at once is written again while its lease lasts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from engine_kit import ScriptedExecutor, lease_one, publish

from flowwright.kernel.clock import FixedClock
from flowwright.workflow.adapters.memory import InMemoryEngineUnitOfWorkFactory, InMemoryRunQueue
from flowwright.workflow.application.engine import Engine, EngineSettings
from flowwright.workflow.application.worker import Worker
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Succeeded
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

FETCH = """
steps:
  - {id: fetch, type: http, url: "https://api.example.com/ping"}
outputs:
  status: ${{ steps.fetch.output.status }}
"""


class FailingFirst:
    """Fails the first ``times`` calls of a method with ``error``, as an unreachable database
    would, then calls through."""

    def __init__(self, method: Callable[..., Awaitable[Any]], times: int, error: Exception) -> None:
        self.method = method
        self.left = times
        self.error = error
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise self.error
        return await self.method(*args, **kwargs)


@dataclass
class Fetching:
    """A run of FETCH started, and a worker whose executor answers its one call."""

    run_id: str
    worker: Worker
    executor: ScriptedExecutor


@pytest.fixture
async def fetching(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> Fetching:
    await publish(uow_factory, clock, owner, "fetcher", FETCH)
    run_id = (await engine.start_run(owner, "fetcher", inputs={})).state.run_id
    executor = ScriptedExecutor([Succeeded({"status": 200, "headers": {}, "body": "pong"})])
    executors = {"http": executor}
    worker = Worker(engine, queue, executors, clock, poll_interval=0.01, sweep_interval=0)
    return Fetching(run_id, worker, executor)


async def test_an_outcome_that_cannot_be_recorded_at_once_is_recorded_on_a_later_try(
    engine: Engine, queue: InMemoryRunQueue, clock: FixedClock, owner: Caller, fetching: Fetching
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        prepare = FailingFirst(engine.prepare, 1, ConnectionError("connection reset"))
        complete = FailingFirst(engine.complete, 2, ConnectionError("terminated by the server"))
        patch.setattr(engine, "prepare", prepare)
        patch.setattr(engine, "complete", complete)

        await fetching.worker.execute(await lease_one(queue, clock, "fetch"))

    assert (prepare.calls, complete.calls, len(fetching.executor.calls)) == (2, 3, 1)
    assert (await engine.get(owner, fetching.run_id)).outputs == {"status": 200}


@pytest.mark.parametrize("settings", [EngineSettings(lease_ms=200)])
async def test_an_outcome_still_unrecorded_when_its_lease_would_end_is_left_to_the_lease(
    engine: Engine, queue: InMemoryRunQueue, clock: FixedClock, owner: Caller, fetching: Fetching
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        complete = FailingFirst(engine.complete, 1000, ConnectionError("database down"))
        patch.setattr(engine, "complete", complete)

        await asyncio.wait_for(fetching.worker.execute(await lease_one(queue, clock, "fetch")), 5)

    assert 2 <= complete.calls < 20  # tried again with growing pauses, within the lease
    running = (await engine.get(owner, fetching.run_id)).instances["fetch"]
    assert running.status is StepStatus.RUNNING  # for a sweep to recover once the lease expires


async def test_a_pass_that_fails_is_tried_again_and_the_loop_goes_on(
    engine: Engine, queue: InMemoryRunQueue, owner: Caller, fetching: Fetching
) -> None:
    stop = asyncio.Event()
    with pytest.MonkeyPatch.context() as patch:
        lease = FailingFirst(queue.lease, 3, ConnectionError("the server is restarting"))
        patch.setattr(queue, "lease", lease)
        loop = asyncio.create_task(fetching.worker.run(stop))
        try:
            async with asyncio.timeout(5):
                while (await engine.get(owner, fetching.run_id)).status is not RunStatus.SUCCEEDED:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        finally:
            stop.set()
            await loop

    assert lease.calls >= 4
    assert fetching.worker.pass_backoff.failures == 0
