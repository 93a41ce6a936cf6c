"""Fixtures of the integration tests: migrated databases and containers that share one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowwright.bootstrap import Container, build_container
from flowwright.migrations import runner
from testkit import EmptyDatabase
from testkit import test_settings as settings_for


@pytest.fixture
def migrated_url(empty_database: EmptyDatabase) -> str:
    """A new database of the test's backend, migrated to the latest schema."""
    runner.upgrade(empty_database.url)
    return empty_database.url


@pytest.fixture
async def two_containers(
    migrated_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Container, Container]]:
    """Two containers on one database, standing for two processes: each has its own engine,
    connections, caches and signals."""
    one = build_container(settings_for(migrated_url, tmp_path / "one"))
    two = build_container(settings_for(migrated_url, tmp_path / "two"))
    try:
        yield one, two
    finally:
        await one.aclose()
        await two.aclose()
