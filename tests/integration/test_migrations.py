"""Migrations upgrade an empty database to head, match the models, and downgrade back to empty."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

import flowwright.tables  # noqa: F401  (registers every table)
from flowwright.kernel.adapters.database import create_engine
from flowwright.kernel.adapters.metadata import metadata
from flowwright.migrations import runner
from testkit import EmptyDatabase

T = TypeVar("T")


def _on(url: str, work: Callable[[Connection], T]) -> T:
    """``work`` on a connection to ``url``, in one transaction, then the engine closed."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    return _on(url, lambda sync: set(inspect(sync).get_table_names()) - {"alembic_version"})


def _drift(url: str) -> list[object]:
    return _on(url, lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))


def test_upgrade_from_empty_creates_every_table(empty_database: EmptyDatabase) -> None:
    runner.upgrade(empty_database.url)
    assert _tables(empty_database.url) == set(metadata.tables)


def test_migrations_match_the_models(empty_database: EmptyDatabase) -> None:
    runner.upgrade(empty_database.url)
    assert _drift(empty_database.url) == []


def test_downgrade_returns_to_empty_and_upgrade_again_works(empty_database: EmptyDatabase) -> None:
    runner.upgrade(empty_database.url)
    runner.downgrade(empty_database.url, "base")
    assert _tables(empty_database.url) == set()
    runner.upgrade(empty_database.url)
    assert _tables(empty_database.url) == set(metadata.tables)


def test_readiness_knows_whether_migrations_are_current(empty_database: EmptyDatabase) -> None:
    async def current() -> bool:
        engine = create_engine(empty_database.url)
        try:
            return await runner.is_current(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(current()) is False
    runner.upgrade(empty_database.url)
    assert asyncio.run(current()) is True


def _sql(url: str, *statements: str) -> list[list[tuple[object, ...]]]:
    """Run ``statements`` in one transaction; the rows each returned."""

    def run(sync: Connection) -> list[list[tuple[object, ...]]]:
        results = [sync.execute(text(statement)) for statement in statements]
        return [[tuple(row) for row in r] if r.returns_rows else [] for r in results]

    return _on(url, run)


HISTORY = "SELECT run_id, seq, type, data FROM run_history ORDER BY run_id, seq"


def test_run_history_keeps_its_entries_across_the_change_of_its_key(
    empty_database: EmptyDatabase,
) -> None:
    url = empty_database.url
    runner.upgrade(url, "0005")
    now = "'2026-12-07 06:00:00+00:00'"
    _sql(
        url,
        "INSERT INTO tenants (id, slug, name, status, created_at)"
        f" VALUES ('t', 't', 't', 'active', {now})",
        "INSERT INTO runs (id, tenant_id, workflow_id, workflow_name, version_id, version, status,"
        " inputs, vars, state, trigger, created_at, updated_at, history_seq) VALUES"
        " ('r', 't', 'w', 'w', 'v', 1, 'running', '{}', '{}', '{}', 'manual',"
        f" {now}, {now}, 2)",
        "INSERT INTO run_history (id, tenant_id, run_id, seq, type, data, at) VALUES"
        f" ('h1', 't', 'r', 1, 'run_started', '{{}}', {now}),"
        f" ('h2', 't', 'r', 2, 'step_scheduled', '{{\"n\": 1}}', {now})",
    )
    [before] = _sql(url, HISTORY)

    runner.upgrade(url)
    [after] = _sql(url, HISTORY)
    assert after == before
    assert _drift(url) == []

    runner.downgrade(url, "0005")
    [downgraded, ids] = _sql(url, HISTORY, "SELECT id FROM run_history")
    assert downgraded == before
    assert len({row[0] for row in ids}) == 2
    assert all(isinstance(row[0], str) and len(row[0]) == 36 for row in ids)
