"""Use cases on workflows and versions: validate, push, read, diff, graph."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.workflow.application.ports import WorkflowUnitOfWork, WorkflowUnitOfWorkFactory
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.dsl import (
    CompileOptions,
    CompileResult,
    WorkflowDiff,
    canonical_data,
    compile_workflow,
    diff_definitions,
)
from flowwright.workflow.domain.dsl.models import WorkflowDefinition
from flowwright.workflow.domain.events import WorkflowVersionPublished
from flowwright.workflow.domain.versions import Workflow, WorkflowVersion

MAX_SOURCE_BYTES = 1_048_576


class InvalidDefinition(ValidationFailed):
    """The definition does not compile; ``details["diagnostics"]`` lists every finding."""

    code = "invalid_definition"


@dataclass(frozen=True)
class Pushed:
    workflow: Workflow
    version: WorkflowVersion
    created: bool
    result: CompileResult


@dataclass(frozen=True)
class Installation:
    """What this installation can run; a type missing here is refused at publish time."""

    available_step_types: frozenset[str]


async def tenant_options(
    uow: WorkflowUnitOfWork, installation: Installation, workflow_name: str | None
) -> CompileOptions:
    paths = {
        path: owner
        for path, owner in (await uow.workflows.webhook_paths()).items()
        if owner != workflow_name
    }
    return CompileOptions(
        available_step_types=installation.available_step_types,
        taken_webhook_paths=paths,
        known_workflows=await uow.workflows.names() | ({workflow_name} if workflow_name else set()),
    )


async def validate(
    source: str,
    *,
    caller: Caller,
    uow_factory: WorkflowUnitOfWorkFactory,
    installation: Installation,
    filename: str = "<input>",
) -> CompileResult:
    """Compile against this tenant (its webhook paths and workflows) without saving anything."""
    async with uow_factory(caller.tenant_id) as uow:
        options = await tenant_options(uow, installation, _declared_name(source))
    return compile_workflow(source, filename=filename, options=options)


async def push(
    source: str,
    *,
    caller: Caller,
    uow_factory: WorkflowUnitOfWorkFactory,
    installation: Installation,
    clock: Clock,
    message: str | None = None,
    filename: str = "<input>",
) -> Pushed:
    if len(source.encode()) > MAX_SOURCE_BYTES:
        raise ValidationFailed(f"definition larger than {MAX_SOURCE_BYTES} bytes")
    async with uow_factory(caller.tenant_id) as uow:
        options = await tenant_options(uow, installation, _declared_name(source))
        result = compile_workflow(source, filename=filename, options=options)
        if not result.ok or result.definition is None or result.content_hash is None:
            raise InvalidDefinition(
                f"the definition has {len(result.errors)} error(s); nothing was saved",
                details={"diagnostics": [_diagnostic(d) for d in result.diagnostics]},
            )
        definition = result.definition
        name = definition.metadata.name
        now = clock.now()
        workflow = await uow.workflows.get_by_name(name)
        if workflow is not None:
            latest = await uow.workflows.get_version(workflow.id, workflow.latest_version)
            if latest is not None and latest.content_hash == result.content_hash:
                return Pushed(workflow, latest, created=False, result=result)
        if workflow is None:
            workflow = Workflow(
                id=new_id(),
                tenant_id=caller.tenant_id,
                name=name,
                description=definition.metadata.description or "",
                latest_version=0,
                created_at=now,
                updated_at=now,
                created_by=caller.user_id,
            )
            await uow.workflows.add(workflow)
        workflow.latest_version += 1
        workflow.updated_at = now
        workflow.description = definition.metadata.description or ""
        version = WorkflowVersion(
            id=new_id(),
            tenant_id=caller.tenant_id,
            workflow_id=workflow.id,
            version=workflow.latest_version,
            content_hash=result.content_hash,
            source=source,
            definition=canonical_data(definition),
            created_at=now,
            created_by=caller.user_id,
            message=message,
        )
        await uow.workflows.update(workflow)
        await uow.workflows.add_version(version)
        await uow.workflows.set_webhook_paths(workflow.id, webhook_paths(definition), at=now)
        uow.emit(
            WorkflowVersionPublished(
                tenant_id=caller.tenant_id,
                workflow=name,
                version=version.version,
                content_hash=version.content_hash,
                published_by=caller.user_id,
            )
        )
        await uow.commit()
        return Pushed(workflow, version, created=True, result=result)


def webhook_paths(definition: WorkflowDefinition) -> list[str]:
    return sorted(
        str(getattr(trigger, "path", ""))
        for trigger in definition.triggers
        if getattr(trigger, "type", None) == "webhook"
    )


async def list_workflows(
    *, caller: Caller, uow_factory: WorkflowUnitOfWorkFactory
) -> list[Workflow]:
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.workflows.list()


async def get_version(
    name: str, number: int | None, *, caller: Caller, uow_factory: WorkflowUnitOfWorkFactory
) -> tuple[Workflow, WorkflowVersion]:
    async with uow_factory(caller.tenant_id) as uow:
        return await load_version(uow, name, number)


async def load_version(
    uow: WorkflowUnitOfWork, name: str, number: int | None
) -> tuple[Workflow, WorkflowVersion]:
    workflow = await uow.workflows.get_by_name(name)
    if workflow is None:
        raise NotFound(f"workflow '{name}' not found")
    version = await uow.workflows.get_version(workflow.id, number or workflow.latest_version)
    if version is None:
        raise NotFound(f"workflow '{name}' has no version {number}")
    return workflow, version


async def list_versions(
    name: str, *, caller: Caller, uow_factory: WorkflowUnitOfWorkFactory
) -> tuple[Workflow, list[WorkflowVersion]]:
    async with uow_factory(caller.tenant_id) as uow:
        workflow = await uow.workflows.get_by_name(name)
        if workflow is None:
            raise NotFound(f"workflow '{name}' not found")
        return workflow, await uow.workflows.list_versions(workflow.id)


async def diff_versions(
    name: str, old: int, new: int, *, caller: Caller, uow_factory: WorkflowUnitOfWorkFactory
) -> WorkflowDiff:
    async with uow_factory(caller.tenant_id) as uow:
        _, before = await load_version(uow, name, old)
        _, after = await load_version(uow, name, new)
    return diff_definitions(definition_of(before), definition_of(after))


def definition_of(version: WorkflowVersion) -> WorkflowDefinition:
    return compiled(version).definition  # type: ignore[return-value]


_COMPILED: dict[str, CompileResult] = {}


def compiled(version: WorkflowVersion) -> CompileResult:
    """The stored source compiled again (once per process): versions are immutable."""
    result = _COMPILED.get(version.id)
    if result is None:
        result = compile_workflow(version.source, options=CompileOptions())
        if not result.ok:
            raise ValidationFailed(f"stored version {version.version} no longer compiles")
        if len(_COMPILED) > 512:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[version.id] = result
    return result


def _declared_name(source: str) -> str | None:
    match = re.search(r"^\s*name:\s*['\"]?([a-z][a-z0-9-]{0,62})", source, re.MULTILINE)
    return match.group(1) if match else None


def _diagnostic(d: Any) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "hint": d.hint,
    }
