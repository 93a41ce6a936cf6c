"""Each process keeps the steps of the runs it last committed, and reuses them only while no
other process has changed the run.

Two containers on one database stand for two processes: each has its own engine and cache.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from flowwright.bootstrap import Container, build_container
from flowwright.migrations import runner
from flowwright.tenancy.application.first_run import ensure_first_run
from flowwright.workflow.application import versions
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus
from testkit import EmptyDatabase
from testkit import test_settings as settings_for

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


class StepReads:
    """Counts the statements that read a run's step rows."""

    def __init__(self, container: Container) -> None:
        self.count = 0
        event.listen(container.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM run_steps" in statement:
            self.count += 1


@pytest.fixture
def database_url(empty_database: EmptyDatabase) -> str:
    runner.upgrade(empty_database.url)
    return empty_database.url


@pytest.fixture
async def two_processes(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Container, Container, Caller]]:
    one = build_container(settings_for(database_url, tmp_path / "one"))
    two = build_container(settings_for(database_url, tmp_path / "two"))
    credentials = await ensure_first_run(
        uow_factory=one.tenancy, hasher=one.hasher, clock=one.clock
    )
    assert credentials is not None
    caller = Caller(credentials.tenant_id, None, "owner")
    await versions.push(
        textwrap.dedent(TWO_REVIEWS),
        caller=caller,
        uow_factory=one.workflows,
        installation=one.installation,
        clock=one.clock,
    )
    try:
        yield one, two, caller
    finally:
        await one.aclose()
        await two.aclose()


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
