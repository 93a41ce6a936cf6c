"""SQL repositories of budgets, usage records and recorded call results (one tenant each)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, RowMapping, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from flowwright.agents.adapters.catalog_repositories import TenantScoped
from flowwright.agents.adapters.tables import llm_budgets, llm_call_results, llm_usage
from flowwright.agents.application.ports import StoredResult
from flowwright.agents.domain.budget import Budget
from flowwright.agents.domain.usage import CallContext, Outcome, UsageGroup, UsageRecord
from flowwright.kernel.adapters.database import dialect_name
from flowwright.kernel.ids import new_id

_CONTEXT_FIELDS = ("run_id", "step_id", "workflow_id", "agent", "conversation_id", "user_id")

_ADD_RECORDS = insert(llm_usage)  # built once: usage is added on every model call


class SqlBudgetRepository(TenantScoped):
    async def get(self) -> Budget | None:
        query = select(llm_budgets).where(llm_budgets.c.tenant_id == self._tenant_id)
        row = (await self._session.execute(query)).mappings().first()
        return budget_of(row) if row else None

    async def save(self, budget: Budget) -> None:
        values = {
            "token_limit": budget.token_limit,
            "cost_limit_micros": budget.cost_limit_micros,
            "warn_percent": budget.warn_percent,
            "period": budget.period,
            "used_tokens": budget.used_tokens,
            "used_micros": budget.used_micros,
            "warned_period": budget.warned_period,
            "stopped_period": budget.stopped_period,
            "updated_at": budget.updated_at,
        }
        changed = await self._session.execute(
            update(llm_budgets).where(llm_budgets.c.tenant_id == self._tenant_id).values(**values)
        )
        if getattr(changed, "rowcount", 0) == 0:
            await self._session.execute(
                insert(llm_budgets).values(
                    id=budget.id,
                    tenant_id=self._tenant_id,
                    created_at=budget.created_at,
                    **values,
                )
            )

    async def delete(self) -> bool:
        result = await self._session.execute(
            delete(llm_budgets).where(llm_budgets.c.tenant_id == self._tenant_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claim_warning(self, period: str) -> bool:
        return await self._claim(llm_budgets.c.warned_period, period)

    async def claim_stop_notice(self, period: str) -> bool:
        return await self._claim(llm_budgets.c.stopped_period, period)

    async def _claim(self, column: Any, period: str) -> bool:
        result = await self._session.execute(
            update(llm_budgets)
            .where(
                llm_budgets.c.tenant_id == self._tenant_id,
                or_(column.is_(None), column != period),
            )
            .values({column.name: period})
        )
        return getattr(result, "rowcount", 0) == 1


def budget_of(row: RowMapping) -> Budget:
    return Budget(
        id=row["id"],
        tenant_id=row["tenant_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        token_limit=row["token_limit"],
        cost_limit_micros=row["cost_limit_micros"],
        warn_percent=int(row["warn_percent"]),
        period=row["period"],
        used_tokens=int(row["used_tokens"]),
        used_micros=int(row["used_micros"]),
        warned_period=row["warned_period"],
        stopped_period=row["stopped_period"],
    )


class SqlUsageRepository(TenantScoped):
    async def add(self, records: Sequence[UsageRecord]) -> None:
        if records:
            await self._session.execute(
                _ADD_RECORDS, [usage_row(r, self._tenant_id) for r in records]
            )

    async def get(self, record_id: str) -> UsageRecord | None:
        query = select(llm_usage).where(
            llm_usage.c.tenant_id == self._tenant_id, llm_usage.c.id == record_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _record(row) if row else None

    async def list(
        self, *, since: datetime, until: datetime, run_id: str | None = None, limit: int = 100
    ) -> builtins.list[UsageRecord]:
        query = select(llm_usage).where(*self._window(since, until))
        if run_id is not None:
            query = query.where(llm_usage.c.run_id == run_id)
        query = query.order_by(llm_usage.c.id.desc()).limit(limit)
        return [_record(row) for row in (await self._session.execute(query)).mappings()]

    async def aggregate(
        self, *, group_by: str, since: datetime, until: datetime
    ) -> builtins.list[UsageGroup]:
        key = {
            "day": llm_usage.c.day,
            "model": llm_usage.c.model,
            "workflow": llm_usage.c.workflow_id,
            "run": llm_usage.c.run_id,
        }[group_by]
        ok = case((llm_usage.c.outcome == Outcome.OK.value, 1), else_=0)
        unpriced = case(
            (
                (llm_usage.c.outcome == Outcome.OK.value) & (llm_usage.c.priced.is_(False)),
                1,
            ),
            else_=0,
        )
        query = (
            select(
                key.label("key"),
                func.sum(ok).label("calls"),
                func.count().label("attempts"),
                func.sum(llm_usage.c.input_tokens).label("input_tokens"),
                func.sum(llm_usage.c.output_tokens).label("output_tokens"),
                func.sum(llm_usage.c.cost_micros).label("cost_micros"),
                func.sum(unpriced).label("unpriced"),
            )
            .where(*self._window(since, until))
            .group_by(key)
            .order_by(key)
        )
        return [
            UsageGroup(
                key=row["key"],
                calls=int(row["calls"] or 0),
                failed_calls=int(row["attempts"] or 0) - int(row["calls"] or 0),
                input_tokens=int(row["input_tokens"] or 0),
                output_tokens=int(row["output_tokens"] or 0),
                cost_micros=int(row["cost_micros"] or 0),
                unpriced_calls=int(row["unpriced"] or 0),
            )
            for row in (await self._session.execute(query)).mappings()
        ]

    async def totals(self, *, since: datetime, until: datetime) -> tuple[int, int]:
        query = select(
            func.coalesce(func.sum(llm_usage.c.input_tokens + llm_usage.c.output_tokens), 0),
            func.coalesce(func.sum(llm_usage.c.cost_micros), 0),
        ).where(*self._window(since, until))
        tokens, micros = (await self._session.execute(query)).one()
        return int(tokens), int(micros)

    def _window(self, since: datetime, until: datetime) -> tuple[Any, ...]:
        return (
            llm_usage.c.tenant_id == self._tenant_id,
            llm_usage.c.created_at >= since,
            llm_usage.c.created_at < until,
        )


def usage_row(record: UsageRecord, tenant_id: str) -> dict[str, Any]:
    if record.tenant_id != tenant_id:
        raise RuntimeError("usage record belongs to another tenant")
    row: dict[str, Any] = {
        "id": record.id,
        "tenant_id": record.tenant_id,
        "created_at": record.created_at,
        "day": record.day,
        "alias": record.alias,
        "provider": record.provider,
        "model": record.model,
        "operation": record.operation,
        "outcome": record.outcome.value,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "cost_micros": record.cost_micros,
        "priced": record.priced,
        "latency_ms": record.latency_ms,
        "fallback_path": list(record.fallback_path),
    }
    row.update({name: getattr(record.context, name) for name in _CONTEXT_FIELDS})
    return row


def _record(row: RowMapping) -> UsageRecord:
    return UsageRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        created_at=row["created_at"],
        alias=row["alias"],
        provider=row["provider"],
        model=row["model"],
        operation=row["operation"],
        outcome=Outcome(row["outcome"]),
        input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]),
        cost_micros=int(row["cost_micros"]),
        priced=bool(row["priced"]),
        latency_ms=int(row["latency_ms"]),
        fallback_path=tuple(row["fallback_path"]),
        context=CallContext(**{name: row[name] for name in _CONTEXT_FIELDS}),
    )


class SqlCallResultRepository(TenantScoped):
    async def get(self, idempotency_key: str) -> StoredResult | None:
        query = select(llm_call_results).where(
            llm_call_results.c.tenant_id == self._tenant_id,
            llm_call_results.c.idempotency_key == idempotency_key,
        )
        row = (await self._session.execute(query)).mappings().first()
        return _stored(row) if row else None

    async def put(self, result: StoredResult) -> None:
        await self._session.execute(
            kept_result(dialect_name(self._session), self._tenant_id, result)
        )

    async def list(self, *, limit: int = 100) -> builtins.list[StoredResult]:
        query = (
            select(llm_call_results)
            .where(llm_call_results.c.tenant_id == self._tenant_id)
            .order_by(llm_call_results.c.id.desc())
            .limit(limit)
        )
        return [_stored(row) for row in (await self._session.execute(query)).mappings()]

    async def delete(self, idempotency_key: str) -> bool:
        result = await self._session.execute(
            delete(llm_call_results).where(
                llm_call_results.c.tenant_id == self._tenant_id,
                llm_call_results.c.idempotency_key == idempotency_key,
            )
        )
        return bool(getattr(result, "rowcount", 0))


def _stored(row: RowMapping) -> StoredResult:
    return StoredResult(
        idempotency_key=row["idempotency_key"],
        kind=row["kind"],
        payload=row["payload"],
        created_at=row["created_at"],
    )


def kept_result(dialect: str, tenant_id: str, result: StoredResult) -> Insert:
    """The insert that keeps ``result``: the first recorded answer wins, a concurrent duplicate
    is dropped rather than an error."""
    factory = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        factory(llm_call_results)
        .values(
            id=new_id(),
            tenant_id=tenant_id,
            idempotency_key=result.idempotency_key,
            kind=result.kind,
            payload=result.payload,
            created_at=result.created_at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    )
