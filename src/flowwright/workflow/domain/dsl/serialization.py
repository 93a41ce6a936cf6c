"""Loading stored definitions and printing them back as normalized YAML or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from flowwright.workflow.domain.dsl.models import WorkflowDefinition


def load_definition_json(data: str | bytes | Mapping[str, Any]) -> WorkflowDefinition:
    """A definition from stored JSON (already compiled once, so only revalidated).

    Raises ``pydantic.ValidationError`` when the data is not a valid definition.
    """
    if isinstance(data, str | bytes):
        return WorkflowDefinition.model_validate_json(data)
    return WorkflowDefinition.model_validate(data)


def definition_data(definition: WorkflowDefinition) -> dict[str, Any]:
    """The definition as the author wrote it: only fields they set, nulls dropped."""
    return definition.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)


def definition_to_json(definition: WorkflowDefinition) -> str:
    """Indented JSON of :func:`definition_data`, for storage and APIs."""
    return json.dumps(definition_data(definition), indent=2, ensure_ascii=False) + "\n"


def definition_to_yaml(definition: WorkflowDefinition) -> str:
    """Normalized YAML for display: fields in language order, block style, stable quoting."""
    return yaml.safe_dump(
        definition_data(definition),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
