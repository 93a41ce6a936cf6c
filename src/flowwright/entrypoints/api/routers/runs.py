"""Runs: start, read, follow live (Server-Sent Events), cancel, resume; and approvals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal, caller_of
from flowwright.tenancy.domain.roles import Permission
from flowwright.workflow.application import run_queries
from flowwright.workflow.domain.runs.state import RunState
from flowwright.workflow.domain.runs.status import TERMINAL_RUN

router = APIRouter(tags=["runs"])

SSE_POLL_SECONDS = 1.0
SSE_KEEPALIVE_SECONDS = 15.0


class RunStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: int | None = Field(default=None, ge=1, description="Pinned version; latest if unset.")
    idempotency_key: str | None = Field(default=None, max_length=200)


class StepOut(BaseModel):
    key: str
    step_id: str
    type: str
    status: str
    attempt: int
    output: Any
    error: dict[str, Any] | None
    reason: str | None
    started_at: datetime | None
    finished_at: datetime | None


class RunOut(BaseModel):
    id: str
    workflow: str
    version: int
    status: str
    reason: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    error: dict[str, Any] | None
    trigger: str
    parent_run_id: str | None
    started_at: datetime | None
    finished_at: datetime | None
    steps: list[StepOut]

    @classmethod
    def of(cls, state: RunState) -> RunOut:
        return cls(
            id=state.run_id,
            workflow=state.workflow_name,
            version=state.version,
            status=state.status.value,
            reason=state.reason,
            inputs=state.inputs,
            outputs=state.outputs,
            error=state.error,
            trigger=state.trigger,
            parent_run_id=state.parent_run_id,
            started_at=state.started_at,
            finished_at=state.finished_at,
            steps=[
                StepOut(
                    key=i.key,
                    step_id=i.step_id,
                    type=i.step_type,
                    status=i.status.value,
                    attempt=i.attempt,
                    output=i.output,
                    error=i.error,
                    reason=i.reason,
                    started_at=i.started_at,
                    finished_at=i.finished_at,
                )
                for i in sorted(state.instances.values(), key=lambda i: i.id)
            ],
        )


class RunSummaryOut(BaseModel):
    id: str
    workflow: str
    version: int
    status: str
    reason: str | None
    trigger: str
    created_at: datetime
    finished_at: datetime | None
    parent_run_id: str | None


class HistoryOut(BaseModel):
    seq: int
    type: str
    step_key: str | None
    attempt: int | None
    data: dict[str, Any]
    at: datetime


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    comment: str | None = Field(default=None, max_length=2000)


class ApprovalOut(BaseModel):
    run_id: str
    step_key: str
    workflow: str
    message: str
    approver_roles: list[str]
    expires_at: datetime | None


@router.post(
    "/workflows/{name}/runs",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    summary="Start a run (idempotent with an Idempotency-Key header or body field)",
    responses={200: {"model": RunOut, "description": "A run with this key exists"}},
)
async def start_run(
    name: str,
    body: RunStart,
    principal: CurrentPrincipal,
    container: ContainerDep,
    response: Response,
    idempotency_key: str | None = Header(default=None, max_length=200),
) -> RunOut:
    principal.require(Permission.RUNS_OPERATE)
    started = await container.run_engine.start_run(
        caller_of(principal),
        name,
        inputs=body.inputs,
        version=body.version,
        idempotency_key=body.idempotency_key or idempotency_key,
    )
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return RunOut.of(started.state)


@router.get("/runs", response_model=list[RunSummaryOut])
async def list_runs(
    principal: CurrentPrincipal,
    container: ContainerDep,
    run_status: str | None = Query(default=None, alias="status"),
    workflow: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    before: str | None = None,
) -> list[RunSummaryOut]:
    principal.require(Permission.RUNS_READ)
    rows = await run_queries.list_runs(
        caller_of(principal),
        container.workflows,
        status=run_status,
        workflow=workflow,
        limit=limit,
        before=before,
    )
    return [RunSummaryOut(**row.__dict__) for row in rows]


@router.get("/runs/{run_id}", response_model=RunOut)
async def get_run(run_id: str, principal: CurrentPrincipal, container: ContainerDep) -> RunOut:
    principal.require(Permission.RUNS_READ)
    return RunOut.of(await container.run_engine.get(caller_of(principal), run_id))


@router.get("/runs/{run_id}/history", response_model=list[HistoryOut])
async def get_history(
    run_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    after: int = Query(default=0, ge=0),
    limit: int = Query(default=500, ge=1, le=5000),
) -> list[HistoryOut]:
    principal.require(Permission.RUNS_READ)
    _, records = await run_queries.history(
        caller_of(principal), container.workflows, run_id, after_seq=after, limit=limit
    )
    return [HistoryOut(**record.__dict__) for record in records]


@router.get(
    "/runs/{run_id}/events",
    summary="The run's history live, as Server-Sent Events",
    response_class=StreamingResponse,
)
async def events(
    run_id: str,
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    last_event_id: str | None = Header(default=None, max_length=20),
    after: int = Query(default=0, ge=0),
) -> StreamingResponse:
    principal.require(Permission.RUNS_READ)
    caller = caller_of(principal)
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after
    await run_queries.history(caller, container.workflows, run_id, after_seq=start, limit=1)

    async def stream() -> AsyncIterator[str]:
        position = start
        signals = container.run_engine.signals
        wake = signals.watch(run_id)
        loop = asyncio.get_running_loop()
        last_sent = loop.time()
        try:
            yield "retry: 2000\n\n"
            while True:
                wake.clear()
                run_status, records = await run_queries.history(
                    caller, container.workflows, run_id, after_seq=position, limit=500
                )
                for record in records:
                    position = record.seq
                    payload = HistoryOut(**record.__dict__).model_dump_json()
                    yield f"id: {record.seq}\nevent: {record.type}\ndata: {payload}\n\n"
                    last_sent = loop.time()
                if not records and run_status in TERMINAL_RUN:
                    return
                if await request.is_disconnected():
                    return
                if loop.time() - last_sent > SSE_KEEPALIVE_SECONDS:
                    yield ": keep-alive\n\n"
                    last_sent = loop.time()
                if len(records) < 500:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), SSE_POLL_SECONDS)
        finally:
            signals.unwatch(run_id, wake)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/runs/{run_id}/cancel", response_model=RunOut)
async def cancel(run_id: str, principal: CurrentPrincipal, container: ContainerDep) -> RunOut:
    principal.require(Permission.RUNS_OPERATE)
    return RunOut.of(await container.run_engine.cancel(caller_of(principal), run_id))


@router.post(
    "/runs/{run_id}/resume",
    response_model=RunOut,
    summary="Resume a failed, cancelled or timed-out run from its unfinished steps",
)
async def resume(run_id: str, principal: CurrentPrincipal, container: ContainerDep) -> RunOut:
    principal.require(Permission.RUNS_OPERATE)
    return RunOut.of(await container.run_engine.resume(caller_of(principal), run_id))


@router.get("/approvals", response_model=list[ApprovalOut])
async def approvals(principal: CurrentPrincipal, container: ContainerDep) -> list[ApprovalOut]:
    principal.require(Permission.RUNS_READ)
    waiting = await run_queries.waiting_approvals(caller_of(principal), container.workflows)
    return [ApprovalOut(**w.__dict__) for w in waiting]


@router.post(
    "/runs/{run_id}/approvals/{step_key:path}",
    response_model=RunOut,
    summary="Approve or reject a waiting approval step",
)
async def decide(
    run_id: str, step_key: str, body: Decision, principal: CurrentPrincipal, container: ContainerDep
) -> RunOut:
    principal.require(Permission.APPROVALS_DECIDE)
    state = await container.run_engine.decide(
        caller_of(principal),
        run_id,
        step_key,
        approved=body.decision == "approve",
        comment=body.comment,
    )
    return RunOut.of(state)
