"""What an expression of a step instance can see: inputs, vars, run fields, the finished steps of
its own scope and of every enclosing scope (for compensation steps, the top-level steps), and the
item and index of its foreach iteration."""

from __future__ import annotations

from typing import Any

from flowwright.workflow.domain.runs.keys import COMPENSATION_SCOPE, ROOT
from flowwright.workflow.domain.runs.state import Instance, RunState
from flowwright.workflow.domain.runs.status import StepStatus

_VISIBLE = frozenset({StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED})


def run_fields(state: RunState) -> dict[str, Any]:
    return {
        "id": state.run_id,
        "workflow": state.workflow_name,
        "version": state.version,
        "tenant": state.tenant_id,
        "started_at": state.started_at.isoformat(),
    }


def context_for(
    state: RunState, scope_key: str, *, secrets: dict[str, Any] | None = None
) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    context: dict[str, Any] = {
        "inputs": state.inputs,
        "vars": state.vars,
        "run": run_fields(state),
        "steps": steps,
        "secrets": secrets or {},
    }
    found_item = False
    current = scope_key
    while True:
        for step_id, instance in state.scope(current).items():
            if step_id not in steps and instance.status in _VISIBLE:
                steps[step_id] = _view(instance)
        container = state.container_of(current)
        if container is None:
            if current.startswith(COMPENSATION_SCOPE):
                current = ROOT  # compensation steps read the top-level steps they undo
                continue
            break
        container_instance, position = container
        if isinstance(position, int) and not found_item:
            found_item = True
            items = container_instance.state.get("items", [])
            context["item"] = items[position] if position < len(items) else None
            context["index"] = position
        current = container_instance.scope_key
    return context


def _view(instance: Instance) -> dict[str, Any]:
    return {
        "output": instance.output,
        "status": instance.status.value,
        "error": instance.error,
    }
