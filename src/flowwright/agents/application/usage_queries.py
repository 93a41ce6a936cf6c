"""Read models for people: usage and cost, breaker states, recorded call results."""

from __future__ import annotations

from datetime import datetime

from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.health import BreakerView, ProviderHealth
from flowwright.agents.application.ports import AgentsUnitOfWorkFactory, StoredResult
from flowwright.agents.domain.budget import month_start, next_month_start
from flowwright.agents.domain.usage import UsageGroup, UsageRecord
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound, ValidationFailed

GROUPINGS = ("day", "model", "workflow", "run")
MAX_RECORDS = 1000


def _window(
    since: datetime | None, until: datetime | None, clock: Clock
) -> tuple[datetime, datetime]:
    """[since, until): defaults to the current calendar month (UTC)."""
    now = clock.now()
    start = since or month_start(now)
    end = until or next_month_start(now)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("from and to need a time zone (e.g. 2026-01-01T00:00:00Z)")
    if end <= start:
        raise ValidationFailed("'to' must be after 'from'")
    return start, end


async def summarize_usage(
    *,
    caller: Caller,
    uow_factory: AgentsUnitOfWorkFactory,
    clock: Clock,
    group_by: str = "day",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[UsageGroup]:
    caller.require(Grant.READ)
    if group_by not in GROUPINGS:
        raise ValidationFailed(
            f"group_by must be one of {', '.join(GROUPINGS)}", details={"field": "group_by"}
        )
    start, end = _window(since, until, clock)
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.usage.aggregate(group_by=group_by, since=start, until=end)


async def list_usage_records(
    *,
    caller: Caller,
    uow_factory: AgentsUnitOfWorkFactory,
    clock: Clock,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str | None = None,
    limit: int = 100,
) -> list[UsageRecord]:
    caller.require(Grant.READ)
    if not 1 <= limit <= MAX_RECORDS:
        raise ValidationFailed(f"limit must be 1-{MAX_RECORDS}")
    start, end = _window(since, until, clock)
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.usage.list(since=start, until=end, run_id=run_id, limit=limit)


async def get_usage_record(
    record_id: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory
) -> UsageRecord:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        record = await uow.usage.get(record_id)
    if record is None:
        raise NotFound("usage record not found")
    return record


async def breaker_states(
    *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, health: ProviderHealth
) -> list[BreakerView]:
    """The breaker of each of the tenant's providers, as this process sees it."""
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        providers = await uow.providers.list()
    return health.breakers(caller.tenant_id, providers)


async def list_recorded_results(
    *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, limit: int = 100
) -> list[StoredResult]:
    caller.require(Grant.READ)
    if not 1 <= limit <= MAX_RECORDS:
        raise ValidationFailed(f"limit must be 1-{MAX_RECORDS}")
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.results.list(limit=limit)


async def get_recorded_result(
    key: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory
) -> StoredResult:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        stored = await uow.results.get(key)
    if stored is None:
        raise NotFound("no recorded result for this idempotency key")
    return stored


async def forget_recorded_result(
    key: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory
) -> None:
    """Drop a recorded answer, so the next call with this key contacts a model again."""
    caller.require(Grant.USE)
    async with uow_factory(caller.tenant_id) as uow:
        if not await uow.results.delete(key):
            raise NotFound("no recorded result for this idempotency key")
        await uow.commit()
