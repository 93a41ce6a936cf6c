from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.memory import VISIBILITY_TIMEOUT, InMemoryOutboxStore
from flowwright.kernel.outbox import OutboxStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_envelope(occurred_at: datetime = T0) -> EventEnvelope:
    return EventEnvelope(
        name="test.Happened", payload={"items": [1]}, tenant_id=None, occurred_at=occurred_at
    )


def test_in_memory_store_satisfies_the_outbox_store_port() -> None:
    store: OutboxStore = InMemoryOutboxStore()

    assert store is not None


async def test_claim_pushes_the_next_attempt_forward_by_the_visibility_timeout() -> None:
    store = InMemoryOutboxStore()
    envelope = make_envelope()
    store.add(envelope)

    claimed = await store.claim_pending(now=T0, limit=10)

    assert [(p.envelope.id, p.attempts) for p in claimed] == [(envelope.id, 0)]
    assert store.entry(envelope.id).next_attempt_at == T0 + VISIBILITY_TIMEOUT
    assert await store.claim_pending(now=T0 + timedelta(seconds=29), limit=10) == []
    assert len(await store.claim_pending(now=T0 + VISIBILITY_TIMEOUT, limit=10)) == 1


async def test_visibility_timeout_is_configurable() -> None:
    store = InMemoryOutboxStore(visibility_timeout=timedelta(seconds=5))
    store.add(make_envelope())

    await store.claim_pending(now=T0, limit=1)

    assert len(await store.claim_pending(now=T0 + timedelta(seconds=5), limit=1)) == 1


async def test_claim_respects_the_limit_and_the_due_time() -> None:
    store = InMemoryOutboxStore()
    first, second = make_envelope(), make_envelope()
    later = make_envelope(occurred_at=T0 + timedelta(minutes=1))
    store.add(first, second, later)

    claimed = await store.claim_pending(now=T0, limit=1)
    assert [p.envelope.id for p in claimed] == [first.id]
    claimed = await store.claim_pending(now=T0, limit=10)
    assert [p.envelope.id for p in claimed] == [second.id]


async def test_delivered_envelopes_are_never_claimed_again() -> None:
    store = InMemoryOutboxStore()
    envelope = make_envelope()
    store.add(envelope)

    await store.mark_delivered([envelope.id], at=T0)

    assert await store.claim_pending(now=T0 + timedelta(days=1), limit=10) == []


async def test_mark_failed_counts_attempts_and_keeps_the_error() -> None:
    store = InMemoryOutboxStore()
    envelope = make_envelope()
    store.add(envelope)

    await store.mark_failed(envelope.id, error="boom", retry_at=T0 + timedelta(seconds=1))
    await store.mark_failed(envelope.id, error="bang", retry_at=T0 + timedelta(seconds=2))

    entry = store.entry(envelope.id)
    assert (entry.attempts, entry.last_error) == (2, "bang")
    assert entry.next_attempt_at == T0 + timedelta(seconds=2)
    claimed = await store.claim_pending(now=T0 + timedelta(seconds=2), limit=1)
    assert claimed[0].attempts == 2


async def test_marking_an_unknown_envelope_does_nothing() -> None:
    store = InMemoryOutboxStore()

    await store.mark_delivered(["missing"], at=T0)
    await store.mark_failed("missing", error="x", retry_at=T0)

    assert store.entries() == []


async def test_purge_removes_only_envelopes_delivered_before_the_cutoff() -> None:
    store = InMemoryOutboxStore()
    old, recent, pending = make_envelope(), make_envelope(), make_envelope()
    store.add(old, recent, pending)
    await store.mark_delivered([old.id], at=T0)
    await store.mark_delivered([recent.id], at=T0 + timedelta(days=2))

    purged = await store.purge_delivered(older_than=T0 + timedelta(days=1))

    assert purged == 1
    assert [e.envelope.id for e in store.entries()] == [recent.id, pending.id]


def test_adding_the_same_envelope_twice_is_refused() -> None:
    store = InMemoryOutboxStore()
    envelope = make_envelope()
    store.add(envelope)

    with pytest.raises(ValueError, match="already"):
        store.add(envelope)


async def test_claimed_payload_is_a_copy() -> None:
    store = InMemoryOutboxStore()
    envelope = make_envelope()
    store.add(envelope)

    claimed = await store.claim_pending(now=T0, limit=1)
    claimed[0].envelope.payload["items"].append(2)

    assert store.entry(envelope.id).envelope.payload == {"items": [1]}
