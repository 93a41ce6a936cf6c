"""Validating the shape of the document against the models, one part at a time.

The top level and each step are validated separately (nested step lists are left to their
own validation) so that every broken step is reported in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.durations import DurationError, parse_duration
from flowwright.workflow.domain.dsl.models import WorkflowDefinition
from flowwright.workflow.domain.dsl.options import CompileOptions
from flowwright.workflow.domain.dsl.paths import Path
from flowwright.workflow.domain.dsl.registry import STEP_TYPES
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.skeleton import Skeleton, StepNode
from flowwright.workflow.domain.dsl.step_base import SHALLOW, StepBase
from flowwright.workflow.domain.dsl.validation import report_validation_error

_SHALLOW_CONTEXT = {SHALLOW: True}


@dataclass(slots=True)
class StepCheckContext:
    """The ``CheckContext`` given to step types' extra checks."""

    options: CompileOptions
    workflow_name: str | None
    reporter: Reporter
    prefix: Path = ()

    def report(
        self, code: Code, message: str, path: Path, *, key: bool = False, hint: str | None = None
    ) -> None:
        self.reporter.report(code, message, (*self.prefix, *path), key=key, hint=hint)


@dataclass(slots=True)
class Structure:
    """Typed parts that validated; the compiler builds the definition only without errors."""

    steps: dict[int, StepBase] = field(default_factory=dict)


def validate_structure(
    root: Mapping[str, Any], skeleton: Skeleton, reporter: Reporter, options: CompileOptions
) -> Structure:
    """Report shape errors of the top level and of every step."""
    structure = Structure()
    try:
        WorkflowDefinition.model_validate(root, context=_SHALLOW_CONTEXT)
    except ValidationError as error:
        report_validation_error(
            error, raw=root, model=WorkflowDefinition, prefix=(), reporter=reporter
        )
    _check_retry(root.get("defaults"), ("defaults",), reporter)
    name = (
        root.get("metadata", {}).get("name") if isinstance(root.get("metadata"), Mapping) else None
    )
    context = StepCheckContext(options, name if isinstance(name, str) else None, reporter)
    for scope in _scopes(skeleton):
        for index, item in enumerate(scope.items):
            if not isinstance(item, Mapping):
                reporter.report(
                    Code.INVALID_TYPE,
                    "a step must be a mapping with at least id and type",
                    (*scope.path, index),
                )
    for node in skeleton.steps:
        if reporter.full:
            break
        typed = _validate_step(node, reporter, options)
        if typed is None:
            continue
        structure.steps[id(node)] = typed
        context.prefix = node.path
        assert node.spec is not None
        node.spec.check(typed, context)
        _check_common(node, typed, reporter)
    return structure


def _scopes(skeleton: Skeleton) -> list[Any]:
    scopes = [skeleton.main, skeleton.compensations]
    for node in skeleton.steps:
        scopes.extend(node.children)
    return scopes


def _validate_step(node: StepNode, reporter: Reporter, options: CompileOptions) -> StepBase | None:
    raw = node.raw
    if "type" not in raw:
        reporter.report(
            Code.MISSING_FIELD,
            "missing required field 'type'",
            (*node.path, "type"),
            hint="one of " + ", ".join(STEP_TYPES.names()),
        )
        return None
    if node.type is None:
        reporter.report(
            Code.INVALID_TYPE, "type must be a string naming a step type", (*node.path, "type")
        )
        return None
    if node.spec is None:
        guess = STEP_TYPES.closest(node.type)
        reporter.report(
            Code.UNKNOWN_STEP_TYPE,
            f"unknown step type {node.type!r}; types are {', '.join(STEP_TYPES.names())}",
            (*node.path, "type"),
            hint=f"did you mean {guess!r}?" if guess else None,
        )
        return None
    available = options.available_step_types
    if available is not None and node.type not in available:
        usable = ", ".join(sorted(t for t in available if STEP_TYPES.get(t) is not None))
        reporter.report(
            Code.STEP_TYPE_UNAVAILABLE,
            f"this installation cannot run step type {node.type!r} yet: it is not enabled here",
            (*node.path, "type"),
            hint=f"use one of: {usable}" if usable else None,
        )
    try:
        return node.spec.model.model_validate(raw, context=_SHALLOW_CONTEXT)
    except ValidationError as error:
        report_validation_error(
            error,
            raw=raw,
            model=node.spec.model,
            prefix=node.path,
            reporter=reporter,
            subject=f"{node.type} step {node.id!r}" if node.id else f"this {node.type} step",
        )
        return None


def _check_common(node: StepNode, step: StepBase, reporter: Reporter) -> None:
    spec = node.spec
    assert spec is not None
    if step.retry is not None:
        if not spec.supports_retry:
            reporter.report(
                Code.UNSUPPORTED_FIELD,
                f"{spec.name} steps are not retried; retry has no effect here",
                (*node.path, "retry"),
                key=True,
                hint="remove retry",
            )
        else:
            _check_retry(node.raw.get("retry"), (*node.path, "retry"), reporter)
    if step.timeout is not None and not spec.supports_timeout:
        reporter.report(
            Code.UNSUPPORTED_FIELD,
            f"{spec.name} steps have no timeout",
            (*node.path, "timeout"),
            key=True,
            hint="remove timeout" + (" and use duration" if spec.name == "delay" else ""),
        )


def _check_retry(raw: Any, path: Path, reporter: Reporter) -> None:
    """``initial`` must not exceed ``max``; other rules are in the model."""
    if isinstance(raw, Mapping) and "retry" in raw and path == ("defaults",):
        raw, path = raw["retry"], (*path, "retry")
    if not isinstance(raw, Mapping):
        return
    initial, longest = raw.get("initial", "1s"), raw.get("max", "1m")
    if not isinstance(initial, str) or not isinstance(longest, str):
        return
    try:
        if parse_duration(initial) > parse_duration(longest):
            reporter.report(
                Code.INVALID_VALUE,
                f"retry.initial ({initial}) is longer than retry.max ({longest})",
                (*path, "initial"),
                hint="make initial shorter than max",
            )
    except DurationError:
        return
