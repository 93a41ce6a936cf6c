"""The unit of work port: one transaction, rolled back unless committed.

Events emitted inside a unit of work are written to the transactional outbox by ``commit`` in the
same transaction as the state change, so an event exists if and only if its change does.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from flowwright.kernel.events import DomainEvent


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def emit(self, event: DomainEvent) -> None:
        """Record an event; it reaches the outbox only if the unit of work commits."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
