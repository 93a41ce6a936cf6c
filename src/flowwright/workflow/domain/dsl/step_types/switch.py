"""``switch``: choose which of the following steps run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import DslModel, StepId
from flowwright.workflow.domain.dsl.paths import ANY
from flowwright.workflow.domain.dsl.registry import (
    STEP_TYPES,
    CheckContext,
    StepTypeSpec,
    TargetSpec,
)
from flowwright.workflow.domain.dsl.shapes import ANY as ANY_SHAPE
from flowwright.workflow.domain.dsl.shapes import obj
from flowwright.workflow.domain.dsl.step_base import StepBase


class SwitchCase(DslModel):
    """When ``when`` is the first true condition, the ``goto`` steps run."""

    when: str = Field(description="A ${{ }} condition.")
    goto: list[StepId] = Field(min_length=1, description="Steps to run; each needs the switch.")


class SwitchStep(StepBase):
    """Evaluates cases in order; targets of the chosen case run, the other targets are skipped."""

    type: Literal["switch"]
    cases: list[SwitchCase] = Field(min_length=1)
    default: list[StepId] = Field(
        default_factory=list, description="Steps to run when no case matches."
    )


def _check(step: SwitchStep, context: CheckContext) -> None:
    for index, case in enumerate(step.cases):
        seen: set[str] = set()
        for position, target in enumerate(case.goto):
            if target in seen:
                context.report(
                    Code.INVALID_SWITCH_TARGET,
                    f"case {index} lists {target!r} twice",
                    ("cases", index, "goto", position),
                    hint="list each target once",
                )
            seen.add(target)


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="switch",
        model=SwitchStep,
        summary="Route to different steps depending on conditions.",
        expression_fields=(("cases", ANY, "when"),),
        targets=(
            TargetSpec(("cases", ANY, "goto", ANY), "case"),
            TargetSpec(("default", ANY), "default"),
        ),
        output_shape=lambda raw, context: obj(case=ANY_SHAPE),
        check=_check,
        supports_retry=False,
        supports_timeout=False,
        output_doc='`{case: <index of the chosen case> | "default"}`.',
        example="""\
- id: route
  type: switch
  needs: [classify]
  cases:
    - when: ${{ steps.classify.output.urgency == "high" }}
      goto: [page_oncall]
  default: [queue_ticket]
""",
    )
)
