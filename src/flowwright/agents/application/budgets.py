"""Use cases on the tenant's monthly LLM budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.ports import AgentsUnitOfWorkFactory
from flowwright.agents.domain.budget import (
    DEFAULT_WARN_PERCENT,
    Budget,
    check_limits,
    month_of,
    month_start,
    next_month_start,
)
from flowwright.agents.domain.events import BudgetChanged
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound
from flowwright.kernel.ids import new_id


@dataclass(frozen=True)
class BudgetSpec:
    token_limit: int | None = None
    cost_limit_micros: int | None = None
    warn_percent: int = DEFAULT_WARN_PERCENT


@dataclass(frozen=True)
class BudgetStatus:
    """Read model: the limits (None without a budget) and this month's usage."""

    period: str
    budget: Budget | None
    used_tokens: int
    used_micros: int
    resets_at: datetime


async def set_budget(
    spec: BudgetSpec, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, clock: Clock
) -> BudgetStatus:
    """Set the limits; this month's counters start from the usage recorded so far."""
    caller.require(Grant.MANAGE)
    check_limits(spec.token_limit, spec.cost_limit_micros, spec.warn_percent)
    now = clock.now()
    async with uow_factory(caller.tenant_id) as uow:
        tokens, micros = await uow.usage.totals(since=month_start(now), until=next_month_start(now))
        existing = await uow.budgets.get()
        budget = Budget(
            id=existing.id if existing else new_id(),
            tenant_id=caller.tenant_id,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            token_limit=spec.token_limit,
            cost_limit_micros=spec.cost_limit_micros,
            warn_percent=spec.warn_percent,
            period=month_of(now),
            used_tokens=tokens,
            used_micros=micros,
            # New limits re-arm this month's warning and stop notices.
            warned_period=None,
            stopped_period=None,
        )
        await uow.budgets.save(budget)
        uow.emit(
            BudgetChanged(
                tenant_id=caller.tenant_id,
                token_limit=spec.token_limit,
                cost_limit_micros=spec.cost_limit_micros,
                warn_percent=spec.warn_percent,
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
    return BudgetStatus(month_of(now), budget, tokens, micros, next_month_start(now))


async def show_budget(
    *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, clock: Clock
) -> BudgetStatus:
    caller.require(Grant.READ)
    now = clock.now()
    async with uow_factory(caller.tenant_id) as uow:
        budget = await uow.budgets.get()
        tokens, micros = await uow.usage.totals(since=month_start(now), until=next_month_start(now))
    return BudgetStatus(month_of(now), budget, tokens, micros, next_month_start(now))


async def remove_budget(*, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> None:
    caller.require(Grant.MANAGE)
    async with uow_factory(caller.tenant_id) as uow:
        if not await uow.budgets.delete():
            raise NotFound("this tenant has no LLM budget")
        uow.emit(
            BudgetChanged(
                tenant_id=caller.tenant_id,
                token_limit=None,
                cost_limit_micros=None,
                warn_percent=None,
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
