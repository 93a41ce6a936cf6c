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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from engine_probe import (
    TERMINAL,
    EngineProbe,
    Overdue,
    check_history,
    early_expirations,
    seconds,
    utc_now,
)
from processes import Workers

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

CHAIN = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-chain}
inputs:
  tag: {type: string, required: true}
  n: {type: integer, required: true}
outputs:
  total: ${{ steps.third.output.body.echo.value }}
  label: ${{ steps.label.output }}
steps:
  - id: first
    type: http
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-first"
    body: {value: "${{ inputs.n + 1 }}"}
  - id: double
    type: transform
    needs: [first]
    output: ${{ steps.first.output.body.echo.value * 2 }}
  - id: second
    type: http
    needs: [double]
    method: POST
    url: "SINK/late/150/${{ inputs.tag }}-second"
    body: {value: "${{ steps.double.output + 3 }}"}
  - id: third
    type: http
    needs: [second]
    method: POST
    url: "SINK/late/150/${{ inputs.tag }}-third"
    body: {value: "${{ steps.second.output.body.echo.value * 10 }}"}
  - id: label
    type: transform
    needs: [third]
    output: "${{ inputs.tag }}:${{ steps.third.output.body.echo.value }}"
"""

FAN = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-fan}
inputs:
  tag: {type: string, required: true}
  items: {type: array, items: {type: integer}, required: true}
outputs:
  doubled: ${{ steps.each.output }}
  sides: ${{ steps.both.output }}
steps:
  - id: each
    type: foreach
    items: ${{ inputs.items }}
    max_concurrency: 2
    steps:
      - id: call
        type: http
        method: POST
        url: "SINK/late/100/${{ inputs.tag }}-each-${{ index }}"
        body: {item: "${{ item }}", index: "${{ index }}"}
      - id: twice
        type: transform
        needs: [call]
        output: ${{ steps.call.output.body.echo.item * 2 }}
  - id: both
    type: parallel
    needs: [each]
    branches:
      - name: left
        steps:
          - id: left_call
            type: http
            method: POST
            url: "SINK/late/100/${{ inputs.tag }}-left"
            body: {side: left}
          - id: left_side
            type: transform
            needs: [left_call]
            output: ${{ steps.left_call.output.body.echo.side }}
      - name: right
        steps:
          - id: right_call
            type: http
            method: POST
            url: "SINK/ok/${{ inputs.tag }}-right"
            body: {side: right}
          - id: right_side
            type: transform
            needs: [right_call]
            output: ${{ steps.right_call.output.body.echo.side }}
"""

TIMER = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-timer}
inputs:
  tag: {type: string, required: true}
outputs:
  done: ${{ steps.done.output }}
  status: ${{ steps.flaky.output.status }}
steps:
  - id: before
    type: http
    method: POST
    url: "SINK/late/100/${{ inputs.tag }}-before"
    body: {tag: "${{ inputs.tag }}"}
  - id: nap
    type: delay
    needs: [before]
    duration: 400ms
  - id: flaky
    type: http
    needs: [nap]
    method: POST
    url: "SINK/fail/2/${{ inputs.tag }}-flaky"
    body: {tag: "${{ inputs.tag }}", after: nap}
    retry: {max_attempts: 3, backoff: fixed, initial: 100ms, jitter: false}
  - id: done
    type: transform
    needs: [flaky]
    output: "${{ steps.flaky.output.body.echo.tag }} ok"
"""


@dataclass
class Planned:
    """A run and what it must end with, computed here rather than read from the engine."""

    workflow: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    effects: dict[str, dict[str, Any]]  # step key -> {"path", "body"} the sink must receive
    run_id: str = ""

    def keys(self) -> dict[str, dict[str, Any]]:
        return {f"{self.run_id}/{step}": effect for step, effect in self.effects.items()}


def plan(index: int, tag: str) -> Planned:
    kind = index % 3
    if kind == 0:
        n = index
        first, second = n + 1, (n + 1) * 2 + 3
        third = second * 10
        return Planned(
            "chaos-chain",
            {"tag": tag, "n": n},
            {"total": third, "label": f"{tag}:{third}"},
            {
                "first": {"path": f"/ok/{tag}-first", "body": {"value": first}},
                "second": {"path": f"/late/150/{tag}-second", "body": {"value": second}},
                "third": {"path": f"/late/150/{tag}-third", "body": {"value": third}},
            },
        )
    if kind == 1:
        items = [index + i for i in range(3 + index % 3)]
        effects = {
            f"each[{i}]/call": {
                "path": f"/late/100/{tag}-each-{i}",
                "body": {"item": item, "index": i},
            }
            for i, item in enumerate(items)
        }
        effects["both/left/left_call"] = {"path": f"/late/100/{tag}-left", "body": {"side": "left"}}
        effects["both/right/right_call"] = {"path": f"/ok/{tag}-right", "body": {"side": "right"}}
        return Planned(
            "chaos-fan",
            {"tag": tag, "items": items},
            {"doubled": [2 * item for item in items], "sides": {"left": "left", "right": "right"}},
            effects,
        )
    return Planned(
        "chaos-timer",
        {"tag": tag},
        {"done": f"{tag} ok", "status": 200},
        {
            "before": {"path": f"/late/100/{tag}-before", "body": {"tag": tag}},
            "flaky": {"path": f"/fail/2/{tag}-flaky", "body": {"tag": tag, "after": "nap"}},
        },
    )


def started_by(kills: int) -> int:
    """How many runs have started once ``kills`` workers were killed: a quarter before the first
    kill, the rest spread over the first 90% of the kills."""
    early = RUNS // 4
    return min(RUNS, early + math.ceil((RUNS - early) * kills / max(1, int(KILLS * 0.9))))


@dataclass
class Watch:
    """What the test saw while the runs went: terminal statuses and overdue work."""

    first_terminal: dict[str, str] = field(default_factory=dict)
    flips: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)

    def statuses(self, seen: dict[str, str]) -> None:
        for run_id, status in seen.items():
            first = self.first_terminal.get(run_id)
            if first is None and status in TERMINAL:
                self.first_terminal[run_id] = status
            elif first is not None and status != first:
                self.flips.append(f"{run_id}: {first} -> {status}")

    def overdue(self, items: list[Overdue], now: datetime, workers_back: datetime) -> None:
        for item in items:
            allowed = max(item.due_at, workers_back) + seconds(GRACE_SECONDS)
            if now > allowed:
                late = (now - max(item.due_at, workers_back)).total_seconds()
                self.stuck.append(
                    f"{item.run_id}/{item.key} {item.status}, due {late:.1f}s ago at {now}"
                )


async def test_killed_workers_lose_no_run_and_repeat_no_effect(
    probe: EngineProbe, chaos_sink: Sink, make_workers: Callable[..., Workers]
) -> None:
    began = time.monotonic()
    rng = random.Random(SEED)
    for source in (CHAIN, FAN, TIMER):
        await probe.publish(source.replace("SINK", chaos_sink.url))
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
    watch = Watch()

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

    problems: list[str] = []
    lease_expirations = most_losses = 0
    for item in planned:
        state = await probe.run(item.run_id)
        if state.status.value != "succeeded":
            problems.append(f"{item.run_id} ({item.workflow}) {state.status.value}: {state.error}")
        elif state.outputs != item.outputs:
            problems.append(f"{item.run_id}: outputs {state.outputs} != {item.outputs}")
        history = await probe.history(item.run_id)
        problems += check_history(item.run_id, history)
        problems += early_expirations(item.run_id, history, seconds(LEASE_SECONDS))
        losses = Counter(h.step_key for h in history if h.type == "step_lease_expired")
        lease_expirations += sum(losses.values())
        most_losses = max([most_losses, *losses.values()])

    expected = {key: effect for item in planned for key, effect in item.keys().items()}
    applied = {key: chaos_sink.applied[key] for key in chaos_sink.keys_for(tuple(run_ids))}
    missing = sorted(set(expected) - set(applied))
    unexpected = sorted(set(applied) - set(expected))
    wrong = sorted(key for key in expected.keys() & applied.keys() if applied[key] != expected[key])
    duplicates = sum(chaos_sink.deliveries[key] - 1 for key in expected if key in applied)
    most = max((chaos_sink.deliveries[key] for key in expected), default=0)
    total = time.monotonic() - began
    print(
        f"\n[crash/{probe.backend}] seed={SEED} runs={RUNS} kills={kills} "
        f"(of ready workers: {kills_of_ready}) in {kill_seconds:.1f}s; "
        f"{finished_at_kill_end} runs finished during the kills; rest finished in "
        f"{finish_seconds:.1f}s; effects={len(expected)} duplicate deliveries={duplicates} "
        f"(most for one key: {most}); lease expirations={lease_expirations} "
        f"(most for one step: {most_losses}); "
        f"total {total:.1f}s; worker warnings: {dict(warnings)}"
    )

    assert problems == [], "\n".join(problems[:20])
    assert watch.flips == []
    assert watch.stuck == [], "\n".join(watch.stuck[:20])
    assert missing == [] and unexpected == [] and wrong == [], (missing, unexpected, wrong)
    assert chaos_sink.conflicts == []
    assert duplicates <= kills
    assert duplicates <= lease_expirations  # each repeat follows a lost lease, none comes free
