"""Terminates a PostgreSQL database's connections at random instants, as a failing server or a
restarted pooler would: ``pg_terminate_backend`` on every backend of the database or, one round
in ``one_in``, on one of them, every ``low``-``high`` seconds until stopped.

It works from its own connection to the server's maintenance database, so it never kills itself,
and spares nothing of the test's database: the workers' pools, their LISTEN connections and the
test process's own connections all go.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import asyncpg

from flowwright.kernel.waiting import pause
from testkit import connect_admin

BACKENDS = (
    "SELECT pid, query LIKE 'LISTEN%' AS listening FROM pg_stat_activity"
    " WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


@dataclass
class Terminator:
    database: str
    rng: random.Random
    low: float = 0.05
    high: float = 0.4
    one_in: int = 4
    rounds: int = 0
    terminated: int = 0
    listeners_terminated: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def __aenter__(self) -> Terminator:
        self._task = asyncio.create_task(self._run(await connect_admin()))
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self, connection: asyncpg.Connection) -> None:
        try:
            while True:
                await pause(self._stop, self.rng.uniform(self.low, self.high))
                if self._stop.is_set():
                    return
                await self._round(connection)
        finally:
            await connection.close()

    async def _round(self, connection: asyncpg.Connection) -> None:
        backends = await connection.fetch(BACKENDS, self.database)
        if not backends:
            return
        if self.rng.randrange(self.one_in) == 0:
            backends = [self.rng.choice(backends)]
        listening = {backend["pid"] for backend in backends if backend["listening"]}
        terminated = await connection.fetch(
            "SELECT pid FROM unnest($1::int[]) AS backend(pid) WHERE pg_terminate_backend(pid)",
            [backend["pid"] for backend in backends],
        )
        self.rounds += 1
        self.terminated += len(terminated)
        self.listeners_terminated += sum(1 for row in terminated if row["pid"] in listening)


async def listening_backends(database: str) -> int:
    """How many connections of ``database`` are LISTENing (each worker keeps one)."""
    connection = await connect_admin()
    try:
        rows = await connection.fetch(BACKENDS, database)
    finally:
        await connection.close()
    return sum(1 for row in rows if row["listening"])
