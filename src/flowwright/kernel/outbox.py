"""The outbox relay: delivers committed events to subscribers, at least once.

The relay claims a batch of undelivered envelopes, publishes each on the bus and marks the batch
delivered in one transaction. A crash between publish and mark means the envelopes are delivered
again by the next relay (hence idempotent handlers); an envelope whose handler fails is retried
later with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from flowwright.kernel.clock import Clock
from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.messagebus import MessageBus

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PendingEnvelope:
    envelope: EventEnvelope
    attempts: int


class OutboxStore(Protocol):
    async def claim_pending(self, *, now: datetime, limit: int) -> Sequence[PendingEnvelope]:
        """Undelivered envelopes due now, oldest first, claimed so other relays skip them."""
        ...

    async def mark_delivered(self, envelope_ids: Sequence[str], *, at: datetime) -> None: ...

    async def mark_failed(self, envelope_id: str, *, error: str, retry_at: datetime) -> None: ...

    async def purge_delivered(self, *, older_than: datetime) -> int: ...


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff for a failing subscriber: 1 s, 2 s, 4 s ... capped at 5 minutes."""
    return timedelta(seconds=min(300, 2 ** min(attempts, 9)))


class OutboxRelay:
    def __init__(
        self, store: OutboxStore, bus: MessageBus, clock: Clock, *, batch_size: int = 100
    ) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self._batch_size = batch_size

    async def relay_once(self) -> int:
        """Deliver one batch; returns how many envelopes were delivered."""
        batch = await self._store.claim_pending(now=self._clock.now(), limit=self._batch_size)
        delivered: list[str] = []
        for pending in batch:
            envelope = pending.envelope
            try:
                await self._bus.publish(envelope)
            except Exception as exc:
                retry_at = self._clock.now() + retry_delay(pending.attempts)
                await self._store.mark_failed(
                    envelope.id, error=repr(exc)[:2000], retry_at=retry_at
                )
                continue
            delivered.append(envelope.id)
        if delivered:
            await self._store.mark_delivered(delivered, at=self._clock.now())
        return len(delivered)

    async def run(self, stop: asyncio.Event, *, idle_interval: float = 0.2) -> None:
        """Relay until ``stop`` is set, polling at ``idle_interval`` when there is nothing to do."""
        while not stop.is_set():
            try:
                delivered = await self.relay_once()
            except Exception as exc:  # the database may be briefly unreachable: keep going
                log.warning("outbox relay pass failed", error=repr(exc))
                delivered = 0
            # Only a full batch suggests more is waiting. After a partial one, wait as when idle,
            # so that under a steady trickle of events the relay claims and marks them in
            # batches instead of taking two write transactions per event from the engine.
            if delivered < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_interval)
