"""Canonical JSON and the content hash of a definition.

The hash ignores formatting, key order, explicit defaults and the spelling of durations
(``90m`` equals ``1h30m``), and changes with anything that changes behaviour or display.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flowwright.workflow.domain.dsl.model_types import CANONICAL
from flowwright.workflow.domain.dsl.models import WorkflowDefinition


def canonical_data(definition: WorkflowDefinition) -> dict[str, Any]:
    """The normalized JSON data of ``definition``: defaults filled, nulls and units normalized."""
    return definition.model_dump(
        mode="json", by_alias=True, exclude_none=True, context={CANONICAL: True}
    )


def canonical_json(data: Any) -> str:
    """Compact JSON with sorted keys; equal data gives equal text."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_hash(definition: WorkflowDefinition) -> str:
    """Hex SHA-256 of the canonical JSON of ``definition``."""
    return hashlib.sha256(canonical_json(canonical_data(definition)).encode("utf-8")).hexdigest()
