"""Each process keeps the steps of the runs it last committed, and reuses them only while no
other process has changed the run.

Two containers on one database stand for two processes: each has its own engine and cache.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from flowwright.bootstrap import Container
from flowwright.workflow.application import run_queries
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Succeeded
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus
from workflow_helpers import first_tenant, lease_http

TWO_REVIEWS = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: two-reviews}
steps:
  - {id: first, type: approval, message: First look?}
  - {id: note, type: transform, needs: [first], output: "${{ steps.first.output.comment }}"}
  - {id: second, type: approval, needs: [note], message: "Second look at ${{ steps.note.output }}?"}
outputs:
  notes: ["${{ steps.note.output }}", "${{ steps.second.output.comment }}"]
"""

BIG_NOTE = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: big-note}
inputs: {text: {type: string, required: true}}
steps:
  - {id: note, type: transform, output: "${{ inputs.text }}"}
  - {id: look, type: approval, needs: [note], message: Fine?}
"""

TWO_CALLS = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: two-calls}
steps:
  - {id: left, type: http, url: "https://left.example.com/"}
  - {id: right, type: http, url: "https://right.example.com/"}
outputs:
  both: ["${{ steps.left.output }}", "${{ steps.right.output }}"]
"""


class StepReads:
    """Counts the statements that read all of a run's step rows, as loading a run does."""

    def __init__(self, container: Container) -> None:
        self.count = 0
        event.listen(container.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "run_steps.output_ref" in statement:
            self.count += 1


@pytest.fixture
async def two_processes(
    two_containers: tuple[Container, Container],
) -> tuple[Container, Container, Caller]:
    one, two = two_containers
    return one, two, await first_tenant(one, TWO_REVIEWS, TWO_CALLS, BIG_NOTE)


async def test_a_transition_reuses_the_steps_its_process_committed(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    one, _, caller = two_processes
    started = await one.run_engine.start_run(caller, "two-reviews", inputs={})
    reads = StepReads(one)

    await one.run_engine.decide(caller, started.state.run_id, "first", approved=True, comment="a")

    assert reads.count == 0  # the steps came from the start's commit
    run = await one.run_engine.get(caller, started.state.run_id)
    assert run.instances["second"].status is StepStatus.WAITING


async def test_steps_changed_by_another_process_are_read_again(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    one, two, caller = two_processes
    run_id = (await one.run_engine.start_run(caller, "two-reviews", inputs={})).state.run_id
    reads = StepReads(one)

    # The other process moves the run on: its first approval, the transform, a second wait.
    await two.run_engine.decide(caller, run_id, "first", approved=True, comment="from two")
    # This process's cache still holds the run as its start left it, waiting on "first".
    await one.run_engine.decide(caller, run_id, "second", approved=True, comment="from one")

    assert reads.count >= 1
    run = await one.run_engine.get(caller, run_id)
    assert run.status is RunStatus.SUCCEEDED, (run.reason, run.error)
    assert run.outputs == {"notes": ["from two", "from one"]}


async def test_a_lease_pass_of_the_process_keeps_its_cached_steps_current(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    one, _, caller = two_processes
    run_id = (await one.run_engine.start_run(caller, "two-calls", inputs={})).state.run_id
    reads = StepReads(one)
    leases = await lease_http(one, owner="worker-1", limit=10)
    for lease in leases:
        done = await one.run_engine.complete(
            caller.tenant_id, run_id, lease.key, lease.fencing, Succeeded(lease.key)
        )
        assert done.recorded

    assert sorted(lease.key for lease in leases) == ["left", "right"]
    assert reads.count == 0
    run = await one.run_engine.get(caller, run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.outputs == {"both": ["left", "right"]}
    _, history = await run_queries.history(caller, one.workflows, run_id)
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    started = [entry.step_key for entry in history if entry.type == "step_started"]
    assert sorted(started) == ["left", "right"]


async def test_a_run_with_an_output_stored_out_of_line_is_not_kept(
    two_processes: tuple[Container, Container, Caller],
) -> None:
    one, _, caller = two_processes
    inputs = {"text": "x" * 70_000}
    run_id = (await one.run_engine.start_run(caller, "big-note", inputs=inputs)).state.run_id
    reads = StepReads(one)

    await one.run_engine.decide(caller, run_id, "look", approved=True, comment=None)

    assert reads.count == 1  # read again: its 70 kB output was not kept in memory
    run = await one.run_engine.get(caller, run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.instances["note"].output == inputs["text"]
