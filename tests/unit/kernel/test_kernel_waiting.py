"""Waiting on several events, and pausing unless told to stop."""

from __future__ import annotations

import asyncio
import random

from flowwright.kernel.waiting import Backoff, first_of, pause, supervised


async def test_first_of_returns_when_any_event_is_set_and_leaves_no_waiter_behind() -> None:
    a, b = asyncio.Event(), asyncio.Event()
    before = len(asyncio.all_tasks())
    waiting = asyncio.create_task(first_of(a, b))
    await asyncio.sleep(0)
    assert not waiting.done()

    b.set()
    await asyncio.wait_for(waiting, 5)

    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before
    assert not a.is_set()


async def test_pause_ends_early_when_stop_is_set() -> None:
    stop = asyncio.Event()
    pausing = asyncio.create_task(pause(stop, 3600))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(pausing, 5)
    assert pausing.done() and pausing.exception() is None


def test_backoff_doubles_up_to_its_ceiling_with_jitter_and_starts_over_after_a_success() -> None:
    backoff = Backoff(first=0.1, ceiling=1.0, rng=random.Random(7))

    delays = [backoff.failed() for _ in range(6)]

    for delay, full in zip(delays, [0.1, 0.2, 0.4, 0.8, 1.0, 1.0], strict=True):
        assert full / 2 <= delay <= full
    backoff.succeeded()
    assert 0.05 <= backoff.failed() <= 0.1


async def test_supervised_starts_a_failing_loop_again_until_it_ends_well() -> None:
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise ConnectionError("lost")

    await asyncio.wait_for(supervised("flaky", flaky, asyncio.Event(), first=0.01), 5)

    assert runs == 3


async def test_supervised_stops_starting_a_loop_again_once_told_to_stop() -> None:
    stop = asyncio.Event()

    async def broken() -> None:
        stop.set()
        raise RuntimeError("bug")

    await asyncio.wait_for(supervised("broken", broken, stop, first=3600), 5)
