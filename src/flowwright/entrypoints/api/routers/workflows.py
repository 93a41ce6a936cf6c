"""Workflows and versions: validate, push, list, show, diff, graph, and the DSL's JSON Schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal, caller_of
from flowwright.tenancy.domain.roles import Permission
from flowwright.workflow.application import versions as use_cases
from flowwright.workflow.domain.dsl import CompileResult, workflow_json_schema
from flowwright.workflow.domain.versions import Workflow, WorkflowVersion

router = APIRouter(tags=["workflows"])
public_router = APIRouter(tags=["workflows"])

MAX_SOURCE = 1_048_576


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(max_length=MAX_SOURCE, description="The definition, YAML or JSON.")
    filename: str = Field(default="<input>", max_length=200)


class PushIn(SourceIn):
    message: str | None = Field(default=None, max_length=500)


class DiagnosticOut(BaseModel):
    code: str
    severity: str
    message: str
    path: str
    line: int
    column: int
    hint: str | None


class ValidationOut(BaseModel):
    ok: bool
    diagnostics: list[DiagnosticOut]
    content_hash: str | None
    graph: dict[str, Any] | None
    mermaid: str | None


class WorkflowOut(BaseModel):
    id: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, workflow: Workflow) -> WorkflowOut:
        return cls(
            id=workflow.id,
            name=workflow.name,
            description=workflow.description,
            latest_version=workflow.latest_version,
            created_at=workflow.created_at,
            updated_at=workflow.updated_at,
        )


class VersionOut(BaseModel):
    id: str
    workflow: str
    version: int
    content_hash: str
    created_at: datetime
    created_by: str | None
    message: str | None


class VersionDetailOut(VersionOut):
    source: str
    definition: dict[str, Any]
    graph: dict[str, Any]
    mermaid: str


class PushOut(BaseModel):
    created: bool = Field(description="False when the definition equals the latest version.")
    workflow: WorkflowOut
    version: VersionOut
    warnings: list[DiagnosticOut]


def _diagnostics(result: CompileResult) -> list[DiagnosticOut]:
    return [
        DiagnosticOut(
            code=str(d.code),
            severity=str(d.severity),
            message=d.message,
            path=d.path,
            line=d.line,
            column=d.column,
            hint=d.hint,
        )
        for d in result.diagnostics
    ]


def _version(name: str, version: WorkflowVersion) -> VersionOut:
    return VersionOut(
        id=version.id,
        workflow=name,
        version=version.version,
        content_hash=version.content_hash,
        created_at=version.created_at,
        created_by=version.created_by,
        message=version.message,
    )


@router.post(
    "/workflows/validate",
    response_model=ValidationOut,
    summary="Compile a definition against this tenant without saving it",
)
async def validate(
    body: SourceIn, principal: CurrentPrincipal, container: ContainerDep
) -> ValidationOut:
    principal.require(Permission.WORKFLOWS_READ)
    result = await use_cases.validate(
        body.source,
        caller=caller_of(principal),
        uow_factory=container.workflows,
        installation=container.installation,
        filename=body.filename,
    )
    return ValidationOut(
        ok=result.ok,
        diagnostics=_diagnostics(result),
        content_hash=result.content_hash,
        graph=result.graph.to_dict() if result.graph else None,
        mermaid=result.graph.to_mermaid() if result.graph else None,
    )


@router.post(
    "/workflows",
    response_model=PushOut,
    status_code=status.HTTP_201_CREATED,
    summary="Publish a definition: a new version unless it equals the latest",
    responses={200: {"model": PushOut, "description": "Unchanged: no new version"}},
)
async def push(
    body: PushIn, principal: CurrentPrincipal, container: ContainerDep, response: Response
) -> PushOut:
    principal.require(Permission.WORKFLOWS_WRITE)
    pushed = await use_cases.push(
        body.source,
        caller=caller_of(principal),
        uow_factory=container.workflows,
        installation=container.installation,
        clock=container.clock,
        message=body.message,
        filename=body.filename,
    )
    if not pushed.created:
        response.status_code = status.HTTP_200_OK
    return PushOut(
        created=pushed.created,
        workflow=WorkflowOut.of(pushed.workflow),
        version=_version(pushed.workflow.name, pushed.version),
        warnings=[d for d in _diagnostics(pushed.result) if d.severity == "warning"],
    )


@router.get("/workflows", response_model=list[WorkflowOut])
async def list_workflows(principal: CurrentPrincipal, container: ContainerDep) -> list[WorkflowOut]:
    principal.require(Permission.WORKFLOWS_READ)
    workflows = await use_cases.list_workflows(
        caller=caller_of(principal), uow_factory=container.workflows
    )
    return [WorkflowOut.of(w) for w in workflows]


@router.get(
    "/workflows/{name}",
    response_model=VersionDetailOut,
    summary="A workflow's latest version, or the one given by ?version=N",
)
async def show(
    name: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    version: int | None = Query(default=None, ge=1),
) -> VersionDetailOut:
    principal.require(Permission.WORKFLOWS_READ)
    workflow, stored = await use_cases.get_version(
        name, version, caller=caller_of(principal), uow_factory=container.workflows
    )
    result = use_cases.compiled(stored)
    assert result.graph is not None
    return VersionDetailOut(
        **_version(workflow.name, stored).model_dump(),
        source=stored.source,
        definition=stored.definition,
        graph=result.graph.to_dict(),
        mermaid=result.graph.to_mermaid(),
    )


@router.get("/workflows/{name}/versions", response_model=list[VersionOut])
async def versions(
    name: str, principal: CurrentPrincipal, container: ContainerDep
) -> list[VersionOut]:
    principal.require(Permission.WORKFLOWS_READ)
    workflow, stored = await use_cases.list_versions(
        name, caller=caller_of(principal), uow_factory=container.workflows
    )
    return [_version(workflow.name, v) for v in stored]


@router.get("/workflows/{name}/diff", summary="What changed between two versions")
async def diff(
    name: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    from_version: int = Query(alias="from", ge=1),
    to_version: int = Query(alias="to", ge=1),
) -> JSONResponse:
    principal.require(Permission.WORKFLOWS_READ)
    result = await use_cases.diff_versions(
        name, from_version, to_version, caller=caller_of(principal), uow_factory=container.workflows
    )
    return JSONResponse(
        {
            "workflow": name,
            "from": from_version,
            "to": to_version,
            "summary": result.summary(),
            **result.to_dict(),
        }
    )


@router.get("/workflows/{name}/graph", summary="The graph of a version, as JSON or Mermaid")
async def graph(
    name: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    version: int | None = Query(default=None, ge=1),
    format: Literal["json", "mermaid"] = "json",
) -> Response:
    principal.require(Permission.WORKFLOWS_READ)
    _, stored = await use_cases.get_version(
        name, version, caller=caller_of(principal), uow_factory=container.workflows
    )
    result = use_cases.compiled(stored)
    assert result.graph is not None
    if format == "mermaid":
        return PlainTextResponse(result.graph.to_mermaid())
    return JSONResponse(result.graph.to_dict())


@public_router.get("/schemas/workflow-v1.json", summary="The JSON Schema of the DSL")
async def schema() -> JSONResponse:
    return JSONResponse(workflow_json_schema(), media_type="application/schema+json")
