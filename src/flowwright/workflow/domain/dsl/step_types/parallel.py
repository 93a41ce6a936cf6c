"""``parallel``: run named branches of steps at the same time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import DslModel, StepId
from flowwright.workflow.domain.dsl.paths import ANY
from flowwright.workflow.domain.dsl.registry import (
    STEP_TYPES,
    CheckContext,
    NestedSpec,
    ShapeContext,
    StepTypeSpec,
)
from flowwright.workflow.domain.dsl.shapes import ANY as ANY_SHAPE
from flowwright.workflow.domain.dsl.shapes import Shape
from flowwright.workflow.domain.dsl.step_base import NestedSteps, StepBase


class ParallelBranch(DslModel):
    """A named list of steps; its result is the output of its last step."""

    name: StepId = Field(description="Branch name, a key of the parallel step's output.")
    steps: NestedSteps


class ParallelStep(StepBase):
    """Runs every branch at once and finishes when all (or any) of them finish."""

    type: Literal["parallel"]
    branches: list[ParallelBranch] = Field(min_length=1)
    join: Literal["all", "any"] = Field(
        "all", description="all: wait for every branch; any: the first one wins."
    )


def _check(step: ParallelStep, context: CheckContext) -> None:
    seen: set[str] = set()
    for index, branch in enumerate(step.branches):
        if branch.name in seen:
            context.report(
                Code.DUPLICATE_BRANCH_NAME,
                f"branch name {branch.name!r} is used twice",
                ("branches", index, "name"),
                hint="give each branch its own name",
            )
        seen.add(branch.name)


def _shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    fields: dict[str, Shape] = {}
    branches = raw.get("branches")
    if not isinstance(branches, list):
        return ANY_SHAPE
    for branch in branches:
        if not isinstance(branch, Mapping) or not isinstance(branch.get("name"), str):
            return ANY_SHAPE
        steps = branch.get("steps")
        last = steps[-1] if isinstance(steps, list) and steps else None
        fields[branch["name"]] = context.shape_of(last) if last is not None else ANY_SHAPE
    return Shape("object", fields, closed=True)


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="parallel",
        model=ParallelStep,
        summary="Run branches of steps concurrently.",
        nested=(NestedSpec(("branches", ANY, "steps"), "branch", group_key="name"),),
        output_shape=_shape,
        check=_check,
        supports_retry=False,
        output_doc="`{<branch name>: <output of the branch's last step>}`.",
        example="""\
- id: notify
  type: parallel
  needs: [summary]
  branches:
    - name: chat
      steps:
        - id: post_chat
          type: http
          method: POST
          url: https://chat.example.com/api/messages
          body: {text: "${{ steps.summary.output.title }}"}
    - name: mail
      steps:
        - id: send_mail
          type: http
          method: POST
          url: https://mail.example.com/send
          body: {to: "oncall@example.com", subject: "${{ steps.summary.output.title }}"}
""",
    )
)
