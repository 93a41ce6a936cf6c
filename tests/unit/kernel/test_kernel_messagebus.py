from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flowwright.kernel.events import EventEnvelope
from flowwright.kernel.messagebus import ALL_EVENTS, EventHandler, MessageBus


def envelope(name: str) -> EventEnvelope:
    return EventEnvelope(
        name=name, payload={"n": name}, tenant_id="t1", occurred_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


class Recorder:
    def __init__(
        self, label: str, calls: list[tuple[str, str]], *, error: Exception | None = None
    ) -> None:
        self.label = label
        self.calls = calls
        self.error = error

    async def __call__(self, event: EventEnvelope) -> None:
        self.calls.append((self.label, event.name))
        if self.error is not None:
            raise self.error


async def test_publish_reaches_subscribers_of_that_name_only() -> None:
    bus = MessageBus()
    calls: list[tuple[str, str]] = []
    bus.subscribe("a.Created", Recorder("a", calls))
    bus.subscribe("b.Created", Recorder("b", calls))

    await bus.publish(envelope("a.Created"))

    assert calls == [("a", "a.Created")]


async def test_wildcard_subscribers_receive_every_event_after_named_ones() -> None:
    bus = MessageBus()
    calls: list[tuple[str, str]] = []
    bus.subscribe(ALL_EVENTS, Recorder("all", calls))
    bus.subscribe("a.Created", Recorder("a", calls))

    await bus.publish(envelope("a.Created"))
    await bus.publish(envelope("z.Other"))

    assert ALL_EVENTS == "*"
    assert calls == [("a", "a.Created"), ("all", "a.Created"), ("all", "z.Other")]


async def test_handlers_of_one_name_run_in_subscription_order() -> None:
    bus = MessageBus()
    calls: list[tuple[str, str]] = []
    for label in ("first", "second", "third"):
        bus.subscribe("e", Recorder(label, calls))

    await bus.publish(envelope("e"))

    assert [label for label, _ in calls] == ["first", "second", "third"]


async def test_publish_without_subscribers_is_a_no_op() -> None:
    await MessageBus().publish(envelope("nobody.Listens"))


async def test_every_handler_runs_even_when_some_fail_and_the_first_error_is_raised() -> None:
    bus = MessageBus()
    calls: list[tuple[str, str]] = []
    first_error = RuntimeError("first")
    bus.subscribe("e", Recorder("ok-1", calls))
    bus.subscribe("e", Recorder("fails-1", calls, error=first_error))
    bus.subscribe("e", Recorder("fails-2", calls, error=ValueError("second")))
    bus.subscribe(ALL_EVENTS, Recorder("ok-all", calls))

    with pytest.raises(RuntimeError) as raised:
        await bus.publish(envelope("e"))

    assert raised.value is first_error
    assert [label for label, _ in calls] == ["ok-1", "fails-1", "fails-2", "ok-all"]


async def test_handlers_for_lists_named_then_wildcard_handlers() -> None:
    bus = MessageBus()
    named: EventHandler = Recorder("named", [])
    wildcard: EventHandler = Recorder("all", [])
    bus.subscribe(ALL_EVENTS, wildcard)
    bus.subscribe("e", named)

    assert bus.handlers_for("e") == [named, wildcard]
    assert bus.handlers_for("other") == [wildcard]


async def test_handlers_receive_the_envelope_itself() -> None:
    bus = MessageBus()
    received: list[EventEnvelope] = []

    async def handler(event: EventEnvelope) -> None:
        received.append(event)

    bus.subscribe("e", handler)
    sent = envelope("e")
    await bus.publish(sent)

    assert received == [sent]
