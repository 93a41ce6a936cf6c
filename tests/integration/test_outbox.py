"""The transactional outbox: events exist if and only if their transaction committed, and every
committed event is delivered at least once, even when its producer dies right after the commit."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from flowwright.kernel.adapters.database import SYSTEM, create_engine
from flowwright.kernel.adapters.outbox_store import VISIBILITY_TIMEOUT, SqlOutboxStore
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import FixedClock, SystemClock
from flowwright.kernel.events import DomainEvent, EventEnvelope
from flowwright.kernel.ids import new_id
from flowwright.kernel.messagebus import MessageBus
from flowwright.kernel.outbox import OutboxRelay
from flowwright.migrations import runner
from testkit import EmptyDatabase

ROLE = "flowwright_app"


@dataclass(frozen=True, kw_only=True)
class SomethingHappened(DomainEvent):
    name: ClassVar[str] = "test.SomethingHappened"
    marker: str


@pytest.fixture
async def engine(empty_database: EmptyDatabase) -> AsyncIterator[AsyncEngine]:
    import asyncio

    await asyncio.to_thread(runner.upgrade, empty_database.url)
    engine = create_engine(empty_database.url)
    yield engine
    await engine.dispose()


def _uow(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(
        async_sessionmaker(engine), scope=SYSTEM, clock=SystemClock(), app_role=ROLE
    )


def _relay(
    engine: AsyncEngine, clock: object | None = None
) -> tuple[OutboxRelay, list[EventEnvelope]]:
    bus, seen = MessageBus(), []

    async def record(envelope: EventEnvelope) -> None:
        seen.append(envelope)

    bus.subscribe("*", record)
    store = SqlOutboxStore(async_sessionmaker(engine), ROLE)
    return OutboxRelay(store, bus, clock or SystemClock()), seen  # type: ignore[arg-type]


async def test_event_of_a_rolled_back_transaction_is_never_delivered(engine: AsyncEngine) -> None:
    async with _uow(engine) as uow:
        uow.emit(SomethingHappened(marker="rolled back"))
        # leaving without commit rolls back
    with pytest.raises(RuntimeError):
        async with _uow(engine) as uow:
            uow.emit(SomethingHappened(marker="failed"))
            raise RuntimeError("use case failed")
    relay, seen = _relay(engine)
    assert await relay.relay_once() == 0
    assert seen == []


async def test_committed_event_is_delivered_with_its_payload(engine: AsyncEngine) -> None:
    marker = new_id()
    async with _uow(engine) as uow:
        uow.emit(SomethingHappened(marker=marker, tenant_id="t-1"))
        await uow.commit()
    relay, seen = _relay(engine)
    assert await relay.relay_once() == 1
    assert [(e.name, e.payload, e.tenant_id) for e in seen] == [
        ("test.SomethingHappened", {"marker": marker}, "t-1")
    ]
    assert await relay.relay_once() == 0  # delivered once, then marked


async def test_event_committed_by_a_process_killed_before_delivery_is_delivered(
    engine: AsyncEngine, empty_database: EmptyDatabase
) -> None:
    marker = new_id()
    producer = Path(__file__).with_name("outbox_crash_producer.py")
    result = subprocess.run(
        [sys.executable, str(producer), empty_database.url, marker],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 137, result.stderr
    assert "committed" in result.stdout
    relay, seen = _relay(engine)
    assert await relay.relay_once() == 1
    assert [e.payload["marker"] for e in seen] == [marker]


async def test_relay_killed_after_claiming_leaves_events_for_the_next_relay(
    engine: AsyncEngine,
) -> None:
    async with _uow(engine) as uow:
        uow.emit(SomethingHappened(marker="claimed then lost"))
        await uow.commit()
    clock = FixedClock(SystemClock().now())
    store = SqlOutboxStore(async_sessionmaker(engine), ROLE)
    claimed = await store.claim_pending(now=clock.now(), limit=10)
    assert len(claimed) == 1  # ...and the relay that claimed them dies here
    relay, seen = _relay(engine, clock)
    assert await relay.relay_once() == 0  # still invisible during the visibility timeout
    clock.advance(VISIBILITY_TIMEOUT + timedelta(seconds=1))
    assert await relay.relay_once() == 1
    assert seen[0].id == claimed[0].envelope.id


async def test_failing_subscriber_gets_the_event_again_later(engine: AsyncEngine) -> None:
    async with _uow(engine) as uow:
        uow.emit(SomethingHappened(marker="retry me"))
        await uow.commit()
    clock = FixedClock(SystemClock().now())
    bus, calls = MessageBus(), []

    async def flaky(envelope: EventEnvelope) -> None:
        calls.append(envelope.id)
        if len(calls) == 1:
            raise ConnectionError("subscriber down")

    bus.subscribe("test.SomethingHappened", flaky)
    relay = OutboxRelay(SqlOutboxStore(async_sessionmaker(engine), ROLE), bus, clock)
    assert await relay.relay_once() == 0
    clock.advance(timedelta(minutes=1))
    assert await relay.relay_once() == 1
    assert len(calls) == 2 and calls[0] == calls[1]
    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT attempts, last_error FROM outbox"))).one()
    assert row.attempts == 1 and "subscriber down" in row.last_error
