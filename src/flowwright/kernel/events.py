"""Domain events: facts, named in the past tense, recorded by a unit of work into the outbox.

An event crosses process and broker boundaries as an :class:`EventEnvelope`: a name, the tenant it
belongs to, and a JSON payload. Subscribers receive envelopes, which keeps consumers decoupled from
the producer's classes and lets broker adapters carry them unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flowwright.kernel.ids import new_id


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every domain event. Subclasses set ``name`` and add their fields."""

    name: ClassVar[str] = "event"
    tenant_id: str | None = None

    def payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("tenant_id", None)
        return {key: _jsonable(value) for key, value in data.items()}


@dataclass(frozen=True)
class EventEnvelope:
    """An event as it is stored in the outbox and delivered to subscribers."""

    name: str
    payload: dict[str, Any]
    tenant_id: str | None
    occurred_at: datetime
    id: str = field(default_factory=new_id)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value
