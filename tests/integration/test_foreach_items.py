"""A foreach's items are written once, out of its state, when they are large: its state is
written again each time an iteration starts or ends, which would write them over and over."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flowwright.bootstrap import Container
from flowwright.workflow.adapters.run_tables import run_payloads, run_steps
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Succeeded
from flowwright.workflow.domain.runs.status import RunStatus
from workflow_helpers import first_tenant, lease_http

EACH = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: each}
inputs: {names: {type: array, required: true}}
outputs: {greetings: "${{ steps.greet.output }}"}
steps:
  - id: greet
    type: foreach
    items: ${{ inputs.names }}
    max_concurrency: 2
    steps:
      - id: call
        type: http
        url: "https://api.example.com/hello"
      - {id: say, type: transform, needs: [call], output: "hi ${{ item }}"}
"""

NAMES = [f"name-{index:03d}-" + "x" * 100 for index in range(200)]  # about 22 kB


@pytest.fixture
async def two_processes(
    two_containers: tuple[Container, Container],
) -> tuple[Container, Container, Caller]:
    one, two = two_containers
    return one, two, await first_tenant(one, EACH)


async def test_large_items_are_written_once_and_read_back_by_other_processes(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    one, two, caller = two_processes
    run_id = (await one.run_engine.start_run(caller, "each", inputs={"names": NAMES})).state.run_id

    # The iterations' http steps go through both processes, so each reads the run from the
    # database, the foreach's items included, as often as it writes it.
    for turn in range(len(NAMES)):
        process = (one, two)[turn % 2]
        leases = await lease_http(process, owner=f"worker-{turn % 2}", limit=1)
        if not leases:
            break
        [lease] = leases
        done = await process.run_engine.complete(
            caller.tenant_id, run_id, lease.key, lease.fencing, Succeeded({"status": 200})
        )
        assert done.recorded

    run = await two.run_engine.get(caller, run_id)
    assert run.status is RunStatus.SUCCEEDED, (run.reason, run.error)
    assert run.outputs == {"greetings": [f"hi {name}" for name in NAMES]}
    async with one.session_factory() as session:
        stored = (
            await session.execute(
                select(run_steps.c.state).where(
                    run_steps.c.run_id == run_id, run_steps.c.key == "greet"
                )
            )
        ).scalar_one()
        payloads = (
            (
                await session.execute(
                    select(run_payloads.c.size).where(run_payloads.c.run_id == run_id)
                )
            )
            .scalars()
            .all()
        )
    assert "items" not in stored and "items_ref" in stored
    assert "results" not in stored  # read from the iterations at the end
    assert len(payloads) == 1  # the items, once, however often the foreach was written
