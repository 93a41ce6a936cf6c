"""``approval``: wait for a person to approve or reject."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.model_types import DslModel
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, StepTypeSpec
from flowwright.workflow.domain.dsl.shapes import ANY, obj, scalar
from flowwright.workflow.domain.dsl.step_base import StepBase

Role = Literal["owner", "admin", "editor", "operator"]


class Approvers(DslModel):
    """Who may decide; anyone with one of the roles in the tenant."""

    roles: list[Role] = Field(min_length=1)


class ApprovalStep(StepBase):
    """Asks for a decision; ``timeout`` bounds the wait and ``on_timeout`` decides then."""

    type: Literal["approval"]
    message: str = Field(description="What the approver reads; may contain templates.")
    approvers: Approvers | None = None
    on_timeout: Literal["reject", "approve", "fail"] = "reject"


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="approval",
        model=ApprovalStep,
        summary="Pause until a person approves or rejects.",
        template_fields=(("message",),),
        output_shape=lambda raw, context: obj(
            approved=scalar("boolean"), decided_by=ANY, comment=ANY
        ),
        supports_retry=False,
        waits=True,
        output_doc="`{approved: bool, decided_by: <user or null on timeout>, comment}`.",
        example="""\
- id: review
  type: approval
  needs: [draft]
  message: "Publish this post? ${{ steps.draft.output }}"
  approvers: {roles: [editor, admin]}
  timeout: 24h
  on_timeout: reject
""",
    )
)
