"""The engine's use cases on the in-memory ports: starting, completing, timers, leases, people."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from engine_kit import lease_all, lease_one, publish

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryRunQueue,
    InMemoryWorkflowStore,
)
from flowwright.workflow.application import run_queries
from flowwright.workflow.application.engine import (
    ChainOffer,
    Engine,
    EngineSettings,
    HandedOn,
    InvalidInputs,
)
from flowwright.workflow.application.ports import StepCall
from flowwright.workflow.application.signals import RunSignals
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Failed, Succeeded
from flowwright.workflow.domain.runs.queue import Due
from flowwright.workflow.domain.runs.state import RunState
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

GREETER = """
inputs:
  name: {type: string, default: world}
  count: {type: integer, required: true}
steps:
  - {id: greet, type: transform, output: "hello ${{ inputs.name }} x${{ inputs.count }}"}
outputs:
  text: ${{ steps.greet.output }}
"""
CALLER = """
inputs:
  path: {type: string, default: ping}
steps:
  - {id: call, type: http, url: "https://api.example.com/${{ inputs.path }}"}
  - {id: after, type: transform, needs: [call], output: "${{ steps.call.output.status }}"}
outputs:
  status: ${{ steps.after.output }}
"""
FLAKY = """
steps:
  - id: call
    type: http
    url: "https://api.example.com"
    retry: {max_attempts: 2, backoff: fixed, initial: 10s, jitter: false}
"""
REVIEW = """
timeout: 1h
steps:
  - id: review
    type: approval
    message: Ship it?
    approvers: {roles: [editor]}
"""


async def load(engine: Engine, caller: Caller, run_id: str) -> RunState:
    return await engine.get(caller, run_id)


def with_settings(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, **settings: int
) -> Engine:
    return Engine(uow_factory, clock, RunSignals(), EngineSettings(**settings))


# --- starting ------------------------------------------------------------------------------------


async def test_start_run_applies_input_defaults_and_runs_compute_steps_at_once(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "greeter", GREETER)

    started = await engine.start_run(owner, "greeter", inputs={"count": 2})

    assert started.created
    run = await load(engine, owner, started.state.run_id)
    assert run.inputs == {"name": "world", "count": 2}
    assert run.status is RunStatus.SUCCEEDED
    assert run.outputs == {"text": "hello world x2"}
    (finished,) = store.events_named("workflow.RunFinished")
    assert finished.payload["run_id"] == run.run_id
    assert finished.payload["status"] == "succeeded"


@pytest.mark.parametrize(
    "inputs",
    [{}, {"count": "two"}, {"count": 1, "extra": True}],
    ids=["missing", "wrong-type", "unknown"],
)
async def test_start_run_refuses_inputs_that_do_not_match_the_declaration(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
    inputs: dict[str, object],
) -> None:
    await publish(uow_factory, clock, owner, "greeter", GREETER)

    with pytest.raises(InvalidInputs) as refused:
        await engine.start_run(owner, "greeter", inputs=inputs)

    assert refused.value.details["errors"]
    assert store.runs == {}


async def test_start_run_of_an_unknown_workflow_is_not_found(engine: Engine, owner: Caller) -> None:
    with pytest.raises(NotFound):
        await engine.start_run(owner, "nope", inputs={})


async def test_the_same_idempotency_key_starts_one_run(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "greeter", GREETER)

    first = await engine.start_run(owner, "greeter", inputs={"count": 1}, idempotency_key="req-1")
    second = await engine.start_run(owner, "greeter", inputs={"count": 9}, idempotency_key="req-1")

    assert first.created and not second.created
    assert second.state.run_id == first.state.run_id
    assert second.state.inputs == {"name": "world", "count": 1}
    assert len(store.runs) == 1


async def test_runs_over_the_tenant_cap_queue_until_promote_finds_a_free_slot(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    engine = with_settings(uow_factory, clock, tenant_run_cap=1)
    await publish(uow_factory, clock, owner, "review", REVIEW)
    first = await engine.start_run(owner, "review", inputs={})
    assert first.state.status is RunStatus.WAITING

    second = await engine.start_run(owner, "review", inputs={})

    queued = await load(engine, owner, second.state.run_id)
    assert queued.status is RunStatus.QUEUED
    assert queued.reason is not None and "concurrent run limit" in queued.reason
    assert queued.instances == {}
    assert await queue.queued_runs(10) == [Due("acme", queued.run_id)]
    assert not await engine.promote("acme", queued.run_id)

    await engine.decide(owner, first.state.run_id, "review", approved=True, comment=None)
    assert await engine.promote("acme", queued.run_id)

    promoted = await load(engine, owner, queued.run_id)
    assert promoted.status is RunStatus.WAITING
    assert promoted.reason == "waiting for a timer, an approval or a child run"
    assert promoted.instances["review"].status is StepStatus.WAITING
    assert await queue.queued_runs(10) == []


async def test_a_run_that_ends_wakes_the_worker_only_once_runs_were_queued(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, owner: Caller
) -> None:
    engine = with_settings(uow_factory, clock, tenant_run_cap=1)
    await publish(uow_factory, clock, owner, "greeter", GREETER)
    await publish(uow_factory, clock, owner, "review", REVIEW)

    done = await engine.start_run(owner, "greeter", inputs={"count": 1})
    assert done.state.status is RunStatus.SUCCEEDED
    assert not engine.signals.work_available.is_set()  # nothing for a worker to do

    first = await engine.start_run(owner, "review", inputs={})
    await engine.start_run(owner, "review", inputs={})  # queued behind the limit of 1
    engine.signals.work_available.clear()
    await engine.decide(owner, first.state.run_id, "review", approved=True, comment=None)

    assert engine.signals.work_available.is_set()  # a slot is free for the queued run


# --- steps with effects --------------------------------------------------------------------------


async def test_prepare_renders_the_attempt_and_complete_records_its_outcome(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={"path": "users"})).state.run_id
    lease = await lease_one(queue, clock, "call")

    call = await engine.prepare("acme", run_id, "call", lease.attempt, lease.fencing)

    assert isinstance(call, StepCall)
    assert call.config["url"] == "https://api.example.com/users"
    assert call.config["method"] == "GET"
    assert (call.attempt, call.idempotency_key, call.workflow) == (1, f"{run_id}/call", "caller")
    assert await engine.prepare("acme", run_id, "call", lease.attempt, lease.fencing + 1) is None

    done = (
        await engine.complete("acme", run_id, "call", lease.fencing, Succeeded({"status": 204}))
    ).recorded

    assert done
    run = await load(engine, owner, run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.outputs == {"status": 204}


async def test_complete_with_a_stale_fencing_token_is_refused(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id
    lease = await lease_one(queue, clock, "call")

    stale = (
        await engine.complete("acme", run_id, "call", lease.fencing - 1, Succeeded(1))
    ).recorded

    assert not stale
    run = await load(engine, owner, run_id)
    assert run.instances["call"].status is StepStatus.RUNNING
    assert (
        await engine.complete("acme", run_id, "call", lease.fencing, Succeeded({"status": 1}))
    ).recorded
    # Once finished, the same lease cannot complete it again.
    assert not (
        await engine.complete("acme", run_id, "call", lease.fencing, Failed("X", "late"))
    ).recorded


async def test_an_output_larger_than_the_limit_fails_the_step(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    engine = with_settings(uow_factory, clock, max_output_bytes=100)
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id
    lease = await lease_one(queue, clock, "call")

    await engine.complete("acme", run_id, "call", lease.fencing, Succeeded("x" * 200))

    run = await load(engine, owner, run_id)
    error = run.instances["call"].error
    assert error is not None and error["code"] == "payload_too_large"
    assert run.status is RunStatus.FAILED


async def test_a_lost_lease_is_recovered_until_the_limit_then_the_step_fails(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    engine = with_settings(uow_factory, clock, lease_loss_limit=2)
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id

    for losses in (1, 2):
        lease = await lease_one(queue, clock, "call")
        assert lease.attempt == losses
        clock.advance(timedelta(seconds=31))
        (due,) = await queue.expired_leases(clock.now(), 10)
        assert due == Due("acme", run_id, "call", lease.fencing)
        await engine.recover_lease("acme", run_id, "call", due.fencing)
        step = (await load(engine, owner, run_id)).instances["call"]
        assert (step.status, step.lease_losses) == (StepStatus.READY, losses)
        assert not (
            await engine.complete("acme", run_id, "call", lease.fencing, Succeeded(1))
        ).recorded

    await lease_one(queue, clock, "call")
    clock.advance(timedelta(seconds=31))
    await engine.recover_lease("acme", run_id, "call")

    run = await load(engine, owner, run_id)
    error = run.instances["call"].error
    assert error is not None and error["code"] == "worker_lost"
    assert run.status is RunStatus.FAILED
    types = [r.type for r in store.history_of(run_id)]
    assert types.count("step_lease_expired") == 3
    assert types.count("step_started") == 3


async def test_recovering_an_old_lease_leaves_a_newer_lease_alone(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id
    first = await lease_one(queue, clock, "call")
    clock.advance(timedelta(seconds=31))
    (due,) = await queue.expired_leases(clock.now(), 10)
    await engine.recover_lease("acme", run_id, "call", due.fencing)
    second = await lease_one(queue, clock, "call")

    # A second sweeper acting on what it found before the step was leased again.
    await engine.recover_lease("acme", run_id, "call", first.fencing)

    step = (await load(engine, owner, run_id)).instances["call"]
    assert (step.status, step.fencing, step.lease_losses) == (StepStatus.RUNNING, second.fencing, 1)
    assert (
        await engine.complete("acme", run_id, "call", second.fencing, Succeeded({"status": 1}))
    ).recorded


async def test_a_retryable_failure_is_leased_again_once_its_backoff_passed(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "flaky", FLAKY)
    run_id = (await engine.start_run(owner, "flaky", inputs={})).state.run_id
    first = await lease_one(queue, clock, "call")
    await engine.complete("acme", run_id, "call", first.fencing, Failed("X", "x", retryable=True))

    assert await lease_all(queue, clock) == []
    clock.advance(timedelta(seconds=10))
    second = await lease_one(queue, clock, "call")

    assert (second.attempt, second.fencing) == (2, first.fencing + 1)


CHAIN = """
steps:
  - {id: first, type: http, url: "https://api.example.com/one"}
  - id: second
    type: http
    needs: [first]
    url: "https://api.example.com/${{ steps.first.output.body.next }}"
outputs:
  last: ${{ steps.second.output }}
"""


OK = {"status": 200, "body": {"next": "x"}}


def offer(types: frozenset[str] = frozenset({"http"})) -> ChainOffer:
    return ChainOffer("worker-1", types)


async def test_a_completion_with_an_offer_leases_the_next_step_in_its_transaction(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    run_id = (await engine.start_run(owner, "chain", inputs={})).state.run_id
    first = await lease_one(queue, clock, "first")

    done = await engine.complete(
        "acme",
        run_id,
        "first",
        first.fencing,
        Succeeded({"status": 200, "body": {"next": "two"}}),
        chain=offer(),
    )

    assert done.recorded and done.next is not None
    lease, call = done.next
    assert (lease.key, lease.attempt, lease.fencing, lease.owner) == ("second", 1, 1, "worker-1")
    assert isinstance(call, StepCall)
    assert call.config["url"] == "https://api.example.com/two"  # rendered from the new output
    assert call.idempotency_key == f"{run_id}/second"
    (row,) = [r for r in store.step_rows(run_id) if r.instance.key == "second"]
    assert row.instance.status is StepStatus.RUNNING
    assert (row.instance.fencing, row.lease_owner) == (1, "worker-1")
    assert row.lease_expires_at == clock.now() + timedelta(seconds=30)
    started = [h for h in store.history_of(run_id) if h.type == "step_started"]
    assert [(h.step_key, h.data) for h in started][-1] == ("second", {"worker": "worker-1"})
    assert await lease_all(queue, clock) == []  # nothing left for the queue to hand out
    # The step leased on behaves as any leased step: renewed and completed under its token.
    assert await queue.renew(lease, clock.now() + timedelta(seconds=60))
    assert (await engine.complete("acme", run_id, "second", lease.fencing, Succeeded(2))).recorded
    assert (await load(engine, owner, run_id)).outputs == {"last": 2}


async def test_without_an_offer_or_a_matching_type_the_next_step_goes_to_the_queue(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    run_ids = [(await engine.start_run(owner, "chain", inputs={})).state.run_id for _ in range(2)]
    leases = await lease_all(queue, clock)
    engine.signals.work_available.clear()

    plain = await engine.complete("acme", run_ids[0], "first", leases[0].fencing, Succeeded(OK))
    other = await engine.complete(
        "acme",
        run_ids[1],
        "first",
        leases[1].fencing,
        Succeeded(OK),
        chain=offer(frozenset({"llm"})),
    )

    assert (plain.recorded, plain.next, other.recorded, other.next) == (True, None, True, None)
    assert engine.signals.work_available.is_set()  # the worker is told there is work
    assert sorted(lease.run_id for lease in await lease_all(queue, clock)) == sorted(run_ids)


async def test_a_step_handed_on_does_not_wake_the_worker_for_nothing(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    run_id = (await engine.start_run(owner, "chain", inputs={})).state.run_id
    first = await lease_one(queue, clock, "first")
    engine.signals.work_available.clear()

    done = await engine.complete(
        "acme",
        run_id,
        "first",
        first.fencing,
        Succeeded({"status": 200, "body": {"next": "x"}}),
        chain=offer(),
    )

    assert done.next is not None
    assert not engine.signals.work_available.is_set()


async def test_a_step_in_retry_backoff_is_not_handed_on(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "flaky", FLAKY)
    run_id = (await engine.start_run(owner, "flaky", inputs={})).state.run_id
    lease = await lease_one(queue, clock, "call")

    failed = await engine.complete(
        "acme", run_id, "call", lease.fencing, Failed("X", "x", retryable=True), chain=offer()
    )

    assert failed.recorded and failed.next is None
    step = (await load(engine, owner, run_id)).instances["call"]
    assert step.status is StepStatus.READY and step.ready_at is not None
    assert step.ready_at > clock.now()


# --- timers, deadlines and people ----------------------------------------------------------------


class Slots:
    """A worker's free slots as the engine sees them when a run starts."""

    def __init__(self, free: int, types: frozenset[str] = frozenset({"http"})) -> None:
        self.free, self.types = free, types
        self.adopted: list[HandedOn] = []

    def reserve(self) -> ChainOffer | None:
        if self.free == 0:
            return None
        self.free -= 1
        return ChainOffer("worker-1", self.types)

    def release(self, offer: ChainOffer) -> None:
        self.free += 1

    def adopt(self, handed: HandedOn) -> None:
        self.adopted.append(handed)


async def test_a_start_leases_its_first_step_to_a_free_slot_of_the_worker(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    engine.taker = slots = Slots(free=2)
    engine.signals.work_available.clear()

    run_id = (await engine.start_run(owner, "chain", inputs={})).state.run_id

    [handed] = slots.adopted
    assert (handed.lease.key, handed.lease.attempt, handed.lease.owner) == ("first", 1, "worker-1")
    assert isinstance(handed.call, StepCall)
    assert handed.call.config["url"] == "https://api.example.com/one"
    assert slots.free == 1  # the slot stays held for the adopted step
    (row,) = [r for r in store.step_rows(run_id) if r.instance.key == "first"]
    assert row.instance.status is StepStatus.RUNNING
    assert (row.lease_owner, row.lease_expires_at) == ("worker-1", handed.until)
    assert [h.type for h in store.history_of(run_id)][-1] == "step_started"
    assert await lease_all(queue, clock) == []
    assert not engine.signals.work_available.is_set()  # no lease pass needed
    outcome = Succeeded({"status": 200, "body": {"next": "two"}})
    done = await engine.complete("acme", run_id, "first", handed.lease.fencing, outcome)
    assert done.recorded


@pytest.mark.parametrize(
    ("slots", "running_cap", "workflow", "why"),
    [
        (Slots(free=0), 32, "chain", "no free slot"),
        (Slots(free=1, types=frozenset({"llm"})), 32, "chain", "the worker runs other types"),
        (Slots(free=1), 1, "chain", "the tenant's running steps are at its limit"),
        (Slots(free=1), 32, "greeter", "no step with effects"),
    ],
)
async def test_a_start_leaves_its_first_step_to_the_queue_and_gives_the_slot_back(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
    slots: Slots,
    running_cap: int,
    workflow: str,
    why: str,
) -> None:
    engine = with_settings(uow_factory, clock, tenant_step_cap=running_cap)
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    await publish(uow_factory, clock, owner, "greeter", GREETER)
    if running_cap == 1:  # another run's step already holds the tenant's one running step
        await engine.start_run(owner, "chain", inputs={})
        await lease_one(queue, clock, "first")
    free = slots.free
    engine.taker = slots

    inputs = {"count": 1} if workflow == "greeter" else {}
    started = await engine.start_run(owner, workflow, inputs=inputs)

    assert slots.adopted == [], why
    assert slots.free == free
    if workflow == "chain":
        [lease] = await lease_all(queue, clock)
        assert lease.run_id == started.state.run_id
        assert engine.signals.work_available.is_set()


async def test_a_start_that_finds_its_idempotency_key_taken_gives_the_slot_back(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    engine.taker = slots = Slots(free=1)
    first = await engine.start_run(owner, "chain", inputs={}, idempotency_key="k")
    slots.adopted.clear()
    slots.free = 1

    again = await engine.start_run(owner, "chain", inputs={}, idempotency_key="k")

    assert (again.created, again.state.run_id) == (False, first.state.run_id)
    assert (slots.adopted, slots.free) == ([], 1)


async def test_a_start_whose_commit_fails_gives_the_slot_back(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publish(uow_factory, clock, owner, "chain", CHAIN)
    engine.taker = slots = Slots(free=1)

    def failing_commit(uow_of: Any) -> Any:
        uow = uow_factory(uow_of)

        async def commit() -> None:
            raise ConnectionError("the database went away at commit")

        monkeypatch.setattr(uow, "commit", commit)
        return uow

    monkeypatch.setattr(engine, "uow_factory", failing_commit)
    with pytest.raises(ConnectionError):
        await engine.start_run(owner, "chain", inputs={})

    assert (slots.adopted, slots.free) == ([], 1)


async def test_a_due_timer_fires_and_the_run_goes_on(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(
        uow_factory,
        clock,
        owner,
        "napper",
        """
        steps:
          - {id: nap, type: delay, duration: 5m}
          - {id: after, type: transform, needs: [nap], output: awake}
        """,
    )
    run_id = (await engine.start_run(owner, "napper", inputs={})).state.run_id
    assert await queue.due_timers(clock.now(), 10) == []

    await engine.fire_due_timer("acme", run_id, "nap")  # too early: nothing happens
    assert (await load(engine, owner, run_id)).status is RunStatus.WAITING

    clock.advance(timedelta(minutes=5))
    assert await queue.due_timers(clock.now(), 10) == [Due("acme", run_id, "nap", 0)]
    await engine.fire_due_timer("acme", run_id, "nap")

    run = await load(engine, owner, run_id)
    assert run.instances["after"].output == "awake"
    assert run.status is RunStatus.SUCCEEDED


async def test_a_run_past_its_timeout_ends_timed_out(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "review", REVIEW)
    run_id = (await engine.start_run(owner, "review", inputs={})).state.run_id
    clock.advance(timedelta(minutes=30))
    assert await queue.overdue_runs(clock.now(), 10) == []
    await engine.time_out("acme", run_id)  # not due: nothing happens
    assert (await load(engine, owner, run_id)).status is RunStatus.WAITING

    clock.advance(timedelta(hours=1))
    assert await queue.overdue_runs(clock.now(), 10) == [Due("acme", run_id)]
    await engine.time_out("acme", run_id)

    run = await load(engine, owner, run_id)
    assert run.status is RunStatus.TIMED_OUT
    assert run.reason == "the run exceeded its timeout of 3600000 ms"
    assert run.instances["review"].status is StepStatus.CANCELLED
    assert store.events_named("workflow.RunFinished")[-1].payload["status"] == "timed_out"


async def test_an_approval_is_decided_only_by_its_roles_or_an_owner(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "review", REVIEW)
    run_id = (await engine.start_run(owner, "review", inputs={})).state.run_id
    viewer = Caller("acme", "vic", "viewer")
    editor = Caller("acme", "eddie", "editor")

    with pytest.raises(PermissionDenied):
        await engine.decide(viewer, run_id, "review", approved=True, comment=None)
    with pytest.raises(NotFound):
        await engine.decide(editor, run_id, "nope", approved=True, comment=None)
    waiting = await run_queries.waiting_approvals(editor, uow_factory)
    assert [(w.run_id, w.step_key, w.message, w.approver_roles) for w in waiting] == [
        (run_id, "review", "Ship it?", ["editor"])
    ]

    run = await engine.decide(editor, run_id, "review", approved=True, comment="lgtm")

    output = run.instances["review"].output
    assert (output["approved"], output["decided_by"], output["comment"]) == (True, "eddie", "lgtm")
    assert run.status is RunStatus.SUCCEEDED
    with pytest.raises(NotFound):  # decided already
        await engine.decide(editor, run_id, "review", approved=False, comment=None)

    other = (await engine.start_run(owner, "review", inputs={})).state.run_id
    decided = await engine.decide(owner, other, "review", approved=False, comment=None)
    assert decided.instances["review"].output["approved"] is False


async def test_runs_of_another_tenant_are_not_found(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "review", REVIEW)
    run_id = (await engine.start_run(owner, "review", inputs={})).state.run_id
    stranger = Caller("globex", "mallory", "owner")

    with pytest.raises(NotFound):
        await engine.get(stranger, run_id)
    with pytest.raises(NotFound):
        await engine.cancel(stranger, run_id)
    with pytest.raises(NotFound):
        await engine.decide(stranger, run_id, "review", approved=True, comment=None)
    assert (await load(engine, owner, run_id)).status is RunStatus.WAITING


# --- sub-workflows -------------------------------------------------------------------------------

CHILD = """
inputs:
  who: {type: string}
steps:
  - {id: review, type: approval, message: "Welcome ${{ inputs.who }}?"}
outputs:
  welcomed: ${{ inputs.who }}
  approved: ${{ steps.review.output.approved }}
"""
PARENT = """
steps:
  - {id: onboard, type: subworkflow, workflow: child, inputs: {who: ann}}
outputs:
  result: ${{ steps.onboard.output }}
"""


async def test_a_subworkflow_starts_a_linked_child_and_completes_when_it_finishes(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "child", CHILD)
    await publish(uow_factory, clock, owner, "parent", PARENT)

    parent = (await engine.start_run(owner, "parent", inputs={})).state

    step = parent.instances["onboard"]
    assert step.status is StepStatus.WAITING
    child_id = step.state["child_run_id"]
    child = await load(engine, owner, child_id)
    assert (child.parent_run_id, child.parent_step_key) == (parent.run_id, "onboard")
    assert (child.trigger, child.inputs, child.status) == ("subworkflow", {"who": "ann"}, "waiting")
    assert parent.status is RunStatus.WAITING

    await engine.decide(owner, child_id, "review", approved=True, comment=None)

    finished = await load(engine, owner, parent.run_id)
    assert finished.status is RunStatus.SUCCEEDED
    assert finished.outputs == {"result": {"welcomed": "ann", "approved": True}}
    assert [e.payload["run_id"] for e in store.events_named("workflow.RunFinished")] == [
        child_id,
        parent.run_id,
    ]


async def test_a_child_that_finishes_at_once_completes_its_parent_in_the_same_start(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(
        uow_factory,
        clock,
        owner,
        "child",
        """
        inputs:
          who: {type: string}
        steps:
          - {id: hi, type: transform, output: "hi ${{ inputs.who }}"}
        outputs:
          text: ${{ steps.hi.output }}
        """,
    )
    await publish(uow_factory, clock, owner, "parent", PARENT)

    parent = (await engine.start_run(owner, "parent", inputs={})).state

    assert parent.status is RunStatus.SUCCEEDED
    assert parent.outputs == {"result": {"text": "hi ann"}}


async def test_a_failing_child_fails_the_parent_step(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "child", CHILD)
    await publish(uow_factory, clock, owner, "parent", PARENT)
    parent = (await engine.start_run(owner, "parent", inputs={})).state
    child_id = parent.instances["onboard"].state["child_run_id"]

    await engine.cancel(owner, child_id)

    failed = await load(engine, owner, parent.run_id)
    error = failed.instances["onboard"].error
    assert error is not None
    assert (error["code"], error["child_run_id"]) == ("child_run_failed", child_id)
    assert failed.status is RunStatus.FAILED


async def test_cancelling_a_parent_cancels_its_waiting_child(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "child", CHILD)
    await publish(uow_factory, clock, owner, "parent", PARENT)
    parent = (await engine.start_run(owner, "parent", inputs={})).state
    child_id = parent.instances["onboard"].state["child_run_id"]

    cancelled = await engine.cancel(owner, parent.run_id)

    assert cancelled.status is RunStatus.CANCELLED
    assert cancelled.reason == f"cancelled by {owner.user_id}"
    child = await load(engine, owner, child_id)
    assert child.status is RunStatus.CANCELLED
    assert child.reason == "its parent run ended"
    assert child.instances["review"].status is StepStatus.CANCELLED
    with pytest.raises(ValidationFailed):
        await engine.cancel(owner, parent.run_id)


# --- resume and reads ----------------------------------------------------------------------------


async def test_resume_runs_the_failed_step_again_and_keeps_the_rest(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id
    lease = await lease_one(queue, clock, "call")
    await engine.complete("acme", run_id, "call", lease.fencing, Failed("HTTP_500", "down"))
    assert (await load(engine, owner, run_id)).status is RunStatus.FAILED

    resumed = await engine.resume(owner, run_id)

    assert resumed.status is RunStatus.RUNNING
    assert resumed.instances["call"].status is StepStatus.READY
    retry = await lease_one(queue, clock, "call")
    assert retry.fencing == lease.fencing + 1
    await engine.complete("acme", run_id, "call", retry.fencing, Succeeded({"status": 200}))
    finished = await load(engine, owner, run_id)
    assert finished.status is RunStatus.SUCCEEDED
    assert finished.outputs == {"status": 200}
    with pytest.raises(ValidationFailed):
        await engine.resume(owner, run_id)


async def test_a_resumed_timed_out_run_gets_a_new_deadline(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "review", REVIEW)
    run_id = (await engine.start_run(owner, "review", inputs={})).state.run_id
    clock.advance(timedelta(hours=2))
    await engine.time_out("acme", run_id)

    await engine.resume(owner, run_id)

    assert await queue.overdue_runs(clock.now(), 10) == []
    await engine.time_out("acme", run_id)
    run = await load(engine, owner, run_id)
    assert run.status is RunStatus.WAITING
    assert run.deadline_at == clock.now() + timedelta(hours=1)


async def test_history_and_lists_read_what_the_engine_wrote(
    engine: Engine,
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "caller", CALLER)
    run_id = (await engine.start_run(owner, "caller", inputs={})).state.run_id
    lease = await lease_one(queue, clock, "call")
    await engine.complete("acme", run_id, "call", lease.fencing, Succeeded({"status": 200}))

    status, entries = await run_queries.history(owner, uow_factory, run_id)

    assert status == "succeeded"
    assert [e.type for e in entries] == [
        "run_started",
        "step_scheduled",
        "step_started",
        "step_succeeded",
        "step_scheduled",
        "step_succeeded",
        "run_finished",
    ]
    assert [e.seq for e in entries] == list(range(1, 8))
    _, tail = await run_queries.history(owner, uow_factory, run_id, after_seq=5)
    assert [e.seq for e in tail] == [6, 7]
    runs = await run_queries.list_runs(owner, uow_factory, status="succeeded")
    assert [r.id for r in runs] == [run_id]
    with pytest.raises(NotFound):
        await run_queries.history(Caller("globex", None, "owner"), uow_factory, run_id)
