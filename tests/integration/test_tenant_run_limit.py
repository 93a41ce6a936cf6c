"""A tenant's limit on active runs, on the real databases: starts over the limit wait as queued
and are promoted once a slot is free; other tenants' runs do not count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowwright.bootstrap import Container, build_container
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.status import RunStatus
from testkit import test_settings as settings_for
from workflow_helpers import first_tenant

REVIEW = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: review}
steps:
  - {id: look, type: approval, message: Ship it?}
"""


@pytest.fixture
async def limited(migrated_url: str, tmp_path: Path) -> AsyncIterator[tuple[Container, Caller]]:
    container = build_container(settings_for(migrated_url, tmp_path, tenant_max_active_runs=2))
    caller = await first_tenant(container, REVIEW)
    try:
        yield container, caller
    finally:
        await container.aclose()


async def test_starts_over_the_limit_queue_until_a_slot_is_free(
    limited: tuple[Container, Caller],
) -> None:
    container, caller = limited
    engine = container.run_engine

    first, second, third = [
        (await engine.start_run(caller, "review", inputs={})).state for _ in range(3)
    ]

    assert (first.status, second.status) == (RunStatus.WAITING, RunStatus.WAITING)
    queued = await engine.get(caller, third.run_id)
    assert queued.status is RunStatus.QUEUED
    assert queued.reason is not None and "concurrent run limit" in queued.reason
    assert not await engine.promote(caller.tenant_id, third.run_id)

    await engine.decide(caller, first.run_id, "look", approved=True, comment=None)

    assert await engine.promote(caller.tenant_id, third.run_id)
    assert (await engine.get(caller, third.run_id)).status is RunStatus.WAITING
