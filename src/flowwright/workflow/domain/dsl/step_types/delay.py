"""``delay``: wait for a duration or until a moment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import Duration
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, CheckContext, StepTypeSpec
from flowwright.workflow.domain.dsl.shapes import obj, scalar
from flowwright.workflow.domain.dsl.step_base import StepBase


class DelayStep(StepBase):
    """Waits ``duration``, or until the ISO-8601 timestamp ``until`` evaluates to."""

    type: Literal["delay"]
    duration: Duration | None = None
    until: str | None = Field(None, description="A ${{ }} expression giving an ISO-8601 time.")


def _check(step: DelayStep, context: CheckContext) -> None:
    if step.duration is None and step.until is None:
        context.report(
            Code.MISSING_FIELD,
            "a delay needs either duration or until",
            (),
            hint="add duration: 5m, or until: ${{ ... }}",
        )
    elif step.duration is not None and step.until is not None:
        context.report(
            Code.CONFLICTING_FIELDS,
            "a delay takes duration or until, not both",
            ("until",),
            key=True,
            hint="keep only one of them",
        )


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="delay",
        model=DelayStep,
        summary="Pause the run for a while.",
        expression_fields=(("until",),),
        output_shape=lambda raw, context: obj(resumed_at=scalar("string")),
        check=_check,
        supports_retry=False,
        supports_timeout=False,
        waits=True,
        output_doc="`{resumed_at: <ISO-8601 time>}`.",
        example="""\
- id: cool_down
  type: delay
  needs: [page_oncall]
  duration: 15m
""",
    )
)
