"""Waiting on several things at once, and backing off after failures, as long-running loops
(workers, relays, listeners) do."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)


async def first_of(*events: asyncio.Event) -> None:
    """Return as soon as any of ``events`` is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


@dataclass
class Backoff:
    """How long a loop waits after each of consecutive failures: ``first`` seconds, doubling up
    to ``ceiling``, each delay shortened at random by up to half so that the processes that one
    outage failed together do not all come back at the same instant. ``succeeded`` starts over.
    """

    first: float
    ceiling: float
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def failed(self) -> float:
        """Count a failure; the delay before the next attempt."""
        delay = min(self.ceiling, self.first * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return delay * self.rng.uniform(0.5, 1.0)

    def succeeded(self) -> None:
        self.failures = 0


async def supervised(
    name: str, loop: Callable[[], Awaitable[None]], stop: asyncio.Event, *, first: float = 1.0
) -> None:
    """Run ``loop`` until ``stop`` is set, starting it again, after a growing pause, whenever it
    ends with an error. Each loop handles the failures it expects (an unreachable database)
    itself; this keeps anything else that escapes one loop from ending the process's other
    loops with it."""
    backoff = Backoff(first=first, ceiling=60.0)
    clock = asyncio.get_running_loop()
    while not stop.is_set():
        started = clock.time()
        try:
            await loop()
            return
        except Exception:
            if clock.time() - started > backoff.ceiling:
                backoff.succeeded()  # it had run well for a while: this is a new failure
            delay = backoff.failed()
            log.exception("loop failed; starting it again", loop=name, retry_in=round(delay, 3))
            await pause(stop, delay)
