"""The durable engine's use cases: every change of a run happens in one transaction that loads
the run under its lock, decides with ``RunProgress``, runs the steps that only compute, and saves
the instances, the history and the outbox events together."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import jsonschema

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.workflow.application.ports import (
    EngineUnitOfWork,
    EngineUnitOfWorkFactory,
    StepCall,
)
from flowwright.workflow.application.signals import RunSignals
from flowwright.workflow.application.versions import compiled, load_version
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.events import RunFinished
from flowwright.workflow.domain.runs.context import context_for
from flowwright.workflow.domain.runs.keys import idempotency_key
from flowwright.workflow.domain.runs.local_steps import (
    LOCAL_TYPES,
    decide_approval,
    fire_timer,
    run_local_step,
)
from flowwright.workflow.domain.runs.outcome import Failed, Outcome, Succeeded, Waiting
from flowwright.workflow.domain.runs.plan import RunPlan, build_plan
from flowwright.workflow.domain.runs.progress import RunProgress
from flowwright.workflow.domain.runs.queue import Lease
from flowwright.workflow.domain.runs.state import Instance, RunState
from flowwright.workflow.domain.runs.status import RESUMABLE_RUN, RunStatus, StepStatus
from flowwright.workflow.domain.runs.templates import render

MAX_RUN_DEPTH = 10


@dataclass(frozen=True)
class EngineSettings:
    lease_ms: int = 30_000
    tenant_run_cap: int = 100  # runs running or waiting at once per tenant
    tenant_step_cap: int = 32  # steps leased at once per tenant
    max_output_bytes: int = 8 * 1024 * 1024
    lease_loss_limit: int = 10  # crashes of workers one step may survive


# Fields of steps with effects that hold templates, rendered when an attempt starts.
RENDERED_FIELDS: dict[str, tuple[str, ...]] = {
    "http": ("method", "url", "headers", "query", "body", "expect_status", "response"),
    "llm": ("model", "system", "prompt", "temperature", "max_tokens", "output_schema"),
}


class InvalidInputs(ValidationFailed):
    code = "invalid_inputs"


@dataclass(frozen=True)
class ChainOffer:
    """A worker's offer to execute, in the slot a completion frees, the run's next step."""

    owner: str
    types: frozenset[str]


@dataclass(frozen=True)
class HandedOn:
    """A step leased inside a transition to the worker slot that was offered, and its call."""

    lease: Lease
    call: StepCall | Failed
    until: datetime  # the lease's expiry, counted from its step_started entry


class SlotTaker(Protocol):
    """A worker of this process that takes steps leased inside a start (see ``start_run``)."""

    def reserve(self) -> ChainOffer | None:
        """Hold a free slot for a step, or None when there is none (or it is stopping)."""
        ...

    def release(self, offer: ChainOffer) -> None:
        """Give back a held slot that was not used."""
        ...

    def adopt(self, handed: HandedOn) -> None:
        """Run, in the held slot, the attempt that was leased to it."""
        ...


@dataclass(frozen=True)
class Completion:
    recorded: bool  # False: the lease was taken over or the step had ended
    next: tuple[Lease, StepCall | Failed] | None = None  # the step leased on, and its call


@dataclass(frozen=True)
class StartedRun:
    state: RunState
    created: bool  # False: a run with the same idempotency key already existed


@dataclass
class Engine:
    uow_factory: EngineUnitOfWorkFactory
    clock: Clock
    signals: RunSignals
    settings: EngineSettings = field(default_factory=EngineSettings)
    remote_types: frozenset[str] = frozenset({"http", "llm"})
    _plans: dict[str, RunPlan] = field(default_factory=dict)
    _queued_runs: bool = False  # this process has queued a run behind a tenant's run limit
    taker: SlotTaker | None = None  # set by the worker of this process while it runs

    # --- starting ----------------------------------------------------------------------------

    async def start_run(
        self,
        caller: Caller,
        workflow: str,
        *,
        inputs: dict[str, Any],
        version: int | None = None,
        idempotency_key: str | None = None,
        trigger: str = "api",
    ) -> StartedRun:
        """Start a run and, in the same transaction, run its steps that only compute.

        When a worker of this process has a free slot, the first step with effects is leased
        to it in that transaction too and handed over after the commit: the first step then
        runs without waiting for a lease pass and a read of the run.
        """
        if idempotency_key:
            existing = await self._by_key(caller, idempotency_key)
            if existing is not None:
                return StartedRun(existing, created=False)
        taker = self.taker
        chain = taker.reserve() if taker is not None else None
        handed: HandedOn | None = None
        committed = False
        try:
            async with self.uow_factory(caller.tenant_id) as uow:
                state, handed = await self._new_run(
                    uow,
                    caller,
                    workflow,
                    version,
                    inputs,
                    trigger,
                    idempotency_key=idempotency_key,
                    chain=chain,
                )
                await uow.commit()
                committed = True
            made_ready = uow.runs.made_ready
        except AlreadyExists:
            # A concurrent start with the same key won the race: answer with its run.
            if idempotency_key is None:
                raise
            existing = await self._by_key(caller, idempotency_key)
            if existing is None:
                raise
            return StartedRun(existing, created=False)
        finally:
            # The slot is given back unless a committed lease now holds it (a lease whose commit
            # failed was rolled back; one whose commit's answer was lost expires and is recovered).
            if taker is not None and chain is not None and not (committed and handed is not None):
                taker.release(chain)
        if taker is not None and handed is not None:
            taker.adopt(handed)
        self._after_commit(state, work=made_ready)
        return StartedRun(state, created=True)

    async def _by_key(self, caller: Caller, key: str) -> RunState | None:
        async with self.uow_factory(caller.tenant_id) as uow:
            run_id = await uow.runs.find_by_idempotency_key(key)
            return await uow.runs.load(run_id, lock=False) if run_id else None

    async def _new_run(
        self,
        uow: EngineUnitOfWork,
        caller: Caller,
        workflow: str,
        version: int | None,
        inputs: dict[str, Any],
        trigger: str,
        *,
        idempotency_key: str | None = None,
        parent: RunState | None = None,
        parent_key: str | None = None,
        chain: ChainOffer | None = None,
    ) -> tuple[RunState, HandedOn | None]:
        ref = await uow.workflows.find_version(workflow, version, count_active_runs=parent is None)
        if ref is None:
            await load_version(uow, workflow, version)  # raises NotFound, saying what is missing
            raise NotFound(f"workflow '{workflow}' not found")
        plan = await self._plan(uow, ref.version_id)
        inputs = validated_inputs(plan, inputs)
        now = self.clock.now()
        depth = int(parent.state.get("depth", 0)) + 1 if parent else 0
        if depth > MAX_RUN_DEPTH:
            raise ValidationFailed(f"sub-workflows nest deeper than {MAX_RUN_DEPTH} levels")
        state = RunState(
            run_id=new_id(),
            tenant_id=caller.tenant_id,
            workflow_name=ref.workflow_name,
            version=ref.version,
            status=RunStatus.QUEUED,
            inputs=inputs,
            started_at=now,
            state={"depth": depth},
            workflow_id=ref.workflow_id,
            version_id=ref.version_id,
            trigger=trigger,
            idempotency_key=idempotency_key,
            parent_run_id=parent.run_id if parent else None,
            parent_step_key=parent_key,
            created_by=caller.user_id,
            deadline_at=now + timedelta(milliseconds=plan.timeout_ms) if plan.timeout_ms else None,
            is_new=True,  # inserted by its first save, as its first transaction decides it
        )
        if ref.active_runs is not None and ref.active_runs >= self.settings.tenant_run_cap:
            state.reason = "waiting for a free slot: the tenant's concurrent run limit is reached"
            self._queued_runs = True
            await uow.runs.save(state, now)
            return state, None
        return state, await self._begin(uow, plan, state, chain)

    async def _begin(
        self,
        uow: EngineUnitOfWork,
        plan: RunPlan,
        state: RunState,
        chain: ChainOffer | None = None,
    ) -> HandedOn | None:
        now = self.clock.now()
        state.started_at = now
        progress = RunProgress(plan, state, now)
        progress.start()
        await self._drive(progress, uow)
        handed = None
        # The slot comes from the worker's pool, not from a step of this tenant that just ended
        # (as in ``complete``): the tenant's limit on running steps must allow one more.
        if (
            chain is not None
            and _leasable(progress, chain) is not None
            and await uow.runs.count_running_steps() < self.settings.tenant_step_cap
        ):
            handed = self._hand_on(progress, chain)
        await self._save(progress, uow)
        if handed is not None:
            await self._hold(uow, handed)
        return handed

    def _hand_on(self, progress: RunProgress, chain: ChainOffer) -> HandedOn | None:
        lease = _lease_next(progress, chain)
        if lease is None:
            return None
        instance = progress.state.instances[lease.key]
        call = _call_for(progress.plan, progress.state, instance, lease.attempt)
        # The lease runs from the moment its step_started entry records.
        until = progress.now + timedelta(milliseconds=self.settings.lease_ms)
        return HandedOn(lease, call, until)

    @staticmethod
    async def _hold(uow: EngineUnitOfWork, handed: HandedOn) -> None:
        # After the save: the step's row may be new.
        lease = handed.lease
        await uow.runs.hold_lease(lease.step_row_id, lease.fencing, lease.owner, handed.until)

    # --- transitions -------------------------------------------------------------------------

    async def transition(
        self,
        tenant_id: str,
        run_id: str,
        apply: Callable[[RunProgress], bool | None],
        *,
        before_save: Callable[[RunProgress], None] | None = None,
        after_save: Callable[[EngineUnitOfWork], Awaitable[None]] | None = None,
    ) -> RunState | None:
        """Load the run under its lock, apply a decision, drive and save; None if stale."""
        async with self.uow_factory(tenant_id) as uow:
            state = await self._apply(uow, run_id, apply, before_save)
            if state is None:
                return None
            if after_save is not None:
                await after_save(uow)
            await uow.commit()
        self._after_commit(state, work=uow.runs.made_ready)
        return state

    async def _apply(
        self,
        uow: EngineUnitOfWork,
        run_id: str,
        apply: Callable[[RunProgress], bool | None],
        before_save: Callable[[RunProgress], None] | None = None,
    ) -> RunState | None:
        state = await uow.runs.load(run_id, lock=True)
        if state is None:
            return None
        plan = await self._plan(uow, state.version_id)
        progress = RunProgress(plan, state, self.clock.now())
        if apply(progress) is False:
            return None
        await self._drive(progress, uow)
        if before_save is not None:
            before_save(progress)
        await self._save(progress, uow)
        return state

    async def _drive(self, progress: RunProgress, uow: EngineUnitOfWork) -> None:
        """Run every ready step that needs no worker, until none is left."""
        state, plan = progress.state, progress.plan
        while progress.ready:
            key = progress.ready.pop(0)
            instance = state.instances[key]
            if instance.status is not StepStatus.READY:
                continue
            spec = plan.steps[instance.step_id]
            instance.step_type = spec.type
            if spec.type in LOCAL_TYPES:
                run_local_step(progress, key)
            elif spec.type == "subworkflow":
                await self._start_child(progress, key, uow)
        progress.refresh_status()

    async def _save(self, progress: RunProgress, uow: EngineUnitOfWork) -> None:
        state = progress.state
        if progress.finished_now:  # emitted first: a store may write it with the run's rows
            uow.emit(
                RunFinished(
                    tenant_id=state.tenant_id,
                    run_id=state.run_id,
                    workflow=state.workflow_name,
                    version=state.version,
                    status=state.status.value,
                    reason=state.reason,
                )
            )
        await uow.runs.save(state, progress.now)
        for child_id in progress.cancelled_children:
            await self._apply(uow, child_id, lambda p: p.cancel_run("its parent run ended"))
        if progress.finished_now and state.parent_run_id and state.parent_step_key:
            await self._apply(uow, state.parent_run_id, _child_finished(state))

    async def _start_child(self, progress: RunProgress, key: str, uow: EngineUnitOfWork) -> None:
        instance = progress.state.instances[key]
        model: Any = progress.plan.steps[instance.step_id].model
        instance.attempt += 1
        instance.started_at = progress.now
        try:
            inputs = render(model.inputs, context_for(progress.state, instance.scope_key))
            caller = Caller(progress.state.tenant_id, progress.state.created_by, "system")
            child, _ = await self._new_run(
                uow,
                caller,
                model.workflow,
                model.version,
                inputs,
                "subworkflow",
                parent=progress.state,
                parent_key=key,
            )
        except (ValidationFailed, NotFound) as exc:
            progress.fail(key, Failed(exc.code, exc.message), allow_retry=False)
            return
        progress.record("child_run_started", instance, child_run_id=child.run_id)
        if not model.wait:
            progress.succeed(key, {"run_id": child.run_id})
            return
        progress.wait(key, None, {"kind": "child_run", "child_run_id": child.run_id})
        if child.status.is_terminal:  # it ended in its first transaction
            _child_finished(child)(progress)

    def _after_commit(self, state: RunState, *, work: bool) -> None:
        self.signals.changed(state.run_id)
        if state.parent_run_id:
            self.signals.changed(state.parent_run_id)
        # Wake the worker only when there is something for it: a step made ready, or a run that
        # ended and may free a slot for a run queued behind its tenant's limit (once any was).
        # A wake-up with nothing to lease costs an empty lease transaction that competes with
        # the runs' own for the database.
        if work or (state.status.is_terminal and self._queued_runs):
            self.signals.work()

    # --- plans -------------------------------------------------------------------------------

    async def _plan(self, uow: EngineUnitOfWork, version_id: str) -> RunPlan:
        plan = self._plans.get(version_id)
        if plan is None:
            version = await uow.workflows.get_version_by_id(version_id)
            if version is None:
                raise NotFound("workflow version of the run not found")
            plan = self._plan_for(version_id, version)
        return plan

    def _plan_for(self, version_id: str, version: Any) -> RunPlan:
        plan = self._plans.get(version_id)
        if plan is None:
            result = compiled(version)
            assert result.plan is not None
            plan = build_plan(result.plan)
            if len(self._plans) > 512:
                self._plans.pop(next(iter(self._plans)))
            self._plans[version_id] = plan
        return plan

    # --- worker-facing -----------------------------------------------------------------------

    async def prepare(
        self, tenant_id: str, run_id: str, key: str, attempt: int, fencing: int
    ) -> StepCall | Failed | None:
        """What an executor needs for a leased attempt; None when the lease is already stale."""
        async with self.uow_factory(tenant_id) as uow:
            state = await uow.runs.load(run_id, lock=False)
            if state is None:
                return None
            instance = state.instances.get(key)
            if instance is None or instance.status is not StepStatus.RUNNING:
                return None
            if instance.fencing != fencing:
                return None
            plan = await self._plan(uow, state.version_id)
        return _call_for(plan, state, instance, attempt)

    async def complete(
        self,
        tenant_id: str,
        run_id: str,
        key: str,
        fencing: int,
        outcome: Outcome,
        *,
        chain: ChainOffer | None = None,
    ) -> Completion:
        """Record an attempt's outcome, unless its lease was taken over (fencing).

        With ``chain``, the same transaction also leases one step of this run that the outcome
        left ready, to the worker that offered its slot, and prepares its call: a sequence of
        steps with effects then costs one transaction per step instead of three (lease, read,
        completion). Only one step takes the freed slot, so the tenant's running steps do not
        grow; the worker bounds how many times in a row a slot is reused (fairness).
        """
        max_bytes = self.settings.max_output_bytes
        handed: list[HandedOn] = []  # the step leased on: at most one

        def apply(progress: RunProgress) -> bool:
            instance = progress.state.instances.get(key)
            if instance is None or instance.status is not StepStatus.RUNNING:
                return False
            if instance.fencing != fencing:
                return False
            if isinstance(outcome, Succeeded):
                if _size(outcome.output) > max_bytes:
                    progress.fail(
                        key,
                        Failed("payload_too_large", f"step output exceeds {max_bytes} bytes"),
                        allow_retry=False,
                    )
                else:
                    progress.succeed(key, outcome.output, **outcome.details)
            elif isinstance(outcome, Failed):
                progress.fail(key, outcome)
            else:
                progress.wait(key, outcome.wake_at, outcome.state)
            return True

        def hand_on(progress: RunProgress) -> None:
            next_step = self._hand_on(progress, chain) if chain is not None else None
            if next_step is not None:
                handed.append(next_step)

        async def hold(uow: EngineUnitOfWork) -> None:
            for next_step in handed:
                await self._hold(uow, next_step)

        state = await self.transition(
            tenant_id, run_id, apply, before_save=hand_on, after_save=hold
        )
        if state is None:
            return Completion(recorded=False)
        next_step = (handed[0].lease, handed[0].call) if handed else None
        return Completion(recorded=True, next=next_step)

    async def fire_due_timer(self, tenant_id: str, run_id: str, key: str) -> None:
        now = self.clock.now()

        def apply(progress: RunProgress) -> bool:
            instance = progress.state.instances.get(key)
            if instance is None or instance.status is not StepStatus.WAITING:
                return False
            if instance.wake_at is None or instance.wake_at > now:
                return False
            fire_timer(progress, key)
            return True

        await self.transition(tenant_id, run_id, apply)

    async def recover_lease(
        self, tenant_id: str, run_id: str, key: str, fencing: int | None = None
    ) -> None:
        """A worker lost its lease (crash, pause, partition): run the step again.

        ``fencing`` is the token of the lease that was found expired. By the time this runs,
        another sweeper may have recovered that lease and a worker leased the step anew; that
        newer lease is alive and stays untouched.
        """
        now, limit = self.clock.now(), self.settings.lease_loss_limit

        def apply(progress: RunProgress) -> bool:
            instance = progress.state.instances.get(key)
            if instance is None or instance.status is not StepStatus.RUNNING:
                return False
            if fencing is not None and instance.fencing != fencing:
                return False
            instance.lease_losses += 1
            progress.record("step_lease_expired", instance, lease_losses=instance.lease_losses)
            if instance.lease_losses > limit:
                progress.fail(
                    key,
                    Failed(
                        "worker_lost", f"the step's worker was lost {instance.lease_losses} times"
                    ),
                    allow_retry=False,
                )
            else:
                instance.status = StepStatus.READY
                instance.ready_at = now
                instance.touch()
            return True

        await self.transition(tenant_id, run_id, apply)

    async def time_out(self, tenant_id: str, run_id: str) -> None:
        now = self.clock.now()

        def apply(progress: RunProgress) -> bool:
            state = progress.state
            if state.status.is_terminal or state.deadline_at is None or state.deadline_at > now:
                return False
            timeout = progress.plan.timeout_ms or 0
            progress.cancel_run(
                f"the run exceeded its timeout of {timeout} ms", status=RunStatus.TIMED_OUT
            )
            return True

        await self.transition(tenant_id, run_id, apply)

    async def promote(self, tenant_id: str, run_id: str) -> bool:
        """Start a queued run if the tenant has a free slot."""
        async with self.uow_factory(tenant_id) as uow:
            state = await uow.runs.load(run_id, lock=True)
            if state is None or state.status is not RunStatus.QUEUED:
                return False
            if await uow.runs.count_active() >= self.settings.tenant_run_cap:
                return False
            plan = await self._plan(uow, state.version_id)
            state.reason = None
            await self._begin(uow, plan, state)
            await uow.commit()
        self._after_commit(state, work=uow.runs.made_ready)
        return True

    # --- people ------------------------------------------------------------------------------

    async def get(self, caller: Caller, run_id: str) -> RunState:
        async with self.uow_factory(caller.tenant_id) as uow:
            state = await uow.runs.load(run_id, lock=False)
        if state is None:
            raise NotFound("run not found")
        return state

    async def cancel(self, caller: Caller, run_id: str) -> RunState:
        return await self._must(caller, run_id, _cancel(caller))

    async def resume(self, caller: Caller, run_id: str) -> RunState:
        def apply(progress: RunProgress) -> bool:
            if progress.state.status not in RESUMABLE_RUN:
                raise ValidationFailed(
                    f"only failed, cancelled or timed-out runs can be resumed; this one is "
                    f"{progress.state.status.value}"
                )
            progress.resume()
            plan_timeout = progress.plan.timeout_ms
            if plan_timeout:
                progress.state.deadline_at = progress.now + timedelta(milliseconds=plan_timeout)
            return True

        return await self._must(caller, run_id, apply)

    async def decide(
        self, caller: Caller, run_id: str, step_key: str, *, approved: bool, comment: str | None
    ) -> RunState:
        def apply(progress: RunProgress) -> bool:
            instance = progress.state.instances.get(step_key)
            if (
                instance is None
                or instance.status is not StepStatus.WAITING
                or instance.state.get("kind") != "approval"
            ):
                raise NotFound(f"no approval is waiting at step '{step_key}' of this run")
            roles = instance.state.get("approver_roles") or []
            if roles and caller.role not in roles and caller.role != "owner":
                raise PermissionDenied(f"this approval is for the roles {', '.join(roles)}")
            decide_approval(
                progress,
                step_key,
                approved=approved,
                decided_by=caller.user_id or "unknown",
                comment=comment,
            )
            return True

        return await self._must(caller, run_id, apply)

    async def _must(
        self, caller: Caller, run_id: str, apply: Callable[[RunProgress], bool | None]
    ) -> RunState:
        state = await self.transition(caller.tenant_id, run_id, apply)
        if state is None:
            raise NotFound("run not found")
        return state


def _call_for(
    plan: RunPlan, state: RunState, instance: Instance, attempt: int
) -> StepCall | Failed:
    """Render a leased step's configuration from the run as it stands."""
    spec = plan.steps[instance.step_id]
    context = context_for(state, instance.scope_key)
    try:
        config = {
            name: render(getattr(spec.model, name), context)
            for name in RENDERED_FIELDS.get(spec.type, ())
        }
    except ValidationFailed as exc:
        return Failed("expression_error", exc.message)
    return StepCall(
        tenant_id=state.tenant_id,
        run_id=state.run_id,
        workflow=state.workflow_name,
        step_key=instance.key,
        step_id=instance.step_id,
        step_type=spec.type,
        attempt=attempt,
        idempotency_key=idempotency_key(state.run_id, instance.key),
        config=config,
        timeout_ms=spec.timeout_ms,
    )


def _leasable(progress: RunProgress, chain: ChainOffer) -> Instance | None:
    """The longest-ready step of this run that the offering worker can execute."""
    now = progress.now
    ready = [
        instance
        for instance in progress.state.instances.values()
        if instance.status is StepStatus.READY
        and instance.step_type in chain.types
        and (instance.ready_at is None or instance.ready_at <= now)
    ]
    return min(ready, key=lambda i: (i.ready_at or now, i.id)) if ready else None


def _lease_next(progress: RunProgress, chain: ChainOffer) -> Lease | None:
    """Lease the longest-ready step of this run that the offering worker can execute."""
    instance = _leasable(progress, chain)
    if instance is None:
        return None
    now = progress.now
    instance.status = StepStatus.RUNNING
    instance.attempt += 1
    instance.fencing += 1
    instance.started_at = now
    instance.touch()
    progress.record("step_started", instance, worker=chain.owner)
    return Lease(
        progress.state.tenant_id,
        progress.state.run_id,
        instance.id,
        instance.key,
        instance.step_id,
        instance.step_type,
        instance.attempt,
        instance.fencing,
        chain.owner,
    )


def validated_inputs(plan: RunPlan, inputs: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(inputs, dict):
        raise InvalidInputs("inputs must be a JSON object")
    definition_inputs = plan.execution.inputs_schema.get("properties", {})
    merged = dict(inputs)
    for name, schema in definition_inputs.items():
        if name not in merged and isinstance(schema, dict) and "default" in schema:
            merged[name] = schema["default"]
    validator = jsonschema.Draft202012Validator(plan.execution.inputs_schema)
    errors = sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInputs(
            "; ".join(_input_error(e) for e in errors[:5]),
            details={"errors": [_input_error(e) for e in errors[:50]]},
        )
    return merged


def _input_error(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    return f"inputs.{where}: {error.message}" if where else f"inputs: {error.message}"


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str))


def _cancel(caller: Caller) -> Callable[[RunProgress], bool]:
    def apply(progress: RunProgress) -> bool:
        if progress.state.status.is_terminal:
            raise ValidationFailed(f"the run already ended ({progress.state.status.value})")
        progress.cancel_run(f"cancelled by {caller.user_id or 'the system'}")
        return True

    return apply


def _child_finished(child: RunState) -> Callable[[RunProgress], bool]:
    def apply(progress: RunProgress) -> bool:
        key = child.parent_step_key or ""
        instance = progress.state.instances.get(key)
        if instance is None or instance.status is not StepStatus.WAITING:
            return False
        if instance.state.get("child_run_id") not in (None, child.run_id):
            return False
        if child.status is RunStatus.SUCCEEDED:
            progress.succeed(key, child.outputs or {})
        else:
            message = f"child run {child.run_id} ended {child.status.value}: {child.reason}"
            progress.fail(
                key, Failed("child_run_failed", message, details={"child_run_id": child.run_id})
            )
        return True

    return apply


__all__ = [
    "ChainOffer",
    "Completion",
    "Engine",
    "EngineSettings",
    "InvalidInputs",
    "Waiting",
    "validated_inputs",
]
