"""Wake-ups across processes on PostgreSQL: LISTEN on the channel that run transitions NOTIFY
when they save a step a worker could lease (see ``SqlRunRepository.save``).

A worker in another process than the API that started a run, or than the worker that completed
the step before, learns of the new work at the commit instead of at its next poll. Polling stays
as the safety net: a notification lost while the listening connection was down is made up by
the poll, and by a wake-up each time the listener connects again. Whatever ends the connection
(a terminated backend fails the LISTEN itself with asyncpg's InterfaceError, not only with OSError
or a PostgresError) is logged and followed by a new connection, never by the end of the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from sqlalchemy.engine import make_url

from flowwright.kernel.waiting import Backoff, first_of, pause
from flowwright.workflow.adapters.run_store import WORK_CHANNEL

log = structlog.get_logger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL URL (``postgresql+asyncpg://`` included)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgWorkListener:
    """Satisfies :class:`flowwright.workflow.application.ports.WorkListener`."""

    def __init__(self, database_url: str, *, retry_seconds: float = 1.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._retry_seconds = retry_seconds
        self.listening = asyncio.Event()  # set while LISTEN is in effect

    async def listen(self, on_work: Callable[[], None], stop: asyncio.Event) -> None:
        backoff = Backoff(first=self._retry_seconds, ceiling=max(self._retry_seconds, 10.0))
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(self._dsn)
            except Exception as exc:
                log.warning("work listener cannot connect; polling meanwhile", error=repr(exc))
                await pause(stop, backoff.failed())
                continue
            lost = asyncio.Event()

            def notified(*_: Any) -> None:
                on_work()

            def terminated(_connection: Any, lost: asyncio.Event = lost) -> None:
                lost.set()

            try:
                connection.add_termination_listener(terminated)
                await connection.add_listener(WORK_CHANNEL, notified)
                self.listening.set()
                backoff.succeeded()
                on_work()  # whatever became ready while nobody was listening
                await first_of(stop, lost)
            except Exception as exc:
                log.warning("work listener lost its connection", error=repr(exc))
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)
            if not stop.is_set():
                await pause(stop, backoff.failed())
