from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowwright.kernel.clock import Clock, FixedClock, SystemClock


def test_fixed_clock_starts_at_a_known_utc_instant() -> None:
    assert FixedClock().now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_fixed_clock_holds_time_until_advanced() -> None:
    start = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    clock = FixedClock(start)

    assert clock.now() == start
    assert clock.now() == start

    clock.advance(timedelta(seconds=90))
    assert clock.now() == start + timedelta(seconds=90)


def test_system_clock_is_timezone_aware_utc() -> None:
    clock: Clock = SystemClock()

    now = clock.now()

    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
