"""The worker with a scripted executor: lease, execute, complete; errors, timeouts, lost leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from engine_kit import ScriptedExecutor, forever, lease_one, publish

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import RetryableError, ValidationFailed
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryRunQueue,
    InMemoryWorkflowStore,
)
from flowwright.workflow.application.engine import Engine, EngineSettings
from flowwright.workflow.application.ports import StepCall
from flowwright.workflow.application.signals import RunSignals
from flowwright.workflow.application.worker import Worker
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Outcome, Succeeded
from flowwright.workflow.domain.runs.state import Instance
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

FETCH = """
inputs:
  path: {type: string, default: ping}
steps:
  - id: fetch
    type: http
    url: "https://api.example.com/${{ inputs.path }}"
    retry: {max_attempts: 2, backoff: fixed, initial: 1s, jitter: false}
outputs:
  status: ${{ steps.fetch.output.status }}
"""


class CountingQueue(InMemoryRunQueue):
    """Records the steps its lease passes hand out."""

    def __init__(self, store: InMemoryWorkflowStore) -> None:
        super().__init__(store)
        self.handed_out: list[str] = []

    async def lease(self, **kwargs):  # type: ignore[no-untyped-def]
        leases = await super().lease(**kwargs)
        self.handed_out += [lease.key for lease in leases]
        return leases


def worker_for(
    engine: Engine, queue: InMemoryRunQueue, clock: FixedClock, executor: ScriptedExecutor
) -> Worker:
    return Worker(engine, queue, {"http": executor}, clock, poll_interval=0.01, sweep_interval=0)


async def start(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
    body: str = FETCH,
    inputs: dict[str, object] | None = None,
) -> str:
    await publish(uow_factory, clock, owner, "fetcher", body)
    return (await engine.start_run(owner, "fetcher", inputs=inputs or {})).state.run_id


async def step(engine: Engine, owner: Caller, run_id: str, key: str = "fetch") -> Instance:
    return (await engine.get(owner, run_id)).instances[key]


async def test_the_worker_leases_executes_and_completes_until_the_run_ends(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    executor = ScriptedExecutor([Succeeded({"status": 200, "headers": {}, "body": "pong"})])
    run_id = await start(engine, uow_factory, clock, owner, inputs={"path": "health"})
    worker = worker_for(engine, queue, clock, executor)
    changed = engine.signals.watch(run_id)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))

    try:
        async with asyncio.timeout(5):
            while (await engine.get(owner, run_id)).status is not RunStatus.SUCCEEDED:
                await changed.wait()
                changed.clear()
    finally:
        stop.set()
        await loop

    (sent,) = executor.calls
    assert sent.config["url"] == "https://api.example.com/health"
    assert (sent.step_key, sent.attempt, sent.idempotency_key) == ("fetch", 1, f"{run_id}/fetch")
    assert (await engine.get(owner, run_id)).outputs == {"status": 200}


async def test_an_executor_exception_is_a_retryable_executor_error(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    executor = ScriptedExecutor([RuntimeError("bug in the executor")])
    run_id = await start(engine, uow_factory, clock, owner)
    worker = worker_for(engine, queue, clock, executor)

    await worker.execute(await lease_one(queue, clock, "fetch"))

    retried = await step(engine, owner, run_id)
    assert retried.status is StepStatus.READY
    assert retried.ready_at == clock.now() + timedelta(seconds=1)
    assert retried.error == {
        "code": "executor_error",
        "message": "RuntimeError: bug in the executor",
    }
    assert "step_retried" in [r.type for r in store.history_of(run_id)]


async def test_a_platform_error_keeps_its_code_and_retryability(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    executor = ScriptedExecutor([RetryableError("busy"), ValidationFailed("bad request")])
    run_id = await start(engine, uow_factory, clock, owner)
    worker = worker_for(engine, queue, clock, executor)

    await worker.execute(await lease_one(queue, clock, "fetch"))
    assert (await step(engine, owner, run_id)).status is StepStatus.READY
    clock.advance(timedelta(seconds=1))
    await worker.execute(await lease_one(queue, clock, "fetch"))

    failed = await step(engine, owner, run_id)
    assert failed.status is StepStatus.FAILED
    assert failed.error == {"code": "validation_failed", "message": "bad request"}
    assert failed.attempt == 2


async def test_an_attempt_past_the_step_timeout_fails_with_step_timeout(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    executor = ScriptedExecutor([forever])
    run_id = await start(
        engine,
        uow_factory,
        clock,
        owner,
        """
        steps:
          - {id: fetch, type: http, url: "https://api.example.com", timeout: 20ms}
        """,
    )
    worker = worker_for(engine, queue, clock, executor)

    await asyncio.wait_for(worker.execute(await lease_one(queue, clock, "fetch")), 5)

    assert executor.cancelled.is_set()
    failed = await step(engine, owner, run_id)
    assert failed.error == {
        "code": "step_timeout",
        "message": "the step did not finish within 20 ms",
    }
    assert (await engine.get(owner, run_id)).status is RunStatus.FAILED


async def test_a_lost_lease_abandons_the_attempt_without_completing_it(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    # Heartbeats every 10 ms.
    engine = Engine(uow_factory, clock, RunSignals(), EngineSettings(lease_ms=30))
    started = asyncio.Event()

    async def stuck(call: StepCall) -> Outcome:
        started.set()
        return await forever(call)

    executor = ScriptedExecutor([stuck])
    run_id = await start(engine, uow_factory, clock, owner)
    worker = worker_for(engine, queue, clock, executor)
    first = await lease_one(queue, clock, "fetch")
    attempt = asyncio.create_task(worker.execute(first))
    await asyncio.wait_for(started.wait(), 5)

    # The worker looks dead: its lease expires, a sweeper recovers it, another worker takes over.
    clock.advance(timedelta(minutes=1))
    (due,) = await queue.expired_leases(clock.now(), 10)
    await engine.recover_lease(due.tenant_id, due.run_id, "fetch", due.fencing)
    second = await lease_one(queue, clock, "fetch")

    await asyncio.wait_for(attempt, 5)
    assert executor.cancelled.is_set()
    taken_over = await step(engine, owner, run_id)
    assert (taken_over.status, taken_over.fencing) == (StepStatus.RUNNING, second.fencing)
    types = [r.type for r in store.history_of(run_id)]
    assert "step_failed" not in types and "step_succeeded" not in types
    assert not await queue.renew(first, clock.now())


async def test_a_config_that_cannot_be_rendered_fails_without_calling_the_executor(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    executor = ScriptedExecutor()
    run_id = await start(
        engine,
        uow_factory,
        clock,
        owner,
        """
        inputs:
          n: {type: string}
        steps:
          - {id: fetch, type: http, url: "https://api.example.com/${{ int(inputs.n) }}"}
        """,
        inputs={"n": "many"},
    )

    await worker_for(engine, queue, clock, executor).execute(await lease_one(queue, clock, "fetch"))

    assert executor.calls == []
    failed = await step(engine, owner, run_id)
    assert failed.error is not None and failed.error["code"] == "expression_error"


async def test_a_sweep_handles_timers_expired_leases_deadlines_and_queued_runs(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    engine = Engine(uow_factory, clock, RunSignals(), EngineSettings(tenant_run_cap=3))
    worker = worker_for(engine, queue, clock, ScriptedExecutor())
    await publish(
        uow_factory, clock, owner, "napper", "steps:\n  - {id: nap, type: delay, duration: 1m}\n"
    )
    await publish(
        uow_factory,
        clock,
        owner,
        "slow",
        "timeout: 1m\nsteps:\n  - {id: wait, type: approval, message: ok?}\n",
    )
    napper = (await engine.start_run(owner, "napper", inputs={})).state.run_id
    slow = (await engine.start_run(owner, "slow", inputs={})).state.run_id
    fetcher = await start(engine, uow_factory, clock, owner)
    queued = (await engine.start_run(owner, "napper", inputs={})).state.run_id
    assert (await engine.get(owner, queued)).status is RunStatus.QUEUED
    await lease_one(queue, clock, "fetch")
    clock.advance(timedelta(minutes=2))

    await worker.sweep()

    assert (await engine.get(owner, napper)).status is RunStatus.SUCCEEDED
    assert (await engine.get(owner, slow)).status is RunStatus.TIMED_OUT
    assert (await step(engine, owner, fetcher)).status is StepStatus.READY
    assert (await engine.get(owner, queued)).status is RunStatus.WAITING


SEQUENCE = """
steps:
  - {id: s1, type: http, url: "https://api.example.com/1"}
  - {id: s2, type: http, needs: [s1], url: "https://api.example.com/${{ steps.s1.output.body }}"}
  - {id: s3, type: http, needs: [s2], url: "https://api.example.com/${{ steps.s2.output.body }}"}
  - {id: s4, type: http, needs: [s3], url: "https://api.example.com/${{ steps.s3.output.body }}"}
  - {id: s5, type: http, needs: [s4], url: "https://api.example.com/${{ steps.s4.output.body }}"}
outputs:
  last: ${{ steps.s5.output.body }}
"""


async def test_a_slot_takes_the_runs_next_steps_from_completions_up_to_the_chain_limit(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    async def echo(call: StepCall) -> Outcome:
        return Succeeded({"status": 200, "headers": {}, "body": str(call.config["url"])[-1] + "+"})

    queue = CountingQueue(store)
    executor = ScriptedExecutor([echo] * 5)
    run_id = await start(engine, uow_factory, clock, owner, body=SEQUENCE)
    worker = Worker(engine, queue, {"http": executor}, clock, poll_interval=0.01, chain_limit=2)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        await until_ended(engine, owner, run_id)
    finally:
        stop.set()
        await loop

    run = await engine.get(owner, run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert [call.step_key for call in executor.calls] == ["s1", "s2", "s3", "s4", "s5"]
    # Each call was rendered from the output the step before it had just recorded.
    assert [call.config["url"].rsplit("/", 1)[1] for call in executor.calls] == [
        "1",
        "1+",
        "++",
        "++",
        "++",
    ]
    # s1 and s4 came from the queue; s2, s3 and s5 were leased by the completions before them.
    assert queue.handed_out == ["s1", "s4"]
    started = [h for h in store.history_of(run_id) if h.type == "step_started"]
    assert [h.step_key for h in started] == ["s1", "s2", "s3", "s4", "s5"]
    assert {h.data["worker"] for h in started} == {worker.owner}


async def test_a_start_hands_its_first_step_to_a_running_worker_without_a_lease_pass(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    queue = CountingQueue(store)
    executor = ScriptedExecutor([Succeeded({"status": 200, "headers": {}, "body": "pong"})])
    worker = Worker(engine, queue, {"http": executor}, clock, concurrency=1, poll_interval=60)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(5):
            await until_taking_starts(engine, worker)
            run_id = await start(engine, uow_factory, clock, owner)
            assert worker.reserve() is None  # its one slot runs the handed step
        await until_ended(engine, owner, run_id)
    finally:
        stop.set()
        await loop

    assert (await engine.get(owner, run_id)).outputs == {"status": 200}
    assert [call.step_key for call in executor.calls] == ["fetch"]
    assert queue.handed_out == []  # the start leased it; the worker's passes found nothing
    assert engine.taker is None  # a stopped worker takes nothing more
    assert worker.reserve() is None  # and offers no slot


async def until_ended(engine: Engine, owner: Caller, run_id: str) -> None:
    """Wait, woken by the engine's signals and for 5 s at most, until the run has ended."""
    changed = engine.signals.watch(run_id)
    try:
        async with asyncio.timeout(5):
            while not (await engine.get(owner, run_id)).status.is_terminal:
                await changed.wait()
                changed.clear()
    finally:
        engine.signals.unwatch(run_id, changed)


async def until_taking_starts(engine: Engine, worker: Worker) -> None:
    """Wait until the running worker has registered and found its queue empty."""
    for _ in range(1000):
        offer = worker.reserve() if engine.taker is worker else None
        if offer is not None:
            worker.release(offer)
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the worker never offered a slot to starts")


async def test_no_slot_goes_to_a_start_while_the_queue_may_hold_ready_steps(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
) -> None:
    worker = Worker(engine, queue, {"http": ScriptedExecutor()}, clock, poll_interval=60)
    assert worker.reserve() is None  # no lease pass yet: the queue may hold anything
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(5):
            await until_taking_starts(engine, worker)
            engine.signals.work()  # a step became ready; the next lease pass has not run
            assert worker.reserve() is None
    finally:
        stop.set()
        await loop
