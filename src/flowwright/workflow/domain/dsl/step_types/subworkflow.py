"""``subworkflow``: run another workflow of the tenant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import FieldName, JSONValue, WorkflowName
from flowwright.workflow.domain.dsl.paths import DEEP
from flowwright.workflow.domain.dsl.registry import (
    STEP_TYPES,
    CheckContext,
    ShapeContext,
    StepTypeSpec,
)
from flowwright.workflow.domain.dsl.shapes import ANY, Shape, obj, scalar
from flowwright.workflow.domain.dsl.step_base import StepBase
from flowwright.workflow.domain.dsl.suggest import did_you_mean


class SubworkflowStep(StepBase):
    """Starts ``workflow`` with ``inputs``; when ``wait`` its outputs become this output."""

    type: Literal["subworkflow"]
    workflow: WorkflowName
    version: int | None = Field(None, ge=1, description="Pinned version; latest when omitted.")
    inputs: dict[FieldName, JSONValue] = Field(default_factory=dict)
    wait: bool = Field(True, description="false: start it and go on at once.")


def _check(step: SubworkflowStep, context: CheckContext) -> None:
    if context.workflow_name is not None and step.workflow == context.workflow_name:
        context.report(
            Code.SELF_SUBWORKFLOW,
            f"workflow {step.workflow!r} cannot call itself",
            ("workflow",),
            hint="use a foreach or a separate workflow instead of recursion",
        )
        return
    known = context.options.known_workflows
    if known is not None and step.workflow not in known:
        context.report(
            Code.UNKNOWN_WORKFLOW,
            f"there is no workflow named {step.workflow!r}",
            ("workflow",),
            hint=did_you_mean(step.workflow, known) or "publish that workflow first",
        )


def _shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    if raw.get("wait") is False:
        return obj(run_id=scalar("string"))
    return ANY


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="subworkflow",
        model=SubworkflowStep,
        summary="Run another workflow and use its outputs.",
        template_fields=(("inputs", DEEP),),
        output_shape=_shape,
        check=_check,
        output_doc="The child run's outputs when `wait` is true, else `{run_id}`.",
        example="""\
- id: provision
  type: subworkflow
  workflow: provision-account
  version: 3
  inputs:
    email: ${{ inputs.customer.email }}
""",
    )
)
