"""Accounting: the budget's hard stop before a call, usage records and warnings after it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flowwright.agents.application.failover import AttemptLog
from flowwright.agents.application.planning import CallPlan
from flowwright.agents.application.ports import (
    AgentsUnitOfWorkFactory,
    BudgetCharge,
    StoredResult,
)
from flowwright.agents.domain.budget import Budget, month_of, stop_decision, warning_due
from flowwright.agents.domain.events import BudgetWarning
from flowwright.agents.domain.events import QuotaExceeded as QuotaExceededEvent
from flowwright.agents.domain.pricing import cost_micros
from flowwright.agents.domain.usage import CallContext, Outcome, UsageRecord
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import QuotaExceeded
from flowwright.kernel.ids import new_id


class Accountant:
    def __init__(
        self,
        uow_factory: AgentsUnitOfWorkFactory,
        clock: Clock,
        *,
        budget_seen: Callable[[str, Budget], None] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._budget_seen = budget_seen

    async def enforce_budget(self, plan: CallPlan) -> None:
        """Raise QuotaExceeded, before any provider is contacted, when the month is used up."""
        now = self._clock.now()
        decision = stop_decision(plan.budget, now)
        if decision is None or plan.budget is None:
            return
        budget = plan.budget
        period = month_of(now)
        tokens, micros = budget.usage_in(period)
        async with self._uow_factory(plan.tenant_id) as uow:
            if await uow.budgets.claim_stop_notice(period):
                uow.emit(
                    QuotaExceededEvent(
                        tenant_id=plan.tenant_id,
                        period=period,
                        limit=decision.limit,
                        used_tokens=tokens,
                        used_micros=micros,
                        token_limit=budget.token_limit,
                        cost_limit_micros=budget.cost_limit_micros,
                    )
                )
                await uow.commit()
        raise QuotaExceeded(
            decision.message + "; raise the limit with `flowwright llm budget set`",
            retry_after_seconds=decision.retry_after_seconds,
            details={"limit": decision.limit, "period": period},
        )

    async def record(
        self,
        plan: CallPlan,
        *,
        operation: str,
        attempts: Sequence[AttemptLog],
        context: CallContext,
        ok_usage_id: str | None = None,
        stored: StoredResult | None = None,
    ) -> None:
        """Write one usage record per attempt, count them against the budget, keep the result."""
        now = self._clock.now()
        records = _usage_records(plan, operation, attempts, context, ok_usage_id, now)
        charge = _charge(records, now) if plan.budget is not None else None
        budget = await self._uow_factory.ledger.record(
            plan.tenant_id, records, stored=stored, charge=charge
        )
        if budget is None:
            return
        if warning_due(budget, now):
            await self._warn(budget, month_of(now))
        if self._budget_seen is not None:
            self._budget_seen(plan.tenant_id, budget)

    async def _warn(self, budget: Budget, period: str) -> None:
        """Emit the month's budget warning, once: the one call that claims the month emits it.

        Its own transaction, after the usage that made it due: it is due once a month, so the
        write every call makes need not carry it.
        """
        async with self._uow_factory(budget.tenant_id) as uow:
            if await uow.budgets.claim_warning(period):
                uow.emit(_warning(budget, period))
                await uow.commit()
        budget.warned_period = period


def _usage_records(
    plan: CallPlan,
    operation: str,
    attempts: Sequence[AttemptLog],
    context: CallContext,
    ok_usage_id: str | None,
    now: datetime,
) -> list[UsageRecord]:
    path = tuple(a.candidate.key for a in attempts)
    records = []
    for attempt in attempts:
        price = plan.price_of(attempt.candidate)
        usage = attempt.usage
        ok = attempt.outcome is Outcome.OK
        records.append(
            UsageRecord(
                id=ok_usage_id if ok and ok_usage_id else new_id(),
                tenant_id=plan.tenant_id,
                created_at=now,
                alias=plan.alias.name,
                provider=attempt.candidate.provider,
                model=attempt.candidate.model,
                operation=operation,
                outcome=attempt.outcome,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_micros=cost_micros(
                    price, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
                ),
                priced=price.priced,
                latency_ms=attempt.latency_ms,
                fallback_path=path,
                context=context,
            )
        )
    return records


def _charge(records: Sequence[UsageRecord], now: datetime) -> BudgetCharge | None:
    tokens = sum(r.input_tokens + r.output_tokens for r in records)
    micros = sum(r.cost_micros for r in records)
    if not (tokens or micros):
        return None
    return BudgetCharge(month_of(now), tokens, micros)


def _warning(budget: Budget, period: str) -> BudgetWarning:
    tokens, micros = budget.usage_in(period)
    return BudgetWarning(
        tenant_id=budget.tenant_id,
        period=period,
        warn_percent=budget.warn_percent,
        used_tokens=tokens,
        used_micros=micros,
        token_limit=budget.token_limit,
        cost_limit_micros=budget.cost_limit_micros,
    )
