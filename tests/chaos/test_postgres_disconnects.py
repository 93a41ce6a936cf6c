"""Connections terminated at random on PostgreSQL lose no run, repeat no effect, and kill no role.

Three worker processes run the chaos workloads (workloads.py: http steps to the sink with
idempotency keys, in sequence, in a foreach and a parallel, a delay and a retried step), while
every 50-400 ms ``pg_terminate_backend`` ends every connection of the test's database (one round
in four, a single random one): the workers' pooled connections mid-transaction or idle, their
LISTEN connections, and this process's own, through which the runs are started (with idempotency
keys, retried as an API client would). ``FLOWWRIGHT_CHAOS_DISCONNECT_SECONDS`` sets how long that
goes on (8 s by default), ``FLOWWRIGHT_CHAOS_RUNS`` the number of runs (24) and
``FLOWWRIGHT_CHAOS_SEED`` repeats the intervals and the victims.

Checked: every run succeeded with the outputs computed here; once the terminations stopped, no
lease stayed expired and no timer due past a small grace; every effect's idempotency key reached
the sink with the expected request and was applied once; a repeated delivery only ever followed
a lease the histories record as lost; each history is numbered 1..n, ends with run_finished and
ends each step once. Every failure the workers met was handled by the loop that met it: no task
ended on an unobserved exception and no loop had to be started again. Afterwards every worker is
still alive, listens again and leases new work, and the outbox relays deliver every event that
is due (one a relay published but could not mark waits out its claim, 30 s).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from engine_probe import (
    TERMINAL,
    EngineProbe,
    Planned,
    Watch,
    check_effects,
    check_runs,
    seconds,
    utc_now,
)
from processes import Workers, eventually
from sqlalchemy.engine import make_url
from terminator import Terminator, listening_backends
from workloads import plan, publish_workloads

from flowwright.kernel.ids import new_id
from flowwright.workflow.domain.runs.state import RunState
from sink import Sink

T = TypeVar("T")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize(
        "empty_database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]

CHAOS_SECONDS = float(os.environ.get("FLOWWRIGHT_CHAOS_DISCONNECT_SECONDS") or 8)
RUNS = int(os.environ.get("FLOWWRIGHT_CHAOS_RUNS") or 24)
SEED = int(os.environ.get("FLOWWRIGHT_CHAOS_SEED") or random.randrange(2**32))
WORKERS = 3
LEASE_SECONDS = 1.0
FINISH_SECONDS = 30.0 + RUNS * 0.25  # for the runs to finish once the terminations stopped
ROLL_CALL_SECONDS = 20.0  # for every worker to lease new work afterwards
GRACE_SECONDS = 2.0  # sweep interval, a transaction or two, and scheduling noise
FORKED = os.environ.get("FLOWWRIGHT_CHAOS_FORK", "1") != "0"


class Steady:
    """This process's own calls to the database, retried across terminated connections the way
    an API client retries a request; counts the retries."""

    def __init__(self) -> None:
        self.retries = 0

    async def __call__(
        self, call: Callable[..., Awaitable[T]], *args: Any, attempts: int = 50, **kwargs: Any
    ) -> T:
        for _ in range(attempts - 1):
            try:
                return await call(*args, **kwargs)
            except Exception:
                self.retries += 1
                await asyncio.sleep(0.05)
        return await call(*args, **kwargs)


async def test_terminated_connections_lose_no_run_and_kill_no_role(
    probe: EngineProbe, chaos_sink: Sink, make_workers: Callable[..., Workers]
) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    database = make_url(probe.url).database
    assert database is not None
    await publish_workloads(probe, chaos_sink)
    workers = make_workers(forked=FORKED, lease_seconds=LEASE_SECONDS, concurrency=4)
    for _ in range(WORKERS):
        workers.start()
    await eventually(
        lambda: listening_backends(database),
        lambda n: n == WORKERS and len(workers.ready()) == WORKERS,
        within=60,
        what="every worker to start and listen",
    )

    prefix = f"d{new_id()[-8:]}"
    planned = [plan(i, f"{prefix}-{i:03d}") for i in range(RUNS)]
    steady = Steady()
    watch = Watch(GRACE_SECONDS)

    async def start(item: Planned) -> None:
        # The idempotency key makes the retry of a start whose commit went unanswered safe.
        tag = item.inputs["tag"]
        state = await steady(probe.start, item.workflow, item.inputs, key=tag, attempts=200)
        item.run_id = state.run_id

    async def finished(run_id: str) -> RunState:
        return await eventually(
            lambda: steady(probe.run, run_id),
            lambda s: s.status.value in TERMINAL,
            within=10,
            what=f"run {run_id} to finish",
            interval=0.02,
        )

    async with Terminator(database, rng) as terminator:
        chaos_began = time.monotonic()
        for index, item in enumerate(planned):
            # Starts spread over the first 80 % of the terminations.
            await asyncio.sleep(
                max(0.0, chaos_began + CHAOS_SECONDS * 0.8 * index / RUNS - time.monotonic())
            )
            await start(item)
        run_ids = [item.run_id for item in planned]
        while time.monotonic() < chaos_began + CHAOS_SECONDS:
            watch.statuses(await steady(probe.statuses, run_ids))
            await asyncio.sleep(0.5)
    chaos_seconds = time.monotonic() - chaos_began
    finished_during_chaos = sum(
        1 for s in (await steady(probe.statuses, run_ids)).values() if s in TERMINAL
    )

    # Let the workers finish; watch for leases and timers left overdue.
    calm = utc_now()
    deadline = time.monotonic() + FINISH_SECONDS
    while True:
        now = utc_now()
        seen = await steady(probe.statuses, run_ids)
        watch.statuses(seen)
        watch.overdue(await steady(probe.overdue, now), now, calm)
        if all(s in TERMINAL for s in seen.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    finish_seconds = time.monotonic() - chaos_began - chaos_seconds
    unfinished = {r: s for r, s in seen.items() if s not in TERMINAL}
    assert not unfinished, f"runs not finished {FINISH_SECONDS}s after the chaos: {unfinished}"

    # Every worker lived through it, listens again and leases new work.
    assert workers.crashed() == [], workers.logs()[-5000:]
    await eventually(
        lambda: listening_backends(database),
        lambda n: n == WORKERS,
        within=10,
        what="every worker to LISTEN again",
    )
    answered: set[int] = set()
    roll_call_ends = time.monotonic() + ROLL_CALL_SECONDS
    while len(answered) < WORKERS and time.monotonic() < roll_call_ends:
        roll = plan(0, f"{prefix}-roll-{new_id()[-6:]}")  # a chain of http steps
        await start(roll)
        done = await finished(roll.run_id)
        assert (done.status.value, done.outputs) == ("succeeded", roll.outputs), done.error
        for h in await steady(probe.history, roll.run_id):
            if h.type == "step_started":
                answered |= {w.number for w in workers.live() if w.owns(h.data.get("worker"))}
    assert len(answered) == WORKERS, f"workers that leased after the chaos: {sorted(answered)}"
    # The roll call's runs, at least, emitted events since: each relay keeps delivering.
    await eventually(
        lambda: steady(probe.overdue_events, utc_now() - seconds(GRACE_SECONDS)),
        lambda n: n == 0,
        within=10,
        what="the outbox relays to deliver every event that is due",
    )
    warnings = workers.warnings()
    unhandled = workers.unhandled()
    assert workers.crashed() == [], workers.logs()[-5000:]
    workers.kill_all()

    outcomes = await check_runs(probe, planned, seconds(LEASE_SECONDS))
    effects = check_effects(planned, chaos_sink)
    print(
        f"\n[disconnects/{probe.backend}] seed={SEED} runs={RUNS} "
        f"rounds={terminator.rounds} in {chaos_seconds:.1f}s terminated "
        f"{terminator.terminated} connections ({terminator.listeners_terminated} listening); "
        f"{finished_during_chaos} runs finished during the chaos, the rest in "
        f"{finish_seconds:.1f}s; effects={effects.expected} "
        f"duplicate deliveries={effects.duplicates}; "
        f"lease expirations={outcomes.lease_expirations}; this process's retries={steady.retries}; "
        f"total {time.monotonic() - began:.1f}s; worker warnings: {dict(warnings)}"
    )

    # Every failure was one a loop expected: logged, and followed by another try.
    assert unhandled == [], "\n".join(unhandled[:20])
    assert warnings["loop failed; starting it again"] == 0, workers.logs()[-5000:]
    assert outcomes.problems == [], "\n".join(outcomes.problems[:20])
    assert watch.flips == []
    assert watch.stuck == [], "\n".join(watch.stuck[:20])
    assert effects.missing == effects.unexpected == effects.wrong == [], effects
    assert chaos_sink.conflicts == []
    # Each repeat follows a lost lease, none comes free.
    assert effects.duplicates <= outcomes.lease_expirations
    assert terminator.listeners_terminated > 0
