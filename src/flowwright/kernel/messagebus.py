"""In-process message bus: events go to every subscriber of their name.

Handlers must be idempotent: the outbox delivers at least once, so a handler may see the same
envelope (same ``id``) again after a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

import structlog

from flowwright.kernel.events import EventEnvelope

EventHandler = Callable[[EventEnvelope], Awaitable[None]]

ALL_EVENTS = "*"

log = structlog.get_logger(__name__)


class MessageBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[EventHandler]] = defaultdict(list)

    def subscribe(self, event_name: str, handler: EventHandler) -> None:
        """Call ``handler`` for every event named ``event_name`` (or every event, with ``*``)."""
        self._subscribers[event_name].append(handler)

    def handlers_for(self, event_name: str) -> list[EventHandler]:
        return [*self._subscribers.get(event_name, []), *self._subscribers.get(ALL_EVENTS, [])]

    async def publish(self, envelope: EventEnvelope) -> None:
        """Deliver to every handler; the first failure is raised after all handlers had a go."""
        first_error: BaseException | None = None
        for handler in self.handlers_for(envelope.name):
            try:
                await handler(envelope)
            except Exception as exc:
                log.warning(
                    "event handler failed",
                    event_name=envelope.name,
                    event_id=envelope.id,
                    error=repr(exc),
                )
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
