"""A save that writes thousands of rows in one transaction loses none and keeps their order."""

from __future__ import annotations

from sqlalchemy import func, select

from flowwright.bootstrap import Container
from flowwright.workflow.adapters.run_tables import run_history, run_steps
from flowwright.workflow.domain.runs.status import RunStatus
from workflow_helpers import first_tenant

SQUARES = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: squares}
inputs: {numbers: {type: array, required: true}}
outputs: {squares: "${{ steps.each.output }}"}
steps:
  - id: each
    type: foreach
    items: ${{ inputs.numbers }}
    max_concurrency: 100
    steps:
      - {id: square, type: transform, output: "${{ item * item }}"}
"""


async def test_a_run_whose_start_writes_thousands_of_rows_keeps_them_all_in_order(
    two_containers: tuple[Container, Container],
) -> None:
    container, _ = two_containers
    caller = await first_tenant(container, SQUARES)
    numbers = list(range(1_200))

    # Every iteration only computes, so the start's one transaction runs them all and saves
    # each iteration's step rows and history entries at once.
    run = (
        await container.run_engine.start_run(caller, "squares", inputs={"numbers": numbers})
    ).state

    assert run.status is RunStatus.SUCCEEDED, (run.reason, run.error)
    assert run.outputs == {"squares": [number * number for number in numbers]}
    async with container.session_factory() as session:
        steps = (
            await session.execute(
                select(func.count()).select_from(run_steps).where(run_steps.c.run_id == run.run_id)
            )
        ).scalar_one()
        seqs = (
            (
                await session.execute(
                    select(run_history.c.seq)
                    .where(run_history.c.run_id == run.run_id)
                    .order_by(run_history.c.seq)
                )
            )
            .scalars()
            .all()
        )
    assert steps > len(numbers)
    assert len(seqs) > 2 * len(numbers)
    # The history reads back whole: numbered from 1 with no gap.
    assert seqs == list(range(1, len(seqs) + 1))
