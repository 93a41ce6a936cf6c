"""Dry runs: a draft run through the engine's own step progression, without any effect.

Compute-only steps (transform, switch, parallel, foreach) run for real. Every step with effects
is simulated and labelled so: an ``llm`` step answers a value built from its ``output_schema``
(or a placeholder text), an ``http`` step answers ``200`` with an empty body, a subworkflow
answers an empty object. Delays fire at once and approvals are approved. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import ValidationFailed
from flowwright.workflow.application.engine import validated_inputs
from flowwright.workflow.application.ports import WorkflowUnitOfWorkFactory
from flowwright.workflow.application.versions import Installation, validate
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.local_steps import (
    LOCAL_TYPES,
    decide_approval,
    fire_timer,
    run_local_step,
)
from flowwright.workflow.domain.runs.plan import RunPlan, build_plan
from flowwright.workflow.domain.runs.progress import RunProgress
from flowwright.workflow.domain.runs.state import RunState
from flowwright.workflow.domain.runs.status import TERMINAL_RUN, RunStatus, StepStatus

MAX_TRANSITIONS = 2_000
SIMULATED_TEXT = "[simulated llm answer]"


@dataclass(frozen=True)
class DryRun:
    status: str
    outputs: Any
    error: dict[str, Any] | None
    steps: list[dict[str, Any]]
    #: Step keys whose outcome was simulated, with how.
    simulated: dict[str, str]


async def dry_run(
    source: str,
    inputs: dict[str, Any],
    *,
    caller: Caller,
    uow_factory: WorkflowUnitOfWorkFactory,
    installation: Installation,
    clock: Clock,
) -> DryRun:
    result = await validate(
        source, caller=caller, uow_factory=uow_factory, installation=installation
    )
    if not result.ok or result.plan is None or result.definition is None:
        raise ValidationFailed("the draft does not compile; fix it before a dry run")
    plan = build_plan(result.plan)
    now = clock.now()
    state = RunState(
        run_id="dry-run",
        tenant_id=caller.tenant_id,
        workflow_name=result.definition.metadata.name,
        version=0,
        status=RunStatus.QUEUED,
        inputs=validated_inputs(plan, inputs),
        started_at=now,
    )
    simulated: dict[str, str] = {}

    def apply(change: Any) -> None:
        progress = RunProgress(plan, state, now)
        change(progress)
        while progress.ready:
            key = progress.ready.pop(0)
            instance = state.instances[key]
            if instance.status is StepStatus.READY and instance.step_type in LOCAL_TYPES:
                run_local_step(progress, key)
        progress.refresh_status()

    apply(lambda p: p.start())
    for _ in range(MAX_TRANSITIONS):
        if state.status in TERMINAL_RUN:
            break
        ready = [
            i
            for i in state.instances.values()
            if i.status is StepStatus.READY and i.step_type not in LOCAL_TYPES
        ]
        waiting = [i for i in state.instances.values() if i.status is StepStatus.WAITING]
        if ready:
            instance = ready[0]
            instance.status = StepStatus.RUNNING
            instance.attempt += 1
            instance.started_at = now
            output, how = _simulate(plan, instance.step_id, instance.step_type)
            simulated[instance.key] = how
            key = instance.key
            apply(lambda p, key=key, output=output: p.succeed(key, output))
        elif approvals := [i for i in waiting if i.step_type == "approval"]:
            key = approvals[0].key
            simulated[key] = "approved without asking anyone"
            apply(
                lambda p, key=key: decide_approval(
                    p, key, approved=True, decided_by="dry-run", comment="dry run"
                )
            )
        elif timers := [i for i in waiting if i.wake_at is not None]:
            key = timers[0].key
            simulated[key] = "the wait was skipped"
            apply(lambda p, key=key: fire_timer(p, key))
        else:
            break
    return DryRun(
        status=state.status.value,
        outputs=state.outputs,
        error=state.error,
        steps=[
            {
                "key": i.key,
                "type": i.step_type,
                "status": i.status.value,
                "output": i.output,
                "error": i.error,
                "simulated": i.key in simulated,
            }
            for i in state.instances.values()
        ],
        simulated=simulated,
    )


def _simulate(plan: RunPlan, step_id: str, step_type: str) -> tuple[Any, str]:
    model: Any = plan.steps[step_id].model
    if step_type == "llm":
        schema = getattr(model, "output_schema", None)
        if schema is not None:
            return sample(schema), "llm answer built from its output_schema"
        return SIMULATED_TEXT, "llm answer is placeholder text"
    if step_type == "http":
        return {"status": 200, "headers": {}, "body": None}, "http answered 200, empty body"
    return {}, f"{step_type} answered an empty object"


def sample(schema: Any) -> Any:
    """A value matching a simple JSON Schema: first enum/const, defaults, empty strings."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(schema[key][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: sample(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [sample(schema["items"])] * int(schema.get("minItems", 0) or 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "simulated"
