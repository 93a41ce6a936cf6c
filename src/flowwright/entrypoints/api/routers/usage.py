"""What LLM calls cost: usage aggregates and records, and the tenant's monthly budget."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from flowwright.agents.application import budgets as budget_cases
from flowwright.agents.application import usage_queries as queries
from flowwright.agents.domain.budget import DEFAULT_WARN_PERCENT
from flowwright.agents.domain.pricing import dollars_to_micros, micros_to_dollars
from flowwright.agents.domain.usage import UsageGroup, UsageRecord
from flowwright.entrypoints.api.agents_access import CurrentCaller
from flowwright.entrypoints.api.deps import ContainerDep

router = APIRouter(tags=["usage"])

MAX_BUDGET_USD = Decimal(1_000_000_000)


class UsageGroupOut(BaseModel):
    key: str | None = Field(description="The day, model, workflow id or run id (null: none).")
    calls: int = Field(description="Successful calls.")
    failed_calls: int = Field(description="Attempts that failed or were skipped.")
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    cost_micros: int
    unpriced_calls: int = Field(description="Calls of models without a price (counted at 0).")

    @classmethod
    def of(cls, g: UsageGroup) -> UsageGroupOut:
        return cls(
            key=g.key,
            calls=g.calls,
            failed_calls=g.failed_calls,
            input_tokens=g.input_tokens,
            output_tokens=g.output_tokens,
            cost_usd=micros_to_dollars(g.cost_micros),
            cost_micros=g.cost_micros,
            unpriced_calls=g.unpriced_calls,
        )


class UsageSummary(BaseModel):
    group_by: str
    groups: list[UsageGroupOut]
    total: UsageGroupOut


class UsageRecordOut(BaseModel):
    id: str
    created_at: datetime
    alias: str
    provider: str
    model: str
    operation: str
    outcome: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    cost_micros: int
    priced: bool
    latency_ms: int
    fallback_path: list[str]
    run_id: str | None
    step_id: str | None
    workflow_id: str | None
    agent: str | None
    conversation_id: str | None
    user_id: str | None

    @classmethod
    def of(cls, r: UsageRecord) -> UsageRecordOut:
        return cls(
            id=r.id,
            created_at=r.created_at,
            alias=r.alias,
            provider=r.provider,
            model=r.model,
            operation=r.operation,
            outcome=r.outcome.value,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cost_usd=micros_to_dollars(r.cost_micros),
            cost_micros=r.cost_micros,
            priced=r.priced,
            latency_ms=r.latency_ms,
            fallback_path=list(r.fallback_path),
            run_id=r.context.run_id,
            step_id=r.context.step_id,
            workflow_id=r.context.workflow_id,
            agent=r.context.agent,
            conversation_id=r.context.conversation_id,
            user_id=r.context.user_id,
        )


From = Annotated[
    datetime | None, Query(alias="from", description="Start (inclusive); default: month start.")
]
To = Annotated[
    datetime | None, Query(alias="to", description="End (exclusive); default: month end.")
]


@router.get("/usage", response_model=UsageSummary, summary="LLM usage and cost, aggregated")
async def get_usage(
    caller: CurrentCaller,
    container: ContainerDep,
    group_by: Literal["day", "model", "workflow", "run"] = "day",
    since: From = None,
    until: To = None,
) -> UsageSummary:
    groups = await queries.summarize_usage(
        caller=caller,
        uow_factory=container.llm.agents,
        clock=container.clock,
        group_by=group_by,
        since=since,
        until=until,
    )
    total = UsageGroup(
        key=None,
        calls=sum(g.calls for g in groups),
        failed_calls=sum(g.failed_calls for g in groups),
        input_tokens=sum(g.input_tokens for g in groups),
        output_tokens=sum(g.output_tokens for g in groups),
        cost_micros=sum(g.cost_micros for g in groups),
        unpriced_calls=sum(g.unpriced_calls for g in groups),
    )
    return UsageSummary(
        group_by=group_by,
        groups=[UsageGroupOut.of(g) for g in groups],
        total=UsageGroupOut.of(total),
    )


@router.get(
    "/usage/records",
    response_model=list[UsageRecordOut],
    summary="Usage records, newest first: one per call attempt",
)
async def list_usage_records(
    caller: CurrentCaller,
    container: ContainerDep,
    since: From = None,
    until: To = None,
    run_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[UsageRecordOut]:
    records = await queries.list_usage_records(
        caller=caller,
        uow_factory=container.llm.agents,
        clock=container.clock,
        since=since,
        until=until,
        run_id=run_id,
        limit=limit,
    )
    return [UsageRecordOut.of(r) for r in records]


@router.get("/usage/records/{record_id}", response_model=UsageRecordOut)
async def get_usage_record(
    record_id: str, caller: CurrentCaller, container: ContainerDep
) -> UsageRecordOut:
    record = await queries.get_usage_record(
        record_id, caller=caller, uow_factory=container.llm.agents
    )
    return UsageRecordOut.of(record)


# --- budget ------------------------------------------------------------------------------------


class BudgetPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token_limit: int | None = Field(default=None, ge=0, description="Tokens per calendar month.")
    cost_limit_usd: Decimal | None = Field(
        default=None, ge=0, description="US dollars per calendar month (UTC)."
    )
    warn_percent: int = Field(default=DEFAULT_WARN_PERCENT, ge=1, le=100)


class BudgetOut(BaseModel):
    period: str = Field(description="The current month, YYYY-MM (UTC).")
    token_limit: int | None
    cost_limit_usd: Decimal | None
    warn_percent: int | None
    used_tokens: int
    used_usd: Decimal
    resets_at: datetime

    @classmethod
    def of(cls, s: budget_cases.BudgetStatus) -> BudgetOut:
        b = s.budget
        limit = b.cost_limit_micros if b else None
        return cls(
            period=s.period,
            token_limit=b.token_limit if b else None,
            cost_limit_usd=micros_to_dollars(limit) if limit is not None else None,
            warn_percent=b.warn_percent if b else None,
            used_tokens=s.used_tokens,
            used_usd=micros_to_dollars(s.used_micros),
            resets_at=s.resets_at,
        )


@router.put("/llm/budget", response_model=BudgetOut, summary="Set the monthly budget (admins)")
async def put_budget(body: BudgetPut, caller: CurrentCaller, container: ContainerDep) -> BudgetOut:
    cost = body.cost_limit_usd
    status_ = await budget_cases.set_budget(
        budget_cases.BudgetSpec(
            token_limit=body.token_limit,
            cost_limit_micros=(
                dollars_to_micros(cost, maximum=MAX_BUDGET_USD) if cost is not None else None
            ),
            warn_percent=body.warn_percent,
        ),
        caller=caller,
        uow_factory=container.llm.agents,
        clock=container.clock,
    )
    return BudgetOut.of(status_)


@router.get("/llm/budget", response_model=BudgetOut, summary="The budget and this month's usage")
async def get_budget(caller: CurrentCaller, container: ContainerDep) -> BudgetOut:
    status_ = await budget_cases.show_budget(
        caller=caller, uow_factory=container.llm.agents, clock=container.clock
    )
    return BudgetOut.of(status_)


@router.delete("/llm/budget", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_budget(caller: CurrentCaller, container: ContainerDep) -> Response:
    await budget_cases.remove_budget(caller=caller, uow_factory=container.llm.agents)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
