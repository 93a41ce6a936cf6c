"""The in-memory workflow store, unit of work and queue behave like the SQL adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
from engine_kit import T0, lease_all

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import AlreadyExists
from flowwright.kernel.events import DomainEvent
from flowwright.kernel.ids import new_id
from flowwright.kernel.memory import InMemoryOutboxStore
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryRunQueue,
    InMemoryWorkflowStore,
    IntegrityViolation,
)
from flowwright.workflow.domain.runs.queue import Due
from flowwright.workflow.domain.runs.state import HistoryEntry, Instance, RunState
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus
from flowwright.workflow.domain.versions import Workflow, WorkflowVersion


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    name: ClassVar[str] = "test.Pinged"
    value: int


def new_run(
    tenant_id: str,
    *,
    status: RunStatus = RunStatus.RUNNING,
    idempotency_key: str | None = None,
    steps: dict[str, StepStatus] | None = None,
    workflow: str = "flow",
) -> RunState:
    state = RunState(
        run_id=new_id(),
        tenant_id=tenant_id,
        workflow_name=workflow,
        version=1,
        status=status,
        inputs={"n": 1},
        started_at=T0,
        idempotency_key=idempotency_key,
        is_new=True,
    )
    for key, step_status in (steps or {}).items():
        state.add(
            Instance(key, key, "", step_status, step_type="http", ready_at=T0, state={"k": [1]})
        )
    return state


async def insert(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, state: RunState
) -> RunState:
    async with uow_factory(state.tenant_id) as uow:
        await uow.runs.save(state, clock.now())
        await uow.commit()
    return state


# --- units of work -------------------------------------------------------------------------------


async def test_writes_are_seen_inside_the_unit_of_work_and_elsewhere_only_after_commit(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    state = new_run("acme", steps={"a": StepStatus.READY})
    async with uow_factory("acme") as writer, uow_factory("acme") as reader:
        await writer.runs.save(state, clock.now())
        assert await writer.runs.load(state.run_id, lock=False) is not None
        assert await reader.runs.load(state.run_id, lock=False) is None
        await writer.commit()
        loaded = await reader.runs.load(state.run_id, lock=False)
    assert loaded is not None
    assert list(loaded.instances) == ["a"]


async def test_leaving_without_commit_discards_the_writes_and_the_events(
    uow_factory: InMemoryEngineUnitOfWorkFactory, store: InMemoryWorkflowStore, clock: FixedClock
) -> None:
    state = new_run("acme")
    async with uow_factory("acme") as uow:
        await uow.runs.save(state, clock.now())
        uow.emit(Pinged(tenant_id="acme", value=1))

    assert store.runs == {}
    assert store.outbox == []


async def test_events_reach_the_outbox_on_commit_with_the_tenant(
    store: InMemoryWorkflowStore, clock: FixedClock
) -> None:
    store.outbox_store = InMemoryOutboxStore()
    factory = InMemoryEngineUnitOfWorkFactory(store, clock)
    async with factory("acme") as uow:
        uow.emit(Pinged(value=7))
        await uow.rollback()
        uow.emit(Pinged(value=8))
        await uow.commit()

    assert [(e.name, e.payload, e.tenant_id) for e in store.outbox] == [
        ("test.Pinged", {"value": 8}, "acme")
    ]
    assert len(store.outbox_store.entries()) == 1


async def test_a_unit_of_work_must_be_entered(uow_factory: InMemoryEngineUnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        await uow_factory("acme").runs.count_active()


async def test_runs_are_scoped_to_the_tenant(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", idempotency_key="k1"))

    async with uow_factory("globex") as uow:
        assert await uow.runs.load(state.run_id, lock=False) is None
        assert await uow.runs.find_by_idempotency_key("k1") is None
        assert await uow.runs.count_active() == 0
        assert await uow.runs.list_runs(status=None, workflow=None, limit=10, before=None) == []
        assert await uow.runs.history(state.run_id, after_seq=0, limit=10) == []
        with pytest.raises(RuntimeError, match="another tenant"):
            await uow.runs.save(new_run("acme"), clock.now())


async def test_a_second_run_with_the_same_idempotency_key_already_exists(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    first = await insert(uow_factory, clock, new_run("acme", idempotency_key="k1"))

    async with uow_factory("acme") as uow:
        with pytest.raises(AlreadyExists):
            await uow.runs.save(new_run("acme", idempotency_key="k1"), clock.now())
        assert await uow.runs.find_by_idempotency_key("k1") == first.run_id
    # Another tenant may use the same key.
    await insert(uow_factory, clock, new_run("globex", idempotency_key="k1"))


async def test_two_units_of_work_racing_on_one_idempotency_key_let_one_commit(
    uow_factory: InMemoryEngineUnitOfWorkFactory, store: InMemoryWorkflowStore, clock: FixedClock
) -> None:
    async with uow_factory("acme") as first, uow_factory("acme") as second:
        await first.runs.save(new_run("acme", idempotency_key="k1"), clock.now())
        await second.runs.save(new_run("acme", idempotency_key="k1"), clock.now())
        await first.commit()
        with pytest.raises(AlreadyExists):
            await second.commit()
    assert len(store.runs) == 1


async def test_save_inserts_a_new_run_numbers_the_history_and_resets_the_bookkeeping(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    state = new_run("acme", steps={"a": StepStatus.READY})
    state.history += [
        HistoryEntry("run_started", None, None, {"at": T0}, T0),
        HistoryEntry("step_scheduled", "a", 0, {}, T0),
    ]
    async with uow_factory("acme") as uow:
        records = await uow.runs.save(state, clock.now())
        await uow.commit()

    assert [(r.seq, r.type) for r in records] == [(1, "run_started"), (2, "step_scheduled")]
    assert records[0].data == {"at": str(T0)}  # stored as JSON, as the SQL adapter does
    assert state.history == []
    assert state.history_seq == 2
    assert not state.instances["a"].is_new and not state.instances["a"].changed

    async with uow_factory("acme") as uow:
        loaded = await uow.runs.load(state.run_id, lock=True)
        assert loaded is not None
        loaded.history.append(HistoryEntry("step_succeeded", "a", 1, {}, T0))
        assert [r.seq for r in await uow.runs.save(loaded, clock.now())] == [3]
        await uow.commit()
        later = await uow.runs.history(state.run_id, after_seq=1, limit=10)
    assert [(r.seq, r.type) for r in later] == [(2, "step_scheduled"), (3, "step_succeeded")]


async def test_loaded_state_is_a_copy_until_it_is_saved(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))
    state.instances["a"].state["k"].append(2)  # the caller's object, not the row

    async with uow_factory("acme") as uow:
        loaded = await uow.runs.load(state.run_id, lock=True)
        assert loaded is not None
        assert loaded.instances["a"].state == {"k": [1]}
        loaded.instances["a"].status = StepStatus.SUCCEEDED  # changed, but not touched
        loaded.inputs["n"] = 99
        loaded.instances["a"].state["k"].append(3)
        again = await uow.runs.load(state.run_id, lock=False)
    assert again is not None
    assert again.instances["a"].status is StepStatus.READY
    assert again.instances["a"].state == {"k": [1]}
    assert again.inputs == {"n": 1}


async def test_save_writes_touched_steps_and_the_run_columns(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))

    async with uow_factory("acme") as uow:
        loaded = await uow.runs.load(state.run_id, lock=True)
        assert loaded is not None
        instance = loaded.instances["a"]
        instance.status, instance.output = StepStatus.SUCCEEDED, ("tuples", "become", "lists")
        instance.touch()
        loaded.status, loaded.outputs, loaded.changed = RunStatus.SUCCEEDED, {"x": 1}, True
        await uow.runs.save(loaded, clock.now())
        await uow.commit()
        saved = await uow.runs.load(state.run_id, lock=False)

    assert saved is not None
    assert saved.instances["a"].status is StepStatus.SUCCEEDED
    assert saved.instances["a"].output == ["tuples", "become", "lists"]
    assert (saved.status, saved.outputs) == (RunStatus.SUCCEEDED, {"x": 1})


async def test_a_save_keeps_the_fencing_token_the_queue_set_meanwhile(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))
    async with uow_factory("acme") as uow:
        loaded = await uow.runs.load(state.run_id, lock=False)
        assert loaded is not None
        (lease,) = await lease_all(queue, clock)  # another transaction, committed
        loaded.instances["a"].reason = "noted"
        loaded.instances["a"].touch()
        await uow.runs.save(loaded, clock.now())
        await uow.commit()

    row = store.steps[(state.run_id, "a")]
    assert (row.instance.fencing, row.instance.reason) == (lease.fencing, "noted")


async def test_count_list_and_waiting_approvals(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    running = await insert(uow_factory, clock, new_run("acme"))
    await insert(uow_factory, clock, new_run("acme", status=RunStatus.QUEUED, workflow="other"))
    waiting = new_run("acme", status=RunStatus.WAITING)
    waiting.add(
        Instance(
            "review",
            "review",
            "",
            StepStatus.WAITING,
            step_type="approval",
            state={"message": "ok?"},
            wake_at=T0,
        )
    )
    await insert(uow_factory, clock, waiting)
    await insert(uow_factory, clock, new_run("globex"))

    async with uow_factory("acme") as uow:
        assert await uow.runs.count_active() == 2
        newest_first = await uow.runs.list_runs(status=None, workflow=None, limit=10, before=None)
        assert len(newest_first) == 3
        assert newest_first[0].id == waiting.run_id
        assert [r.id for r in newest_first] == sorted((r.id for r in newest_first), reverse=True)
        page = await uow.runs.list_runs(
            status=None, workflow=None, limit=1, before=newest_first[0].id
        )
        assert len(page) == 1 and page[0].id == newest_first[1].id
        only = await uow.runs.list_runs(status="running", workflow="flow", limit=10, before=None)
        assert [r.id for r in only] == [running.run_id]
        approvals = await uow.runs.waiting_approvals()
    assert approvals == [(waiting.run_id, "review", "flow", {"message": "ok?"}, T0)]


async def test_workflows_names_and_webhook_routes_are_per_tenant(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    def workflow(tenant_id: str, name: str) -> Workflow:
        return Workflow(new_id(), tenant_id, name, "", 1, clock.now(), clock.now())

    first, second = workflow("acme", "first"), workflow("acme", "second")
    async with uow_factory("acme") as uow:
        await uow.workflows.add(first)
        await uow.workflows.add(second)
        await uow.workflows.set_webhook_paths(first.id, ["hooks/a", "hooks/b"], at=clock.now())
        with pytest.raises(IntegrityViolation):
            await uow.workflows.add(workflow("acme", "first"))
        with pytest.raises(IntegrityViolation):
            await uow.workflows.set_webhook_paths(second.id, ["hooks/a"], at=clock.now())
        await uow.workflows.set_webhook_paths(first.id, ["hooks/b"], at=clock.now())
        await uow.workflows.set_webhook_paths(second.id, ["hooks/a"], at=clock.now())
        await uow.commit()

    async with uow_factory("acme") as uow:
        assert await uow.workflows.names() == {"first", "second"}
        assert await uow.workflows.webhook_paths() == {"hooks/a": "second", "hooks/b": "first"}
    async with uow_factory("globex") as uow:
        assert await uow.workflows.names() == frozenset()
        assert await uow.workflows.webhook_paths() == {}
        assert await uow.workflows.get(first.id) is None
        with pytest.raises(RuntimeError, match="another tenant"):
            await uow.workflows.add(workflow("acme", "third"))


async def test_versions_are_unique_per_workflow_and_copied(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock
) -> None:
    wf = Workflow(new_id(), "acme", "flow", "", 1, clock.now(), clock.now())

    def version(number: int) -> WorkflowVersion:
        return WorkflowVersion(
            new_id(), "acme", wf.id, number, "h", "src", {"steps": []}, clock.now()
        )

    async with uow_factory("acme") as uow:
        await uow.workflows.add(wf)
        v1 = version(1)
        await uow.workflows.add_version(v1)
        with pytest.raises(IntegrityViolation):
            await uow.workflows.add_version(version(1))
        v1.definition["steps"].append("changed later")
        await uow.commit()
        stored = await uow.workflows.get_version(wf.id, 1)
    assert stored is not None and stored.definition == {"steps": []}


# --- the queue -----------------------------------------------------------------------------------


async def test_a_lease_runs_the_step_under_a_new_fencing_token_and_attempt(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))

    (lease,) = await lease_all(queue, clock, owner="w-1")

    assert (lease.run_id, lease.key, lease.attempt, lease.fencing, lease.owner) == (
        state.run_id,
        "a",
        1,
        1,
        "w-1",
    )
    row = store.steps[(state.run_id, "a")]
    assert row.instance.status is StepStatus.RUNNING
    assert row.lease_expires_at == T0 + timedelta(seconds=30)
    (started,) = store.history_of(state.run_id)
    assert (started.type, started.step_key, started.attempt, started.data) == (
        "step_started",
        "a",
        1,
        {"worker": "w-1"},
    )
    assert await lease_all(queue, clock) == []  # nothing left


async def test_only_due_steps_of_the_requested_types_are_leased(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
) -> None:
    state = new_run("acme", steps={"later": StepStatus.READY, "other": StepStatus.READY})
    state.instances["later"].ready_at = T0 + timedelta(seconds=5)
    state.instances["other"].step_type = "llm"
    await insert(uow_factory, clock, state)
    now = clock.now()

    leased = await queue.lease(
        owner="w",
        now=now,
        until=now,
        limit=10,
        types=frozenset({"http"}),
        tenant_step_cap=10,
    )
    assert leased == []
    clock.advance(timedelta(seconds=5))
    # Oldest ready first.
    assert [lease.key for lease in await lease_all(queue, clock)] == ["other", "later"]


async def test_leasing_shares_the_slots_fairly_between_tenants_within_their_cap(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
) -> None:
    busy = {f"s{i}": StepStatus.READY for i in range(10)}
    await insert(uow_factory, clock, new_run("acme", steps=busy))
    await insert(uow_factory, clock, new_run("globex", steps={"x": StepStatus.READY}))
    await insert(
        uow_factory,
        clock,
        new_run("initech", steps={"r": StepStatus.RUNNING, "y": StepStatus.READY}),
    )
    now = clock.now()

    leases = await queue.lease(
        owner="w", now=now, until=now, limit=6, types=frozenset({"http"}), tenant_step_cap=1
    )
    # initech already runs one step: its cap is reached.
    assert sorted(lease.tenant_id for lease in leases) == ["acme", "globex"]

    more = await queue.lease(
        owner="w", now=now, until=now, limit=3, types=frozenset({"http"}), tenant_step_cap=10
    )
    assert sorted(lease.tenant_id for lease in more) == ["acme", "acme", "initech"]


async def test_renew_extends_only_the_current_lease(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
) -> None:
    state = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))
    (lease,) = await lease_all(queue, clock)
    later = T0 + timedelta(minutes=5)

    assert await queue.renew(lease, later)
    row = store.steps[(state.run_id, "a")]
    assert row.lease_expires_at == later

    row.instance.status = StepStatus.READY  # the lease expired and was recovered
    (second,) = await lease_all(queue, clock)
    assert second.fencing == lease.fencing + 1
    assert not await queue.renew(lease, later)
    assert await queue.renew(second, later)
    row.instance.status = StepStatus.SUCCEEDED
    assert not await queue.renew(second, later)


async def test_the_sweeps_find_due_timers_expired_leases_overdue_and_queued_runs(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    queue: InMemoryRunQueue,
    clock: FixedClock,
) -> None:
    timers = new_run("acme", steps={"nap": StepStatus.WAITING, "idle": StepStatus.WAITING})
    timers.instances["nap"].wake_at = T0 + timedelta(minutes=1)
    timers.deadline_at = T0 + timedelta(hours=1)
    await insert(uow_factory, clock, timers)
    leased = await insert(uow_factory, clock, new_run("acme", steps={"a": StepStatus.READY}))
    await lease_all(queue, clock)
    clock.advance(timedelta(seconds=1))
    queued_first = await insert(uow_factory, clock, new_run("globex", status=RunStatus.QUEUED))
    clock.advance(timedelta(seconds=1))
    queued_next = await insert(uow_factory, clock, new_run("acme", status=RunStatus.QUEUED))

    now = T0 + timedelta(seconds=10)
    assert await queue.due_timers(now, 10) == []
    assert await queue.expired_leases(now, 10) == []
    later = T0 + timedelta(hours=2)
    assert await queue.due_timers(later, 10) == [Due("acme", timers.run_id, "nap", 0)]
    assert await queue.expired_leases(later, 10) == [Due("acme", leased.run_id, "a", 1)]
    assert await queue.overdue_runs(later, 10) == [Due("acme", timers.run_id)]
    assert await queue.queued_runs(10) == [
        Due("globex", queued_first.run_id),
        Due("acme", queued_next.run_id),
    ]
    assert await queue.queued_runs(1) == [Due("globex", queued_first.run_id)]
