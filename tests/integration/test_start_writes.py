"""A start that runs its whole workflow writes the run, its payloads, steps, history and
finished event at once: one statement on PostgreSQL, one table after the other on SQLite, and
nothing of it is lost either way."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, select

from flowwright.bootstrap import Container
from flowwright.kernel.adapters.outbox_table import outbox
from flowwright.workflow.adapters.run_store import INLINE_OUTPUT_BYTES
from flowwright.workflow.adapters.run_tables import run_payloads
from flowwright.workflow.application import run_queries
from flowwright.workflow.domain.events import RunFinished
from flowwright.workflow.domain.runs.status import RunStatus
from testkit import EmptyDatabase
from workflow_helpers import first_tenant

LONG_NOTE = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: long-note}
inputs: {text: {type: string, required: true}}
steps:
  - {id: note, type: transform, output: "${{ inputs.text }}"}
  - {id: size, type: transform, needs: [note], output: "${{ len(steps.note.output) }}"}
outputs: {note: "${{ steps.note.output }}", size: "${{ steps.size.output }}"}
"""

TABLES = ("runs", "run_payloads", "run_steps", "run_history", "outbox")


def _inserts(container: Container) -> list[str]:
    statements: list[str] = []

    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "INSERT INTO" in statement:
            statements.append(statement)

    event.listen(container.engine.sync_engine, "before_cursor_execute", _seen)
    return statements


def _tables(statement: str) -> list[str]:
    words = statement.replace("(", " ").split()
    return [words[i + 2] for i, word in enumerate(words[:-2]) if words[i + 1] == "INTO"]


async def test_a_run_ended_by_its_start_is_written_at_once_and_read_back_whole(
    two_containers: tuple[Container, Container], empty_database: EmptyDatabase
) -> None:
    container, other = two_containers
    caller = await first_tenant(container, LONG_NOTE)
    text = "ü" * INLINE_OUTPUT_BYTES  # stored out of line: too large for its step's row
    inserts = _inserts(container)

    started = await container.run_engine.start_run(caller, "long-note", inputs={"text": text})

    run = started.state
    assert run.status is RunStatus.SUCCEEDED, (run.reason, run.error)
    written = [_tables(statement) for statement in inserts]
    if empty_database.backend == "sqlite":
        assert written == [[table] for table in TABLES]
    else:
        assert written == [list(TABLES)]  # one statement, every table in it
    # Another process reads everything back: the large output, the history, the event.
    again = await other.run_engine.get(caller, run.run_id)
    assert again.outputs == {"note": text, "size": len(text)}
    assert again.instances["note"].output == text
    _, history = await run_queries.history(caller, other.workflows, run.run_id)
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    assert (history[0].type, history[-1].type) == ("run_started", "run_finished")
    async with other.session_factory() as session:
        payloads = (
            await session.execute(
                select(run_payloads.c.size).where(run_payloads.c.run_id == run.run_id)
            )
        ).all()
        events = (await session.execute(select(outbox.c.name, outbox.c.payload))).all()
    assert [row.size for row in payloads] == [len(json.dumps(text, separators=(",", ":")))]
    finished = [payload for name, payload in events if name == RunFinished.name]
    assert [(p["run_id"], p["status"]) for p in finished] == [(run.run_id, "succeeded")]


async def test_a_start_with_an_idempotency_key_still_gives_one_run(
    two_containers: tuple[Container, Container],
) -> None:
    container, other = two_containers
    caller = await first_tenant(container, LONG_NOTE)
    inputs = {"text": "short"}

    first = await container.run_engine.start_run(
        caller, "long-note", inputs=inputs, idempotency_key="once"
    )
    second = await other.run_engine.start_run(
        caller, "long-note", inputs=inputs, idempotency_key="once"
    )

    assert first.created and not second.created
    assert second.state.run_id == first.state.run_id
    assert second.state.outputs == {"note": "short", "size": 5}
