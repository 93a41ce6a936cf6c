"""Leasing shares the workers between tenants and respects each tenant's cap on running steps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from flowwright.kernel.adapters.database import SYSTEM, apply_scope, create_engine
from flowwright.kernel.ids import new_id
from flowwright.migrations import runner
from flowwright.tenancy.adapters.tables import tenants
from flowwright.workflow.adapters.run_queue import SqlRunQueue
from flowwright.workflow.adapters.run_tables import run_steps, runs
from testkit import EmptyDatabase

ROLE = "flowwright_app"
NOW = datetime.now(UTC)


@pytest.fixture
async def engine(empty_database: EmptyDatabase) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(runner.upgrade, empty_database.url)
    engine = create_engine(empty_database.url)
    yield engine
    await engine.dispose()


async def _ready_steps(
    engine: AsyncEngine,
    tenant: str,
    count: int,
    *,
    status: str = "ready",
    age: timedelta = timedelta(0),
) -> None:
    async with engine.begin() as connection:
        await apply_scope(connection, SYSTEM, ROLE)
        await connection.execute(
            insert(tenants).values(
                id=tenant, slug=tenant, name=tenant, status="active", created_at=NOW
            )
        )
        run_id = new_id()
        await connection.execute(
            insert(runs).values(
                id=run_id,
                tenant_id=tenant,
                workflow_id="w",
                workflow_name="w",
                version_id="v",
                version=1,
                status="running",
                inputs={},
                vars={},
                state={},
                trigger="api",
                created_at=NOW,
                updated_at=NOW,
                history_seq=0,
            )
        )
        await connection.execute(
            insert(run_steps),
            [
                {
                    "id": new_id(),
                    "tenant_id": tenant,
                    "run_id": run_id,
                    "key": f"s{i}",
                    "step_id": f"s{i}",
                    "step_type": "http",
                    "scope_key": "",
                    "status": status,
                    "attempt": 0,
                    "lease_losses": 0,
                    "fencing": 0,
                    "ready_at": NOW - age,
                    "state": {},
                    "handled": False,
                }
                for i in range(count)
            ],
        )


async def test_a_tenants_backlog_does_not_starve_another(engine: AsyncEngine) -> None:
    # The noisy tenant's 200 steps were ready long before the quiet tenant's single step.
    await _ready_steps(engine, "noisy", 200, age=timedelta(minutes=10))
    await _ready_steps(engine, "quiet", 1)
    queue = SqlRunQueue(async_sessionmaker(engine), ROLE)
    leases = await queue.lease(
        owner="w1",
        now=NOW,
        until=NOW + timedelta(seconds=30),
        limit=8,
        types=frozenset({"http"}),
        tenant_step_cap=100,
    )
    assert len(leases) == 8
    assert [lease.tenant_id for lease in leases].count("quiet") == 1


async def test_a_tenant_at_its_cap_gets_no_more_steps(engine: AsyncEngine) -> None:
    await _ready_steps(engine, "busy", 5, status="running")
    await _ready_steps(engine, "capped", 10)
    queue = SqlRunQueue(async_sessionmaker(engine), ROLE)
    await _ready_steps(engine, "other", 3)
    leases = await queue.lease(
        owner="w1",
        now=NOW,
        until=NOW + timedelta(seconds=30),
        limit=20,
        types=frozenset({"http"}),
        tenant_step_cap=4,
    )
    by_tenant = [lease.tenant_id for lease in leases]
    assert by_tenant.count("capped") == 4
    assert by_tenant.count("other") == 3
    again = await queue.lease(
        owner="w2",
        now=NOW,
        until=NOW + timedelta(seconds=30),
        limit=20,
        types=frozenset({"http"}),
        tenant_step_cap=4,
    )
    assert again == []  # capped is at its cap now; other has nothing left


async def test_leasing_raises_the_fencing_token(engine: AsyncEngine) -> None:
    await _ready_steps(engine, "t", 1)
    queue = SqlRunQueue(async_sessionmaker(engine), ROLE)
    (lease,) = await queue.lease(
        owner="w1",
        now=NOW,
        until=NOW + timedelta(seconds=30),
        limit=1,
        types=frozenset({"http"}),
        tenant_step_cap=10,
    )
    assert lease.fencing == 1 and lease.attempt == 1
    assert await queue.renew(lease, NOW + timedelta(minutes=1)) is True
    stale = type(lease)(**{**lease.__dict__, "fencing": 0})
    assert await queue.renew(stale, NOW + timedelta(minutes=1)) is False
