"""A worker role served as if in another process than the API that starts runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.role_names import Role
from flowwright.entrypoints.roles import serve
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.status import RunStatus
from sink import Sink
from testkit import test_settings as settings_for
from workflow_helpers import first_tenant

# Two calls to the sink: the first is ready when the run starts, the second when it succeeded.
CALL = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: ping}
steps:
  - {id: call, type: http, method: POST, url: "%s", body: {n: 1}}
  - {id: again, type: http, needs: [call], method: POST, url: "%s", body: {n: 2}}
"""


@asynccontextmanager
async def api_and_worker(
    url: str, data: Path, sink: Sink, *sources: str
) -> AsyncIterator[tuple[Container, Container, Caller]]:
    """Two containers on one database, both allowed to call ``sink``: an API, and a worker
    whose poll is a minute long; with the first tenant's owner, for whom ``ping`` (calling
    ``sink``) and ``sources`` are published."""
    allowed = [f"127.0.0.1:{sink.port}"]
    api = build_container(settings_for(url, data / "api", http_allowed_hosts=allowed))
    worker = build_container(
        settings_for(url, data / "worker", http_allowed_hosts=allowed, worker_poll_seconds=60)
    )
    try:
        ping = CALL % (f"{sink.url}/ok/elsewhere-1", f"{sink.url}/ok/elsewhere-2")
        yield api, worker, await first_tenant(api, ping, *sources)
    finally:
        await api.aclose()
        await worker.aclose()


async def run_started_elsewhere(
    api: Container, worker: Container, caller: Caller, workflow: str, listening: asyncio.Event
) -> None:
    """Serve ``worker``'s role, wait for its listener (``listening``), start ``workflow``
    through ``api``, and return once the run succeeded: within 20 s, far below a worker poll
    of 60 s, so only the listener can have woken it."""
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(worker, Role.WORKER, stop=stop))
    try:
        async with asyncio.timeout(10):
            await listening.wait()
        await asyncio.sleep(0.5)  # the worker's first passes are over; it now sleeps for 60 s
        run_id = (await api.run_engine.start_run(caller, workflow, inputs={})).state.run_id
        async with asyncio.timeout(20):
            # The API's process has no signal from the worker's: it reads, as a client would.
            while (await api.run_engine.get(caller, run_id)).status is not RunStatus.SUCCEEDED:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await serving
