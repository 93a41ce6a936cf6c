"""Rendering DSL values whose strings may hold ${{ }} templates, parsing each string once."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flowwright.workflow.domain.expressions import Template, parse_template


@lru_cache(maxsize=8192)
def template(text: str) -> Template:
    return parse_template(text)


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every string of a JSON value (lists and maps walked) against ``context``."""
    if isinstance(value, str):
        parsed = template(value)
        return value if parsed.is_literal else parsed.render(context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    return value
