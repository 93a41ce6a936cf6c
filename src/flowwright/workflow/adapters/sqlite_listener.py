"""Wake-ups across processes on SQLite: ``PRAGMA data_version`` on a connection of its own.

SQLite has no LISTEN/NOTIFY, but a connection's ``data_version`` changes whenever another
connection commits to the database file: another process's, or this process's pool. Looking at
it costs no lock and no I/O worth the name, so the listener looks every ``interval`` seconds
(20 ms), and only when it changed asks, still without a lock (WAL readers never wait), whether a
step is ready now. Only then does it wake the worker: a commit of this process that made a step
ready has woken it already, and a wake-up with nothing to lease would cost an empty write
transaction. The worker's poll remains the safety net; errors are logged and the listener
carries on after a pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from sqlalchemy import create_engine, exists, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from flowwright.kernel.clock import Clock
from flowwright.kernel.waiting import Backoff, pause
from flowwright.workflow.adapters.run_tables import run_steps, step_is
from flowwright.workflow.domain.runs.status import StepStatus

log = structlog.get_logger(__name__)


class SqliteWorkListener:
    """Satisfies :class:`flowwright.workflow.application.ports.WorkListener`."""

    def __init__(self, database_url: str, clock: Clock, *, interval: float = 0.02) -> None:
        url = make_url(database_url).set(drivername="sqlite")
        # One connection for good: data_version only compares within one connection. It is
        # used from one worker thread at a time, not always the same one.
        self._engine: Engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 5}
        )
        self._clock = clock
        self._interval = interval
        self.watching = asyncio.Event()  # set once the listener has read its first version

    async def listen(self, on_work: Callable[[], None], stop: asyncio.Event) -> None:
        backoff = Backoff(first=0.5, ceiling=10.0)
        loop = asyncio.get_running_loop()
        version: int | None = None

        def wake() -> None:  # runs in the listener's thread; the worker's signal is the loop's
            loop.call_soon_threadsafe(on_work)

        try:
            while not stop.is_set():
                try:
                    version = await asyncio.to_thread(self._look, version, wake)
                except Exception as exc:
                    log.warning("work listener failed; polling meanwhile", error=repr(exc))
                    await pause(stop, backoff.failed())
                    continue
                backoff.succeeded()
                self.watching.set()
                await pause(stop, self._interval)
        finally:
            await asyncio.to_thread(self._engine.dispose)

    def _look(self, seen: int | None, wake: Callable[[], None]) -> int:
        with self._engine.connect() as connection:
            version = int(connection.exec_driver_sql("PRAGMA data_version").scalar_one())
            if seen is not None and version != seen and self._ready_now(connection):
                wake()
            connection.rollback()  # no read transaction stays open to hold back checkpoints
        return version

    def _ready_now(self, connection: Connection) -> bool:
        query = select(
            exists().where(
                step_is(StepStatus.READY),
                run_steps.c.ready_at <= self._clock.now(),
            )
        )
        return bool(connection.execute(query).scalar_one())
