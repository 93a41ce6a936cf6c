"""Workers killed at random instants lose nothing and repeat no effect.

Three worker processes run a mix of workflows: chains of http steps (some through a sink path
that applies the effect and then sleeps before answering, so kills land between an effect and
its checkpoint), transforms, a foreach over http calls with max_concurrency, a parallel, a short
delay, and an http step retried on injected 500s. While the runs go, a random worker is killed
(SIGKILL) every 0-300 ms and replaced, ``FLOWWRIGHT_CHAOS_KILLS`` times (100 by default); then
the workers finish. ``FLOWWRIGHT_CHAOS_RUNS`` sets the number of runs (40) and
``FLOWWRIGHT_CHAOS_SEED`` repeats the kill intervals and the choice of victims.

Workers run ``flowwright serve --role worker`` forked from a pre-imported interpreter
(forkserver.py): started with ``python -m`` each takes seconds of CPU before it can lease, so a
kill every 150 ms would only ever hit workers still starting. ``FLOWWRIGHT_CHAOS_FORK=0`` starts
them with ``python -m`` anyway.

Checked: every run succeeded with the outputs computed here; once kills stopped, no lease stayed
expired and no timer stayed due past a small grace; every effect's idempotency key reached the
sink with the expected request and was applied once; repeated deliveries are counted and bounded
by the kills (and by the lease expirations the histories record); each history is numbered 1..n,
ends with run_finished, and ends each step once; no run flipped from succeeded to anything else.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from engine_probe import (
    TERMINAL,
    EngineProbe,
    Watch,
    check_effects,
    check_runs,
    seconds,
    utc_now,
)
from processes import Workers
from workloads import plan, publish_workloads

from flowwright.kernel.ids import new_id
from sink import Sink

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("FLOWWRIGHT_CHAOS_KILLS") or 100)
RUNS = int(os.environ.get("FLOWWRIGHT_CHAOS_RUNS") or 40)
SEED = int(os.environ.get("FLOWWRIGHT_CHAOS_SEED") or random.randrange(2**32))
WORKERS = 3
LEASE_SECONDS = 1.0
GRACE_SECONDS = 2.0  # sweep interval, a transaction or two, and scheduling noise
FINISH_SECONDS = 60.0 + RUNS * 0.5  # for the runs to finish once kills stopped
FORKED = os.environ.get("FLOWWRIGHT_CHAOS_FORK", "1") != "0"


def started_by(kills: int) -> int:
    """How many runs have started once ``kills`` workers were killed: a quarter before the first
    kill, the rest spread over the first 90% of the kills."""
    early = RUNS // 4
    return min(RUNS, early + math.ceil((RUNS - early) * kills / max(1, int(KILLS * 0.9))))


async def test_killed_workers_lose_no_run_and_repeat_no_effect(
    probe: EngineProbe, chaos_sink: Sink, make_workers: Callable[..., Workers]
) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    await publish_workloads(probe, chaos_sink)
    workers = make_workers(forked=FORKED, lease_seconds=LEASE_SECONDS, concurrency=4)
    for _ in range(WORKERS):
        workers.start()

    prefix = f"c{new_id()[-8:]}"
    planned = [plan(i, f"{prefix}-{i:03d}") for i in range(RUNS)]
    run_ids: list[str] = []

    async def start_until(count: int) -> None:
        while len(run_ids) < min(count, RUNS):
            item = planned[len(run_ids)]
            item.run_id = (await probe.start(item.workflow, item.inputs)).run_id
            run_ids.append(item.run_id)

    # Kills land on work in every phase of the runs, and work is still in flight, its leases
    # held by killed workers, when the kills stop.
    await start_until(started_by(0))
    watch = Watch(GRACE_SECONDS)

    # Kill a random worker every 0-300 ms, and start its replacement at once.
    kills = kills_of_ready = 0
    kills_began = time.monotonic()
    next_look = 0.0
    while kills < KILLS:
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        live = workers.live()
        victim = rng.choice(live)
        kills_of_ready += victim.is_ready()
        workers.kill(victim)
        kills += 1
        workers.start()
        await start_until(started_by(kills))
        if time.monotonic() >= next_look:
            watch.statuses(await probe.statuses(run_ids))
            next_look = time.monotonic() + 0.5
    await start_until(RUNS)
    kill_seconds = time.monotonic() - kills_began
    finished_at_kill_end = sum(1 for s in (await probe.statuses(run_ids)).values() if s in TERMINAL)

    # Let the workers finish; watch for leases and timers left overdue.
    workers_back: datetime | None = None
    deadline = time.monotonic() + FINISH_SECONDS
    while True:
        now = utc_now()
        if workers_back is None and workers.ready():
            workers_back = now
        seen = await probe.statuses(run_ids)
        watch.statuses(seen)
        if workers_back is not None:
            watch.overdue(await probe.overdue(now), now, workers_back)
        if all(s in TERMINAL for s in seen.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    finish_seconds = time.monotonic() - kills_began - kill_seconds
    crashed = workers.crashed()
    workers.kill_all()
    warnings = workers.warnings()

    unfinished = {r: s for r, s in seen.items() if s not in TERMINAL}
    assert not unfinished, f"runs not finished {FINISH_SECONDS}s after the kills: {unfinished}"
    assert crashed == [], workers.logs()[-5000:]

    outcomes = await check_runs(probe, planned, seconds(LEASE_SECONDS))
    effects = check_effects(planned, chaos_sink)
    total = time.monotonic() - began
    print(
        f"\n[crash/{probe.backend}] seed={SEED} runs={RUNS} kills={kills} "
        f"(of ready workers: {kills_of_ready}) in {kill_seconds:.1f}s; "
        f"{finished_at_kill_end} runs finished during the kills; rest finished in "
        f"{finish_seconds:.1f}s; effects={effects.expected} "
        f"duplicate deliveries={effects.duplicates} (most for one key: {effects.most}); "
        f"lease expirations={outcomes.lease_expirations} "
        f"(most for one step: {outcomes.most_losses}); "
        f"total {total:.1f}s; worker warnings: {dict(warnings)}"
    )

    assert outcomes.problems == [], "\n".join(outcomes.problems[:20])
    assert watch.flips == []
    assert watch.stuck == [], "\n".join(watch.stuck[:20])
    assert effects.missing == effects.unexpected == effects.wrong == [], effects
    assert chaos_sink.conflicts == []
    assert effects.duplicates <= kills
    # Each repeat follows a lost lease, none comes free.
    assert effects.duplicates <= outcomes.lease_expirations
