from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from flowwright.kernel.events import DomainEvent, EventEnvelope
from flowwright.kernel.ids import id_timestamp_ms


@dataclass(frozen=True, kw_only=True)
class Nested:
    at: datetime


@dataclass(frozen=True, kw_only=True)
class SomethingHappened(DomainEvent):
    name: ClassVar[str] = "test.SomethingHappened"
    thing_id: str
    at: datetime
    tags: tuple[str, ...] = ()
    extra: dict[Any, Any] = field(default_factory=dict)
    nested: Nested | None = None


def test_event_name_is_a_class_constant_not_part_of_the_payload() -> None:
    event = SomethingHappened(tenant_id="t1", thing_id="x", at=datetime(2026, 1, 1, tzinfo=UTC))

    assert event.name == "test.SomethingHappened"
    assert "name" not in event.payload()


def test_payload_omits_the_tenant_id() -> None:
    event = SomethingHappened(tenant_id="t1", thing_id="x", at=datetime(2026, 1, 1, tzinfo=UTC))

    assert "tenant_id" not in event.payload()


def test_payload_serializes_datetimes_as_iso_8601_at_any_depth() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    local = datetime(2026, 3, 4, 7, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    event = SomethingHappened(
        thing_id="x",
        at=at,
        tags=("a", "b"),
        extra={"when": at, "items": [local], 3: "three"},
        nested=Nested(at=at),
    )

    payload = event.payload()

    assert payload == {
        "thing_id": "x",
        "at": "2026-03-04T05:06:07+00:00",
        "tags": ["a", "b"],
        "extra": {
            "when": "2026-03-04T05:06:07+00:00",
            "items": ["2026-03-04T07:06:07+02:00"],
            "3": "three",
        },
        "nested": {"at": "2026-03-04T05:06:07+00:00"},
    }
    assert json.loads(json.dumps(payload)) == payload


def test_events_are_immutable() -> None:
    event = SomethingHappened(thing_id="x", at=datetime(2026, 1, 1, tzinfo=UTC))

    with pytest.raises(dataclasses.FrozenInstanceError):
        event.thing_id = "y"  # type: ignore[misc]


def test_envelope_gets_a_fresh_time_sortable_id() -> None:
    occurred = datetime(2026, 1, 1, tzinfo=UTC)
    first = EventEnvelope(name="n", payload={}, tenant_id=None, occurred_at=occurred)
    second = EventEnvelope(name="n", payload={}, tenant_id=None, occurred_at=occurred)

    assert first.id != second.id
    assert first.id < second.id
    assert id_timestamp_ms(first.id) > 0
