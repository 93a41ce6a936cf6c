"""The worker role: lease ready steps with effects, execute them, and record their outcomes.

It also sweeps what is due: timers and approval timeouts, leases whose worker vanished, runs
past their deadline, and runs queued behind their tenant's concurrency limit.

The database may be unreachable for a moment (a connection terminated, a server restarting): a
pass that fails is logged and the loop goes on after a growing pause, and an attempt's outcome
is written again until it is recorded or the lease it was made under has run out. Each write is
one transaction and carries the lease's fencing token, so writing again after a commit whose
answer was lost is refused, never applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import timedelta
from functools import partial
from typing import TypeVar

import structlog

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import FlowwrightError
from flowwright.kernel.ids import new_id
from flowwright.kernel.waiting import Backoff, first_of, pause
from flowwright.workflow.application.engine import ChainOffer, Engine, HandedOn
from flowwright.workflow.application.ports import RunQueue, StepCall, StepExecutor
from flowwright.workflow.domain.runs.outcome import Failed, Outcome
from flowwright.workflow.domain.runs.queue import Due, Lease

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Worker:
    def __init__(
        self,
        engine: Engine,
        queue: RunQueue,
        executors: Mapping[str, StepExecutor],
        clock: Clock,
        *,
        concurrency: int = 16,
        poll_interval: float = 0.25,
        sweep_interval: float = 0.5,
        chain_limit: int = 16,
    ) -> None:
        self.engine = engine
        self.queue = queue
        self.executors = executors
        self.clock = clock
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.sweep_interval = sweep_interval
        # How many steps in a row one slot may take from completions before it goes back to the
        # queue, where every tenant with ready work gets its fair share of the free slots.
        self.chain_limit = chain_limit
        self._stop: asyncio.Event | None = None
        self.pass_backoff = Backoff(first=0.1, ceiling=5.0)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self._tasks: set[asyncio.Task[None]] = set()
        self._reserved = 0  # slots held for steps that starts of this process may hand over
        self._queue_drained = False  # the last lease pass left no ready step behind

    async def run(self, stop: asyncio.Event) -> None:
        log.info("engine worker started", owner=self.owner)
        signal = self.engine.signals.work_available
        next_sweep = 0.0
        loop = asyncio.get_running_loop()
        self._stop = stop
        self.engine.taker = self
        try:
            while not stop.is_set():
                signal.clear()
                try:
                    free = self._free()
                    leased = await self.lease_and_start()
                    # Fewer leases than free slots: nothing else is ready now, so asking again at
                    # once would only cost a transaction. Wait for a wake-up (this process's
                    # completions and starts signal) or the poll interval (other processes').
                    drained = leased == 0 or leased < free
                    self._queue_drained = drained
                    if loop.time() >= next_sweep:
                        await self.sweep()
                        next_sweep = loop.time() + self.sweep_interval
                except Exception as exc:  # the database may be briefly unreachable
                    delay = self.pass_backoff.failed()
                    log.warning("worker pass failed", error=repr(exc), retry_in=round(delay, 3))
                    await pause(stop, delay)
                    continue
                self.pass_backoff.succeeded()
                if drained:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(first_of(stop, signal), self.poll_interval)
        finally:
            if self.engine.taker is self:
                self.engine.taker = None
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _free(self) -> int:
        return self.concurrency - len(self._tasks) - self._reserved

    # --- steps handed over by starts of this process (``SlotTaker``) --------------------------

    def reserve(self) -> ChainOffer | None:
        # Only while the queue holds nothing for this worker: a free slot then goes to the fair
        # lease pass first, so one tenant's stream of starts cannot take every slot that frees
        # up while another tenant's ready steps wait in the queue.
        if self._free() <= 0 or not self._queue_drained:
            return None
        if self.engine.signals.work_available.is_set():
            return None
        offer = self._offer()
        if offer is not None:
            self._reserved += 1
        return offer

    def release(self, offer: ChainOffer) -> None:
        self._reserved -= 1

    def adopt(self, handed: HandedOn) -> None:
        self._reserved -= 1
        self._spawn(self.execute(handed.lease, handed.call))

    async def lease_and_start(self) -> int:
        free = self._free()
        if free <= 0:
            return 0
        now = self.clock.now()
        leases = await self.queue.lease(
            owner=self.owner,
            now=now,
            until=now + timedelta(milliseconds=self.engine.settings.lease_ms),
            limit=free,
            types=frozenset(self.executors),
            tenant_step_cap=self.engine.settings.tenant_step_cap,
        )
        for lease in leases:
            self._spawn(self.execute(lease))
        return len(leases)

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def execute(self, lease: Lease, prepared: StepCall | Failed | None = None) -> None:
        """Run a leased attempt, and the steps its completions lease on; ``prepared``: its call,
        when the transaction that leased it rendered it already."""
        try:
            await self._execute(lease, prepared)
        except Exception as exc:
            # Not recorded, even written again: the lease runs out and the step runs again.
            log.warning(
                "attempt abandoned; the step runs again once its lease expires",
                step=lease.key,
                run_id=lease.run_id,
                fencing=lease.fencing,
                error=repr(exc),
            )

    async def _execute(self, lease: Lease, given: StepCall | Failed | None) -> None:
        prepared = (
            given
            if given is not None
            else await self._retried(
                "prepare",
                lease,
                partial(
                    self.engine.prepare,
                    lease.tenant_id,
                    lease.run_id,
                    lease.key,
                    lease.attempt,
                    lease.fencing,
                ),
            )
        )
        handed_on = 0
        while prepared is not None:
            outcome = (
                prepared if isinstance(prepared, Failed) else await self._attempt(lease, prepared)
            )
            if outcome is None:
                return  # the lease was lost while running: another worker owns the step now
            completion = await self._retried(
                "completion",
                lease,
                partial(
                    self.engine.complete,
                    lease.tenant_id,
                    lease.run_id,
                    lease.key,
                    lease.fencing,
                    outcome,
                    chain=self._offer() if handed_on < self.chain_limit else None,
                ),
            )
            if not completion.recorded:
                log.warning(
                    "completion refused: the step was taken over or has ended",
                    step=lease.key,
                    run_id=lease.run_id,
                    fencing=lease.fencing,
                )
                return
            if completion.next is None:
                return
            # The completion leased the run's next step to this slot: run it without going
            # back through the queue.
            lease, prepared = completion.next
            handed_on += 1

    async def _retried(self, what: str, lease: Lease, call: Callable[[], Awaitable[T]]) -> T:
        """``call`` (one transaction), tried again after a failure for as long as the lease would
        last from now (one renewed just before is still held; after that, fencing decides)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.engine.settings.lease_ms / 1000
        backoff = Backoff(first=0.05, ceiling=1.0)
        while True:
            try:
                return await call()
            except FlowwrightError as exc:
                if not exc.retryable:
                    raise
                error: Exception = exc
            except Exception as exc:  # the database may be briefly unreachable
                error = exc
            delay = backoff.failed()
            if loop.time() + delay > deadline:
                raise error
            log.warning(
                f"{what} failed; trying again",
                step=lease.key,
                run_id=lease.run_id,
                error=repr(error),
                retry_in=round(delay, 3),
            )
            await asyncio.sleep(delay)

    def _offer(self) -> ChainOffer | None:
        if self._stop is not None and self._stop.is_set():
            return None  # a step leased now would wait for its lease to expire after shutdown
        return ChainOffer(self.owner, frozenset(self.executors))

    async def _attempt(self, lease: Lease, call: StepCall) -> Outcome | None:
        executor = self.executors[call.step_type]
        work = asyncio.create_task(self._guarded(executor, call))
        heartbeat = asyncio.create_task(self._heartbeat(lease, work))
        try:
            return await work
        except asyncio.CancelledError:
            if heartbeat.done() and heartbeat.result() is False:
                return None
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await heartbeat

    async def _guarded(self, executor: StepExecutor, call: StepCall) -> Outcome:
        timeout = call.timeout_ms / 1000 if call.timeout_ms else None
        try:
            return await asyncio.wait_for(executor.execute(call), timeout)
        except TimeoutError:
            return Failed(
                "step_timeout",
                f"the step did not finish within {call.timeout_ms} ms",
                retryable=True,
            )
        except FlowwrightError as exc:
            return Failed(exc.code, exc.message, retryable=exc.retryable)
        except Exception as exc:  # an executor bug must not kill the worker
            log.exception("step executor failed", step=call.step_key, run_id=call.run_id)
            return Failed("executor_error", f"{type(exc).__name__}: {exc}", retryable=True)

    async def _heartbeat(self, lease: Lease, work: asyncio.Task[Outcome]) -> bool:
        interval = self.engine.settings.lease_ms / 3000
        while not work.done():
            await asyncio.sleep(interval)
            until = self.clock.now() + timedelta(milliseconds=self.engine.settings.lease_ms)
            try:
                renewed = await self.queue.renew(lease, until)
            except Exception as exc:
                # The database may be briefly unreachable: keep the attempt and try again; if
                # the lease runs out meanwhile, the fencing token refuses our completion.
                log.warning("lease renewal failed", step=lease.key, error=repr(exc))
                continue
            if not renewed:
                log.warning(
                    "lease lost; abandoning the attempt", step=lease.key, run_id=lease.run_id
                )
                work.cancel()
                return False
        return True

    async def sweep(self) -> None:
        """Fire what is due; one item that fails is logged and must not hold up the others."""
        now = self.clock.now()
        for due in await self.queue.due_timers(now, 100):
            assert due.key is not None
            await self._isolated(
                "timer", due, self.engine.fire_due_timer(due.tenant_id, due.run_id, due.key)
            )
        for due in await self.queue.expired_leases(now, 100):
            assert due.key is not None
            await self._isolated(
                "lease recovery",
                due,
                self.engine.recover_lease(due.tenant_id, due.run_id, due.key, due.fencing),
            )
        for due in await self.queue.overdue_runs(now, 100):
            await self._isolated(
                "run timeout", due, self.engine.time_out(due.tenant_id, due.run_id)
            )
        for due in await self.queue.queued_runs(100):
            await self._isolated("promotion", due, self.engine.promote(due.tenant_id, due.run_id))

    async def _isolated(self, what: str, due: Due, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception as exc:
            log.warning(
                f"{what} failed; will retry on a later sweep",
                run_id=due.run_id,
                step=due.key,
                error=repr(exc),
            )
