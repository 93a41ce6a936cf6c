"""Budget decisions: stop before a call once a limit is reached; warn once per month."""

from __future__ import annotations

from datetime import UTC, datetime

from flowwright.agents.domain.budget import (
    Budget,
    month_of,
    next_month_start,
    stop_decision,
    warning_due,
)

NOW = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)


def _budget(**fields: object) -> Budget:
    defaults: dict[str, object] = {
        "id": "b",
        "tenant_id": "t",
        "created_at": NOW,
        "updated_at": NOW,
        "period": "2026-03",
    }
    return Budget(**{**defaults, **fields})  # type: ignore[arg-type]


def test_no_budget_never_stops() -> None:
    assert stop_decision(None, NOW) is None


def test_a_used_up_token_limit_stops_until_the_next_month() -> None:
    decision = stop_decision(_budget(token_limit=100, used_tokens=100), NOW)
    assert decision is not None and decision.limit == "tokens"
    assert decision.retry_after_seconds == 3600
    assert stop_decision(_budget(token_limit=100, used_tokens=99), NOW) is None


def test_a_used_up_money_limit_stops() -> None:
    decision = stop_decision(_budget(cost_limit_micros=5_000_000, used_micros=5_000_000), NOW)
    assert decision is not None and decision.limit == "cost"
    assert "$5.000000" in decision.message


def test_last_months_usage_does_not_count() -> None:
    old = _budget(token_limit=100, used_tokens=500, period="2026-02")
    assert stop_decision(old, NOW) is None
    assert old.usage_in("2026-03") == (0, 0)


def test_warning_is_due_once_past_the_threshold() -> None:
    budget = _budget(token_limit=1000, warn_percent=80, used_tokens=799)
    assert not warning_due(budget, NOW)
    budget.used_tokens = 800
    assert warning_due(budget, NOW)
    budget.warned_period = "2026-03"
    assert not warning_due(budget, NOW)


def test_either_limit_can_trigger_the_warning() -> None:
    budget = _budget(token_limit=10**9, cost_limit_micros=1000, used_micros=900, warn_percent=90)
    assert warning_due(budget, NOW)


def test_months_are_utc_calendar_months() -> None:
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-12"
    assert next_month_start(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
