"""Resolving the static output shape of raw steps through the step-type registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowwright.workflow.domain.dsl.registry import STEP_TYPES
from flowwright.workflow.domain.dsl.shapes import ANY, Shape
from flowwright.workflow.domain.expressions import contains_expression


class ShapeResolver:
    """Computes output shapes on demand, once per step."""

    def __init__(self) -> None:
        self._cache: dict[int, Shape] = {}
        self._active: set[int] = set()

    def shape_of(self, raw_step: Any) -> Shape:
        if not isinstance(raw_step, Mapping):
            return ANY
        key = id(raw_step)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        step_type = raw_step.get("type")
        spec = STEP_TYPES.get(step_type) if isinstance(step_type, str) else None
        if spec is None or key in self._active:
            return ANY
        self._active.add(key)
        try:
            shape = spec.output_shape(raw_step, self)
        except (TypeError, ValueError, KeyError, AttributeError):
            # Invalid steps are reported elsewhere; their shape is simply unknown.
            shape = ANY
        finally:
            self._active.discard(key)
        self._cache[key] = shape
        return shape

    def is_dynamic(self, text: str) -> bool:
        return contains_expression(text)
