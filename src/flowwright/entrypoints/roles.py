"""The background roles and the server: api, worker, scheduler, or all in one process.

- api: the HTTP server.
- worker: executes workflow steps (leases, timers, recovery) and delivers outbox events.
- scheduler: periodic housekeeping (purging delivered outbox rows; cron triggers join it later).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

import structlog
import uvicorn

from flowwright.bootstrap import Container
from flowwright.entrypoints.api.app import create_app
from flowwright.entrypoints.role_names import Role
from flowwright.kernel.adapters.database import is_sqlite
from flowwright.kernel.waiting import supervised

log = structlog.get_logger(__name__)


async def run_worker(
    container: Container, stop: asyncio.Event, *, other_processes: bool = True
) -> None:
    """``other_processes``: whether other processes may make work for this one (then it listens
    for their commits, if its database offers a way)."""
    log.info("worker started")
    worker = container.worker()
    loops = [
        supervised("outbox relay", lambda: container.relay.run(stop), stop),
        supervised("engine worker", lambda: worker.run(stop), stop),
    ]
    listener = container.work_listener
    if listener is not None and other_processes:
        signals = container.run_engine.signals
        loops.append(supervised("work listener", lambda: listener.listen(signals.work, stop), stop))
    await asyncio.gather(*loops)


async def run_scheduler(container: Container, stop: asyncio.Event, *, every: float = 60.0) -> None:
    log.info("scheduler started")
    retention = timedelta(hours=container.settings.outbox_retention_hours)
    while not stop.is_set():
        try:
            purged = await container.outbox_store.purge_delivered(
                older_than=container.clock.now() - retention
            )
            if purged:
                log.info("purged delivered outbox events", count=purged)
        except Exception as exc:
            log.warning("scheduler pass failed", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def run_api(container: Container, stop: asyncio.Event) -> None:
    settings = container.settings
    config = uvicorn.Config(
        create_app(container),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # Signals are handled once for all roles by serve(); uvicorn must not capture them itself.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving


_RUNNERS: dict[Role, Callable[[Container, asyncio.Event], Coroutine[Any, Any, None]]] = {
    Role.API: run_api,
    Role.WORKER: run_worker,
    Role.SCHEDULER: run_scheduler,
}


async def serve(container: Container, role: Role, *, stop: asyncio.Event | None = None) -> None:
    """Run the given role(s) until SIGINT/SIGTERM or ``stop`` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
            loop.add_signal_handler(sig, stop.set)
    runners = dict(_RUNNERS)
    if role is Role.ALL and is_sqlite(container.settings.resolved_database_url):
        # The installation's one process on SQLite: its own commits wake its worker already,
        # and watching the file for others' would cost every commit a second look.
        runners[Role.WORKER] = partial(run_worker, other_processes=False)
    roles = list(runners) if role is Role.ALL else [role]
    tasks = [asyncio.create_task(runners[r](container, stop), name=r.value) for r in roles]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await container.aclose()
