"""``llm``: ask a language model, optionally for structured output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.json_schema_check import check_json_schema
from flowwright.workflow.domain.dsl.model_types import JSONValue, ModelAlias
from flowwright.workflow.domain.dsl.registry import (
    STEP_TYPES,
    CheckContext,
    ShapeContext,
    StepTypeSpec,
)
from flowwright.workflow.domain.dsl.shapes import Shape, from_json_schema, scalar
from flowwright.workflow.domain.dsl.step_base import StepBase


class LlmStep(StepBase):
    """Sends ``prompt`` to the model behind ``model``; parses JSON when output_schema is set."""

    type: Literal["llm"]
    model: ModelAlias = Field(description="Model alias configured for the tenant (fast, smart).")
    system: str | None = Field(None, description="System instructions; may contain templates.")
    prompt: str = Field(description="The request; may contain templates.")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=200_000)
    output_schema: dict[str, JSONValue] | None = Field(
        None, description="JSON Schema the answer must match; the output is then parsed."
    )


def _check(step: LlmStep, context: CheckContext) -> None:
    if step.output_schema is None:
        return
    for issue in check_json_schema(step.output_schema):
        context.report(
            Code.INVALID_JSON_SCHEMA,
            f"output_schema: {issue.message}",
            ("output_schema", *issue.path),
            key=issue.at_key,
            hint=issue.hint,
        )


_TEXT = scalar("string", "text (an llm step without output_schema)")


def _shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    schema = raw.get("output_schema")
    return from_json_schema(schema) if isinstance(schema, Mapping) else _TEXT


SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="llm",
        model=LlmStep,
        summary="Ask a language model.",
        template_fields=(("system",), ("prompt",)),
        output_shape=_shape,
        check=_check,
        output_doc="The answer as text, or the parsed object when output_schema is set.",
        example="""\
- id: classify
  type: llm
  model: fast
  system: You triage support tickets.
  prompt: "Classify the urgency of: ${{ inputs.ticket.body }}"
  output_schema:
    type: object
    properties:
      urgency: {enum: [low, high]}
    required: [urgency]
""",
    )
)
