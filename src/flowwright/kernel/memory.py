"""An outbox store in memory, with the claiming rules of the SQL one.

Envelopes enter with :meth:`InMemoryOutboxStore.add`, as a committed unit of work would write
them. A claim hides an envelope for a visibility timeout, so a relay that claims and then dies
leaves the envelope to be delivered again once the timeout has passed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.outbox import OutboxStore, PendingEnvelope

VISIBILITY_TIMEOUT = timedelta(seconds=30)


@dataclass(frozen=True)
class OutboxEntry:
    """One stored envelope and its delivery state."""

    envelope: EventEnvelope
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None


class InMemoryOutboxStore:
    """Satisfies :class:`flowwright.kernel.outbox.OutboxStore`."""

    def __init__(self, *, visibility_timeout: timedelta = VISIBILITY_TIMEOUT) -> None:
        self._visibility_timeout = visibility_timeout
        self._entries: dict[str, OutboxEntry] = {}

    def add(self, *envelopes: EventEnvelope, due_at: datetime | None = None) -> None:
        """Store envelopes as committed; each is due at ``due_at`` or when it occurred."""
        for envelope in envelopes:
            if envelope.id in self._entries:
                raise ValueError(f"envelope {envelope.id} is already in the outbox")
            self._entries[envelope.id] = OutboxEntry(
                envelope=_copy(envelope),
                attempts=0,
                next_attempt_at=due_at or envelope.occurred_at,
            )

    def entry(self, envelope_id: str) -> OutboxEntry:
        return self._entries[envelope_id]

    def entries(self) -> list[OutboxEntry]:
        """Every stored envelope, oldest first."""
        return [self._entries[key] for key in sorted(self._entries)]

    def undelivered(self) -> list[OutboxEntry]:
        return [entry for entry in self.entries() if not entry.delivered]

    async def claim_pending(self, *, now: datetime, limit: int) -> Sequence[PendingEnvelope]:
        due = [
            entry
            for entry in self.entries()
            if entry.delivered_at is None and entry.next_attempt_at <= now
        ][: max(limit, 0)]
        claimed = []
        for entry in due:
            self._entries[entry.envelope.id] = replace(
                entry, next_attempt_at=now + self._visibility_timeout
            )
            claimed.append(PendingEnvelope(envelope=_copy(entry.envelope), attempts=entry.attempts))
        return claimed

    async def mark_delivered(self, envelope_ids: Sequence[str], *, at: datetime) -> None:
        for envelope_id in envelope_ids:
            entry = self._entries.get(envelope_id)
            if entry is not None:
                self._entries[envelope_id] = replace(entry, delivered_at=at)

    async def mark_failed(self, envelope_id: str, *, error: str, retry_at: datetime) -> None:
        entry = self._entries.get(envelope_id)
        if entry is not None:
            self._entries[envelope_id] = replace(
                entry, attempts=entry.attempts + 1, last_error=error, next_attempt_at=retry_at
            )

    async def purge_delivered(self, *, older_than: datetime) -> int:
        doomed = [
            key
            for key, entry in self._entries.items()
            if entry.delivered_at is not None and entry.delivered_at < older_than
        ]
        for key in doomed:
            del self._entries[key]
        return len(doomed)


def _copy(envelope: EventEnvelope) -> EventEnvelope:
    """A copy whose payload the receiver may change without touching the stored one."""
    return replace(envelope, payload=copy.deepcopy(envelope.payload))


if TYPE_CHECKING:  # mypy proves the fake keeps satisfying the port

    def _satisfies_port(store: InMemoryOutboxStore) -> OutboxStore:
        return store
