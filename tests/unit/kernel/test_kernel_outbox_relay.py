from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.memory import VISIBILITY_TIMEOUT, InMemoryOutboxStore
from flowwright.kernel.messagebus import ALL_EVENTS, MessageBus
from flowwright.kernel.outbox import OutboxRelay, OutboxStore, PendingEnvelope, retry_delay

START = datetime(2026, 1, 1, tzinfo=UTC)


class Subscriber:
    """Records deliveries; fails while ``failures_left`` is above zero."""

    def __init__(self, *, failures: int = 0, fail_for: set[str] | None = None) -> None:
        self.delivered: list[str] = []
        self.failures_left = failures
        self.fail_for = fail_for or set()

    async def __call__(self, envelope: EventEnvelope) -> None:
        self.delivered.append(envelope.id)
        if envelope.id in self.fail_for:
            raise RuntimeError(f"cannot handle {envelope.id}")
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("subscriber is down")


def make_envelope(name: str = "test.Happened") -> EventEnvelope:
    return EventEnvelope(name=name, payload={"k": "v"}, tenant_id="t1", occurred_at=START)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store() -> InMemoryOutboxStore:
    return InMemoryOutboxStore()


def relay_with(
    store: OutboxStore, clock: FixedClock, subscriber: Subscriber, **kwargs: int
) -> OutboxRelay:
    bus = MessageBus()
    bus.subscribe(ALL_EVENTS, subscriber)
    return OutboxRelay(store, bus, clock, **kwargs)


def test_retry_delay_doubles_from_one_second_and_caps_at_five_minutes() -> None:
    delays = [retry_delay(attempts).total_seconds() for attempts in range(12)]

    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert retry_delay(10_000) == timedelta(minutes=5)


async def test_relay_delivers_a_pending_envelope_once_and_marks_it_delivered(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber)
    envelope = make_envelope()
    store.add(envelope)

    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    clock.advance(timedelta(hours=1))
    assert await relay.relay_once() == 0

    assert subscriber.delivered == [envelope.id]
    assert store.entry(envelope.id).delivered_at == START
    assert store.undelivered() == []


async def test_relay_delivers_oldest_first_in_batches(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber, batch_size=2)
    envelopes = [make_envelope() for _ in range(3)]
    store.add(*reversed(envelopes))

    assert await relay.relay_once() == 2
    assert await relay.relay_once() == 1
    assert subscriber.delivered == [e.id for e in envelopes]


async def test_envelope_not_yet_due_waits_for_the_clock(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber)
    store.add(make_envelope(), due_at=START + timedelta(seconds=10))

    assert await relay.relay_once() == 0
    clock.advance(timedelta(seconds=10))
    assert await relay.relay_once() == 1


async def test_failing_subscriber_marks_failed_and_retries_with_backoff(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber(failures=4)
    relay = relay_with(store, clock, subscriber)
    envelope = make_envelope()
    store.add(envelope)

    for attempts in range(4):
        assert await relay.relay_once() == 0
        entry = store.entry(envelope.id)
        assert entry.attempts == attempts + 1
        assert entry.delivered_at is None
        assert entry.last_error is not None
        assert "subscriber is down" in entry.last_error
        assert entry.next_attempt_at == clock.now() + retry_delay(attempts)

        # Not redelivered a moment before the backoff ends...
        clock.advance(retry_delay(attempts) - timedelta(milliseconds=1))
        assert await relay.relay_once() == 0
        assert len(subscriber.delivered) == attempts + 1
        # ...but redelivered once it has.
        clock.advance(timedelta(milliseconds=1))

    assert await relay.relay_once() == 1
    assert len(subscriber.delivered) == 5
    assert store.entry(envelope.id).delivered_at == clock.now()


async def test_one_failing_envelope_does_not_hold_up_the_others(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    poison, fine = make_envelope(), make_envelope()
    subscriber = Subscriber(fail_for={poison.id})
    relay = relay_with(store, clock, subscriber)
    store.add(poison, fine)

    assert await relay.relay_once() == 1

    assert store.entry(fine.id).delivered
    assert not store.entry(poison.id).delivered
    assert store.entry(poison.id).attempts == 1


async def test_envelope_claimed_by_a_crashed_relay_is_delivered_after_the_visibility_timeout(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    envelope = make_envelope()
    store.add(envelope)
    # A relay claims the batch and dies before publishing or marking anything.
    claimed = await store.claim_pending(now=clock.now(), limit=10)
    assert [p.envelope.id for p in claimed] == [envelope.id]

    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber)
    assert await relay.relay_once() == 0
    clock.advance(VISIBILITY_TIMEOUT - timedelta(seconds=1))
    assert await relay.relay_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await relay.relay_once() == 1

    assert subscriber.delivered == [envelope.id]


async def test_envelope_published_but_not_marked_is_delivered_again(clock: FixedClock) -> None:
    """At least once: a crash between publish and mark repeats the delivery."""

    class CrashesOnFirstMark(InMemoryOutboxStore):
        crashed = False

        async def mark_delivered(self, envelope_ids: Sequence[str], *, at: datetime) -> None:
            if not self.crashed:
                self.crashed = True
                raise ConnectionError("relay died")
            await super().mark_delivered(envelope_ids, at=at)

    store = CrashesOnFirstMark()
    envelope = make_envelope()
    store.add(envelope)
    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber)
    with pytest.raises(ConnectionError):
        await relay.relay_once()

    assert await relay.relay_once() == 0
    clock.advance(VISIBILITY_TIMEOUT)
    assert await relay.relay_once() == 1
    assert subscriber.delivered == [envelope.id, envelope.id]
    assert store.entry(envelope.id).delivered


async def test_run_delivers_until_stop_is_set(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber()
    relay = relay_with(store, clock, subscriber)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop, idle_interval=0.01))

    envelope = make_envelope()
    store.add(envelope)
    for _ in range(200):
        if subscriber.delivered:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)

    assert task.done()
    assert subscriber.delivered == [envelope.id]


async def test_run_returns_at_once_when_stop_is_already_set(
    store: InMemoryOutboxStore, clock: FixedClock
) -> None:
    subscriber = Subscriber()
    store.add(make_envelope())
    stop = asyncio.Event()
    stop.set()

    await asyncio.wait_for(relay_with(store, clock, subscriber).run(stop), timeout=1)

    assert subscriber.delivered == []


async def test_run_keeps_going_when_a_pass_fails(clock: FixedClock) -> None:
    class FlakyStore(InMemoryOutboxStore):
        def __init__(self) -> None:
            super().__init__()
            self.claims = 0

        async def claim_pending(self, *, now: datetime, limit: int) -> Sequence[PendingEnvelope]:
            self.claims += 1
            if self.claims == 1:
                raise ConnectionError("database unreachable")
            return await super().claim_pending(now=now, limit=limit)

    store = FlakyStore()
    envelope = make_envelope()
    store.add(envelope)
    subscriber = Subscriber()
    stop = asyncio.Event()
    task = asyncio.create_task(relay_with(store, clock, subscriber).run(stop, idle_interval=0.01))
    for _ in range(200):
        if subscriber.delivered:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)

    assert store.claims >= 2
    assert subscriber.delivered == [envelope.id]


async def test_a_batch_is_marked_delivered_in_one_write(clock: FixedClock) -> None:
    class CountingStore(InMemoryOutboxStore):
        marks: list[list[str]] = []

        async def mark_delivered(self, envelope_ids: Sequence[str], *, at: datetime) -> None:
            self.marks.append(list(envelope_ids))
            await super().mark_delivered(envelope_ids, at=at)

    store = CountingStore()
    envelopes = [make_envelope() for _ in range(3)]
    for envelope in envelopes:
        store.add(envelope)
    subscriber = Subscriber()

    assert await relay_with(store, clock, subscriber).relay_once() == 3

    assert store.marks == [[e.id for e in envelopes]]
    assert all(store.entry(e.id).delivered for e in envelopes)
