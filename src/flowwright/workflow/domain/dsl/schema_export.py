"""Generating the JSON Schema of the language from the models."""

from __future__ import annotations

import json
from typing import Any

from flowwright.workflow.domain.dsl.models import API_VERSION, WorkflowDefinition

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow document (structure only; the compiler checks more)."""
    schema = WorkflowDefinition.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = f"Flowwright workflow ({API_VERSION})"
    schema["description"] = (
        "A Flowwright workflow. This schema checks structure; references, the step graph, "
        "expressions and limits are checked by the compiler (see docs/dsl.md)."
    )
    return schema


def render_schema() -> str:
    """The schema as committed: sorted keys, two-space indent, trailing newline."""
    return json.dumps(workflow_json_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
