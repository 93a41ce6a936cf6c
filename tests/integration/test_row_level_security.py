"""On PostgreSQL, row-level security is a second wall: a tenant-scoped transaction that forgets its
``WHERE tenant_id = ...`` still sees and writes only its own tenant's rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from flowwright.kernel.adapters.database import SYSTEM, apply_scope, create_engine, tenant_scope
from flowwright.kernel.adapters.metadata import TENANT_OWNED_TABLES
from flowwright.migrations import runner
from testkit import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.postgres
ROLE = "flowwright_app"


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    url = await asyncio.to_thread(create_postgres_database)
    await asyncio.to_thread(runner.upgrade, url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await apply_scope(connection, SYSTEM, ROLE)
        for tenant in ("ta", "tb"):
            await connection.execute(
                text(
                    "INSERT INTO tenants (id, slug, name, status, created_at) "
                    "VALUES (:id, :id, :id, 'active', :now)"
                ),
                {"id": tenant, "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, is_admin, disabled, created_at) "
                    "VALUES (:id, :email, 'u', false, false, :now)"
                ),
                {"id": f"u-{tenant}", "email": f"{tenant}@x.test", "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO memberships (id, tenant_id, user_id, role, created_at) "
                    "VALUES (:id, :tenant, :user, 'owner', :now)"
                ),
                {"id": f"m-{tenant}", "tenant": tenant, "user": f"u-{tenant}", "now": now},
            )
    yield engine
    await engine.dispose()
    await asyncio.to_thread(drop_postgres_database, url)


async def test_unfiltered_query_in_tenant_scope_sees_only_that_tenant(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await apply_scope(connection, tenant_scope("ta"), ROLE)
        rows = (await connection.execute(text("SELECT tenant_id FROM memberships"))).all()
    assert [r.tenant_id for r in rows] == ["ta"]


async def test_system_scope_sees_every_tenant(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await apply_scope(connection, SYSTEM, ROLE)
        rows = (await connection.execute(text("SELECT tenant_id FROM memberships"))).all()
    assert sorted(r.tenant_id for r in rows) == ["ta", "tb"]


async def test_writing_another_tenants_row_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await apply_scope(connection, tenant_scope("ta"), ROLE)
        updated = await connection.execute(text("UPDATE memberships SET role = 'viewer'"))
        assert updated.rowcount == 1  # only its own row
    with pytest.raises(DBAPIError, match="row-level security"):
        async with engine.begin() as connection:
            await apply_scope(connection, tenant_scope("ta"), ROLE)
            await connection.execute(
                text(
                    "INSERT INTO memberships (id, tenant_id, user_id, role, created_at) "
                    "VALUES ('m-x', 'tb', 'u-ta', 'owner', now())"
                )
            )


async def test_a_transaction_without_scope_sees_nothing(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(f"SET LOCAL ROLE {ROLE}"))
        rows = (await connection.execute(text("SELECT * FROM memberships"))).all()
    assert rows == []


async def test_every_tenant_owned_table_has_a_policy(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
            )
        ).all()
    assert {r.relname for r in rows} == set(TENANT_OWNED_TABLES)
