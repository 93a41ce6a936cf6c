"""Migrations upgrade an empty database to head, match the models, and downgrade back to empty."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import flowwright.tables  # noqa: F401  (registers every table)
from flowwright.kernel.adapters.database import create_engine
from flowwright.kernel.adapters.metadata import metadata
from flowwright.migrations import runner
from testkit import EmptyDatabase


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        finally:
            await engine.dispose()
        return set(names) - {"alembic_version"}

    return asyncio.run(read())


def _drift(url: str) -> list[object]:
    async def read() -> list[object]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


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
