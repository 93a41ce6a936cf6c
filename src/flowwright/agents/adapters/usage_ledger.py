"""The SQL usage ledger: each model call's usage records, kept answer and budget counters.

It writes on every model call, so it does without the unit of work's session: one connection, the
tenant's scope, then all statements and the commit handed to the driver at once (each hand-over
between the event loop and the driver costs about as much as a small statement). It emits no
events: the monthly budget warning is claimed in a unit of work of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, case, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from flowwright.agents.adapters.tables import llm_budgets, llm_usage
from flowwright.agents.adapters.usage_repositories import budget_of, kept_result, usage_row
from flowwright.agents.application.ports import BudgetCharge, StoredResult
from flowwright.agents.domain.budget import Budget
from flowwright.agents.domain.usage import UsageRecord
from flowwright.kernel.adapters.database import open_scoped, tenant_scope

_ADD_RECORDS = insert(llm_usage)
_same_month = llm_budgets.c.period == bindparam("month")
# The counters come back from the update itself: the caller never reads them again.
_CHARGE_BUDGET = (
    update(llm_budgets)
    .where(llm_budgets.c.tenant_id == bindparam("budget_tenant"))
    .values(
        used_tokens=case(
            (_same_month, llm_budgets.c.used_tokens + bindparam("tokens", type_=BigInteger)),
            else_=bindparam("tokens", type_=BigInteger),
        ),
        used_micros=case(
            (_same_month, llm_budgets.c.used_micros + bindparam("micros", type_=BigInteger)),
            else_=bindparam("micros", type_=BigInteger),
        ),
        period=bindparam("month"),
    )
    .returning(*llm_budgets.c)
)


class SqlUsageLedger:
    """Satisfies :class:`flowwright.agents.application.ports.UsageLedger`."""

    def __init__(self, engine: AsyncEngine, app_role: str) -> None:
        self._engine = engine
        self._app_role = app_role

    async def record(
        self,
        tenant_id: str,
        records: Sequence[UsageRecord],
        *,
        stored: StoredResult | None = None,
        charge: BudgetCharge | None = None,
    ) -> Budget | None:
        rows = [usage_row(record, tenant_id) for record in records]
        connection = await open_scoped(
            self._engine.connect, tenant_scope(tenant_id), self._app_role
        )
        try:
            return await connection.run_sync(_write, tenant_id, rows, stored, charge)
        finally:
            await connection.close()


def _write(
    connection: Connection,
    tenant_id: str,
    rows: list[dict[str, Any]],
    stored: StoredResult | None,
    charge: BudgetCharge | None,
) -> Budget | None:
    if rows:
        connection.execute(_ADD_RECORDS, rows)
    if stored is not None:
        connection.execute(kept_result(connection.dialect.name, tenant_id, stored))
    budget = None
    if charge is not None:
        # Last, so that the budget row, which every call of the tenant updates, is locked only
        # until the commit that follows.
        charged = connection.execute(
            _CHARGE_BUDGET,
            {
                "budget_tenant": tenant_id,
                "month": charge.period,
                "tokens": charge.tokens,
                "micros": charge.micros,
            },
        )
        row = charged.mappings().first()
        budget = budget_of(row) if row else None
    connection.commit()
    return budget
