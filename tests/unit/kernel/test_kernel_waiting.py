"""Waiting on several events, and pausing unless told to stop."""

from __future__ import annotations

import asyncio

from flowwright.kernel.waiting import first_of, pause


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
