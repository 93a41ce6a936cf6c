"""``foreach``: run a body of steps once per item of a list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.registry import (
    STEP_TYPES,
    NestedSpec,
    ShapeContext,
    StepTypeSpec,
)
from flowwright.workflow.domain.dsl.shapes import Shape
from flowwright.workflow.domain.dsl.step_base import NestedSteps, StepBase


class ForeachStep(StepBase):
    """Runs ``steps`` for every element of ``items``; ``item`` and ``index`` name the element."""

    type: Literal["foreach"]
    items: str = Field(description="A ${{ }} expression giving a list.")
    max_concurrency: int = Field(4, ge=1, le=100, description="Items processed at once.")
    on_item_error: Literal["fail", "continue"] = Field(
        "fail", description="continue: a failed item yields null and the others go on."
    )
    steps: NestedSteps


def _shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    steps = raw.get("steps")
    last = steps[-1] if isinstance(steps, list) and steps else None
    return Shape("array", items=context.shape_of(last) if last is not None else None)


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="foreach",
        model=ForeachStep,
        summary="Repeat steps for each element of a list.",
        expression_fields=(("items",),),
        nested=(NestedSpec(("steps",), "loop"),),
        output_shape=_shape,
        supports_retry=False,
        output_doc="A list with the output of the body's last step for each item, in order.",
        example="""\
- id: translate_all
  type: foreach
  items: ${{ inputs.documents }}
  max_concurrency: 8
  steps:
    - id: translate
      type: llm
      model: fast
      prompt: "Translate to French: ${{ item.text }}"
""",
    )
)
