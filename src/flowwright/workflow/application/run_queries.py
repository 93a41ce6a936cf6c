"""Read models of runs: lists, history pages, and the approvals waiting for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowwright.kernel.errors import NotFound
from flowwright.workflow.application.ports import EngineUnitOfWorkFactory
from flowwright.workflow.domain.caller import Caller


@dataclass(frozen=True)
class WaitingApproval:
    run_id: str
    step_key: str
    workflow: str
    message: str
    approver_roles: list[str]
    expires_at: datetime | None


async def list_runs(
    caller: Caller,
    uow_factory: EngineUnitOfWorkFactory,
    *,
    status: str | None = None,
    workflow: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[Any]:
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.runs.list_runs(
            status=status, workflow=workflow, limit=limit, before=before
        )


async def history(
    caller: Caller,
    uow_factory: EngineUnitOfWorkFactory,
    run_id: str,
    *,
    after_seq: int = 0,
    limit: int = 500,
) -> tuple[str, list[Any]]:
    """The run's status and its history entries after ``after_seq``, in order."""
    async with uow_factory(caller.tenant_id) as uow:
        state = await uow.runs.load(run_id, lock=False)
        if state is None:
            raise NotFound("run not found")
        return state.status.value, await uow.runs.history(run_id, after_seq=after_seq, limit=limit)


async def waiting_approvals(
    caller: Caller, uow_factory: EngineUnitOfWorkFactory
) -> list[WaitingApproval]:
    async with uow_factory(caller.tenant_id) as uow:
        rows = await uow.runs.waiting_approvals()
    return [
        WaitingApproval(
            run_id=run_id,
            step_key=key,
            workflow=workflow,
            message=str(state.get("message", "")),
            approver_roles=list(state.get("approver_roles") or []),
            expires_at=wake_at,
        )
        for run_id, key, workflow, state, wake_at in rows
    ]
