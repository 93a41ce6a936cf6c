"""``transform``: build a JSON value from templates, without calling anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.model_types import JSONValue
from flowwright.workflow.domain.dsl.paths import DEEP
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, ShapeContext, StepTypeSpec
from flowwright.workflow.domain.dsl.shapes import Shape, from_literal
from flowwright.workflow.domain.dsl.step_base import StepBase


class TransformStep(StepBase):
    """Computes ``output``: any JSON value whose strings may be templates."""

    type: Literal["transform"]
    output: JSONValue = Field(description="The result; strings may contain ${{ }} templates.")


def _shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    return from_literal(raw.get("output"), context.is_dynamic)


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="transform",
        model=TransformStep,
        summary="Build a value from inputs and earlier outputs.",
        template_fields=(("output", DEEP),),
        output_shape=_shape,
        supports_retry=False,
        supports_timeout=False,
        output_doc="The evaluated `output` value.",
        example="""\
- id: summary
  type: transform
  needs: [classify]
  output:
    urgency: ${{ steps.classify.output.urgency }}
    title: "Ticket from ${{ inputs.ticket.customer }}"
""",
    )
)
