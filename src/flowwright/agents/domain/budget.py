"""Monthly budgets (calendar months, UTC): token and money limits, a warning and a hard stop.

The hard stop is checked *before* a provider is contacted: once the month's usage has reached a
limit, calls fail with ``QuotaExceeded`` until the next month (or until the limit is raised).
Calls already in flight when the limit is reached still finish and are counted, so a month can end
slightly above its limit; the overshoot is bounded by the calls running at that moment.

The warning fires once per month, when usage first reaches ``warn_percent`` of either limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flowwright.agents.domain.pricing import micros_to_dollars
from flowwright.kernel.errors import ValidationFailed

DEFAULT_WARN_PERCENT = 80


@dataclass
class Budget:
    id: str
    tenant_id: str
    created_at: datetime
    updated_at: datetime
    token_limit: int | None = None
    cost_limit_micros: int | None = None
    warn_percent: int = DEFAULT_WARN_PERCENT
    # Usage counters of ``period`` (YYYY-MM); another month's counters read as zero.
    period: str = ""
    used_tokens: int = 0
    used_micros: int = 0
    warned_period: str | None = None
    stopped_period: str | None = None

    def usage_in(self, period: str) -> tuple[int, int]:
        """(tokens, micro-dollars) used in ``period``."""
        if self.period != period:
            return 0, 0
        return self.used_tokens, self.used_micros


@dataclass(frozen=True)
class StopDecision:
    limit: str  # "tokens" or "cost"
    message: str
    retry_after_seconds: float


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month_start(moment: datetime) -> datetime:
    start = month_start(moment)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def check_limits(token_limit: int | None, cost_limit_micros: int | None, warn_percent: int) -> None:
    if token_limit is not None and token_limit < 0:
        raise ValidationFailed("token_limit must be zero or more", details={"field": "tokens"})
    if cost_limit_micros is not None and cost_limit_micros < 0:
        raise ValidationFailed("cost limit must be zero or more", details={"field": "cost"})
    if not 1 <= warn_percent <= 100:
        raise ValidationFailed("warn_percent must be 1-100", details={"field": "warn_percent"})


def stop_decision(budget: Budget | None, now: datetime) -> StopDecision | None:
    """Why a call must not start now, or None when the month's limits allow it."""
    if budget is None:
        return None
    tokens, micros = budget.usage_in(month_of(now))
    retry_after = (next_month_start(now) - now).total_seconds()
    if budget.token_limit is not None and tokens >= budget.token_limit:
        return StopDecision(
            "tokens",
            f"the monthly token budget of {budget.token_limit} tokens is used up "
            f"({tokens} used this month)",
            retry_after,
        )
    if budget.cost_limit_micros is not None and micros >= budget.cost_limit_micros:
        return StopDecision(
            "cost",
            f"the monthly budget of ${micros_to_dollars(budget.cost_limit_micros)} is used up "
            f"(${micros_to_dollars(micros)} spent this month)",
            retry_after,
        )
    return None


def warning_due(budget: Budget, now: datetime) -> bool:
    """Has this month's usage reached the warning threshold, with no warning sent yet?"""
    period = month_of(now)
    if budget.warned_period == period:
        return False
    tokens, micros = budget.usage_in(period)
    threshold = budget.warn_percent
    if budget.token_limit is not None and tokens * 100 >= budget.token_limit * threshold:
        return True
    return (
        budget.cost_limit_micros is not None
        and micros * 100 >= budget.cost_limit_micros * threshold
    )
