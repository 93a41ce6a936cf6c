"""The queue's questions (which steps are ready, due, leased too long) are answered from its
partial indexes, which hold only such steps, on both databases.

Each statement the queue sends is captured as it runs and explained again with the same
parameters. PostgreSQL is told not to scan tables sequentially while it explains, so a plan
names an index whenever one can serve the statement: a condition that does not imply the
index's own (a status as a bound parameter) would show a plan without it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from flowwright.bootstrap import Container
from testkit import EmptyDatabase
from workflow_helpers import first_tenant, lease_http

CALLS = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: calls}
steps:
  - {id: call, type: http, url: "https://api.example.com/"}
"""


class Captured:
    """The statements of ``container``'s engine that read ``run_steps``, with their parameters."""

    def __init__(self, container: Container) -> None:
        self.statements: list[tuple[str, Any]] = []
        event.listen(container.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "run_steps" in statement and not statement.lstrip().startswith("INSERT"):
            self.statements.append((statement, parameters))


async def _plan(container: Container, backend: str, statement: str, parameters: Any) -> str:
    async with container.engine.connect() as connection:
        if backend == "sqlite":
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # this transaction
        rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("call", "index"),
    [
        ("lease", "ix_run_steps_ready"),
        ("due_timers", "ix_run_steps_waiting"),
        ("expired_leases", "ix_run_steps_leased"),
    ],
)
async def test_the_queue_reads_steps_through_its_partial_indexes(
    two_containers: tuple[Container, Container],
    empty_database: EmptyDatabase,
    call: str,
    index: str,
) -> None:
    container, _ = two_containers
    caller = await first_tenant(container, CALLS)
    await container.run_engine.start_run(caller, "calls", inputs={})
    captured = Captured(container)
    now = container.clock.now()

    if call == "lease":
        leases = await lease_http(container, owner="w1", limit=4)
        assert len(leases) == 1
    elif call == "due_timers":
        await container.run_queue.due_timers(now, 10)
    else:
        later = now + timedelta(minutes=5)
        assert len(await container.run_queue.expired_leases(later, 10)) == 0

    status = {"lease": "ready", "due_timers": "waiting", "expired_leases": "running"}[call]
    asking = [(s, p) for s, p in captured.statements if f"status = '{status}'" in s]
    assert asking, captured.statements  # the status is written out, as the index's is
    for statement, parameters in asking:
        plan = await _plan(container, empty_database.backend, statement, parameters)
        assert index in plan, (statement, plan)
