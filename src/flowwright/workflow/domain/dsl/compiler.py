"""``compile_workflow``: source text in, diagnostics and (when valid) a plan out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from flowwright.workflow.domain.dsl.canonical import content_hash as hash_definition
from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.diagnostics import Diagnostic
from flowwright.workflow.domain.dsl.graph import Graph, build_graph
from flowwright.workflow.domain.dsl.graph_checks import check_graph, check_step_count
from flowwright.workflow.domain.dsl.models import WorkflowDefinition
from flowwright.workflow.domain.dsl.options import CompileOptions
from flowwright.workflow.domain.dsl.output_shapes import ShapeResolver
from flowwright.workflow.domain.dsl.plan import ExecutionPlan, build_plan
from flowwright.workflow.domain.dsl.references import ReferenceChecker
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.skeleton import build_skeleton
from flowwright.workflow.domain.dsl.source import load_document
from flowwright.workflow.domain.dsl.source_map import SourceMap
from flowwright.workflow.domain.dsl.structure import validate_structure
from flowwright.workflow.domain.dsl.template_checks import TemplateChecker
from flowwright.workflow.domain.dsl.validation import report_validation_error
from flowwright.workflow.domain.dsl.workflow_checks import (
    check_inputs,
    check_timeouts,
    check_triggers,
    check_unused_inputs,
)

_DEFAULT_OPTIONS = CompileOptions()


@dataclass(frozen=True, slots=True)
class CompileResult:
    """Outcome of one compilation; the artefacts are set only when ``ok``."""

    ok: bool
    diagnostics: list[Diagnostic]
    definition: WorkflowDefinition | None = None
    plan: ExecutionPlan | None = None
    graph: Graph | None = None
    content_hash: str | None = None
    filename: str = field(default="<input>", compare=False)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def compile_workflow(
    source: str | bytes,
    *,
    filename: str = "<input>",
    options: CompileOptions = _DEFAULT_OPTIONS,
) -> CompileResult:
    """Validate a YAML or JSON workflow and, when it has no errors, plan it.

    Never raises for any input: every problem is a diagnostic with a code, a message, a
    document path, a 1-based line and column, and usually a hint.
    """
    limits = options.limits
    text, problem = _decode(source, limits.max_source_bytes)
    reporter = Reporter(SourceMap(text), limit=limits.max_diagnostics)
    if problem is not None:
        code, message, line, column = problem
        reporter.report_at(code, message, line, column)
        return _failed(reporter, filename)
    try:
        return _compile(text, filename, options, reporter)
    except RecursionError:
        reporter.report_at(
            Code.NESTING_TOO_DEEP, "the document is nested too deeply to be read", 1, 1
        )
        return _failed(reporter, filename)
    except Exception as exc:  # the contract is diagnostics, never a traceback
        reporter.report_at(
            Code.INTERNAL_ERROR,
            f"the compiler failed on this input ({type(exc).__name__}); please report it",
            1,
            1,
        )
        return _failed(reporter, filename)


def _compile(
    text: str, filename: str, options: CompileOptions, reporter: Reporter
) -> CompileResult:
    document = load_document(text, reporter, options.limits)
    if not document.ok:
        return _failed(reporter, filename)
    root = document.root
    if not isinstance(root, Mapping):
        reporter.report(
            Code.INVALID_TYPE,
            "a workflow is a mapping with apiVersion, kind, metadata and steps",
            (),
            hint="start with 'apiVersion: flowwright/v1'",
        )
        return _failed(reporter, filename)
    skeleton = build_skeleton(root)
    if len(skeleton.steps) > options.limits.max_steps:
        # The workflow has to be split anyway; checking every step of a huge document
        # would only cost time and bury this finding.
        check_step_count(skeleton, reporter, options.limits)
        return _failed(reporter, filename)
    validate_structure(root, skeleton, reporter, options)
    check_graph(skeleton, reporter, options.limits)
    check_inputs(root, reporter)
    check_triggers(root, reporter, options)
    references = ReferenceChecker(
        skeleton=skeleton,
        inputs=_names(root.get("inputs")),
        vars=_names(root.get("vars")),
        options=options,
        reporter=reporter,
        shapes=ShapeResolver(),
    )
    templates = TemplateChecker(references, reporter)
    templates.check_document(root, skeleton)
    # A template that did not parse may read any input: do not call inputs unused then.
    everything_used = references.all_inputs_used or templates.failures > 0
    check_unused_inputs(root, references.used_inputs, everything_used, reporter)
    check_timeouts(root, skeleton, reporter)
    if reporter.has_errors:
        return _failed(reporter, filename)
    try:
        definition = WorkflowDefinition.model_validate(root)
    except ValidationError as error:
        # Every part was validated on its own above; this is a safety net, not a path.
        report_validation_error(
            error, raw=root, model=WorkflowDefinition, prefix=(), reporter=reporter
        )
        return _failed(reporter, filename)
    digest = hash_definition(definition)
    return CompileResult(
        ok=True,
        diagnostics=reporter.diagnostics(),
        definition=definition,
        plan=build_plan(definition, digest, parse=templates.template),
        graph=build_graph(definition),
        content_hash=digest,
        filename=filename,
    )


def _failed(reporter: Reporter, filename: str) -> CompileResult:
    return CompileResult(ok=False, diagnostics=reporter.diagnostics(), filename=filename)


def _names(section: Any) -> frozenset[str]:
    if not isinstance(section, Mapping):
        return frozenset()
    return frozenset(key for key in section if isinstance(key, str))


def _decode(source: str | bytes, max_bytes: int) -> tuple[str, tuple[Code, str, int, int] | None]:
    size = len(source) if isinstance(source, bytes) else len(source.encode("utf-8", "replace"))
    if size > max_bytes:
        return "", (
            Code.VALUE_TOO_LARGE,
            f"the source is {size} bytes; the limit is {max_bytes}",
            1,
            1,
        )
    if isinstance(source, str):
        return source.removeprefix("\ufeff"), None
    try:
        return source.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as exc:
        prefix = source[: exc.start]
        line = prefix.count(b"\n") + 1
        column = exc.start - (prefix.rfind(b"\n") + 1) + 1
        return "", (Code.YAML_SYNTAX, "the source is not valid UTF-8", line, column)
