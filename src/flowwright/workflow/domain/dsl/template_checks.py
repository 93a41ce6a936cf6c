"""Finding every string of a document and checking the templates among them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.expression_sites import Mode, Site
from flowwright.workflow.domain.dsl.models import WorkflowDefinition
from flowwright.workflow.domain.dsl.paths import Path, matches_any
from flowwright.workflow.domain.dsl.references import ReferenceChecker
from flowwright.workflow.domain.dsl.registry import StepTypeSpec
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.skeleton import Skeleton, StepNode
from flowwright.workflow.domain.dsl.step_base import StepBase
from flowwright.workflow.domain.expressions import (
    ExpressionError,
    Template,
    contains_expression,
    parse_template,
)

_EXPRESSION_START = "${{"
_ERROR_CODES = {
    "EXPR_SYNTAX": Code.EXPRESSION_SYNTAX,
    "EXPR_FORBIDDEN": Code.EXPRESSION_FORBIDDEN,
    "EXPR_UNKNOWN_FUNCTION": Code.UNKNOWN_FUNCTION,
    "EXPR_LIMIT": Code.EXPRESSION_TOO_COMPLEX,
}
_LOOKALIKE = re.compile(
    r"(?<!\$)\{\{\s*[A-Za-z_][\w.\[\]]*\s*\}\}|\$\{(?!\{)\s*[A-Za-z_][\w.\[\]]*\s*\}"
)
_STEP_EXPRESSION_FIELDS: tuple[Path, ...] = (("if",),)
_TOP_LEVEL_SKIP = frozenset({"steps", "compensations", "outputs", "vars", "triggers"})
_TOP_LEVEL_KEYS = frozenset(
    info.alias or name for name, info in WorkflowDefinition.model_fields.items()
)


class TemplateChecker:
    """Parses every template once and hands its references to the reference checker."""

    def __init__(self, references: ReferenceChecker, reporter: Reporter) -> None:
        self.references = references
        self.reporter = reporter
        self._parsed: dict[str, Template | _Failure] = {}
        self._rules: dict[str | None, _FieldRules] = {}
        #: Templates that did not parse; their references are unknown.
        self.failures = 0

    # Document traversal -----------------------------------------------------------------

    def check_document(self, root: Mapping[str, Any], skeleton: Skeleton) -> None:
        """Check the strings of the whole document."""
        for key, value in root.items():
            # Unknown top-level keys are reported as such, not for what they contain.
            if key not in _TOP_LEVEL_SKIP and key in _TOP_LEVEL_KEYS:
                self._walk(value, (key,), "static", Site(key))
        outputs = Site("workflow outputs", scope=skeleton.main)
        self._walk(root.get("outputs"), ("outputs",), "template", outputs)
        variables = Site("vars", allow_steps=False, allow_vars=False)
        self._walk(root.get("vars"), ("vars",), "template", variables)
        triggers = root.get("triggers")
        if isinstance(triggers, list):
            trigger_site = Site(
                "a trigger filter", allow_steps=False, allow_vars=False, allow_run=False
            )
            for index, trigger in enumerate(triggers):
                if not isinstance(trigger, Mapping):
                    continue
                for key, value in trigger.items():
                    mode: Mode = "expression" if key == "filter" else "static"
                    self._walk(value, ("triggers", index, key), mode, trigger_site)
        for node in skeleton.steps:
            if self.reporter.full:
                return
            self._check_step(node)

    def _check_step(self, node: StepNode) -> None:
        spec = node.spec
        rules = self._rules.get(spec.name if spec is not None else None)
        if rules is None:
            rules = _FieldRules(spec)
            self._rules[spec.name if spec is not None else None] = rules
        description = f"step {node.id!r}" if node.id else "this step"
        plain = Site(description, scope=node.scope, owner=node)
        secret = Site(description, scope=node.scope, owner=node, allow_secrets=True)
        stack: list[tuple[Any, Path]] = [(node.raw, ())]
        while stack:
            value, relative = stack.pop()
            if isinstance(value, Mapping):
                stack.extend((child, (*relative, key)) for key, child in value.items())
            elif isinstance(value, list):
                if not rules.is_nested(relative):
                    stack.extend((child, (*relative, i)) for i, child in enumerate(value))
            elif isinstance(value, str) and relative and relative[0] in rules.known:
                mode, secrets_allowed = rules.classify(relative)
                if mode == "static" and _EXPRESSION_START not in value:
                    continue
                site = secret if secrets_allowed else plain
                self.check_string(value, (*node.path, *relative), mode, site)

    def _walk(self, value: Any, path: Path, mode: Mode, site: Site) -> None:
        stack: list[tuple[Any, Path]] = [(value, path)]
        while stack:
            current, here = stack.pop()
            if isinstance(current, Mapping):
                stack.extend((child, (*here, key)) for key, child in current.items())
            elif isinstance(current, list):
                stack.extend((child, (*here, i)) for i, child in enumerate(current))
            elif isinstance(current, str):
                self.check_string(current, here, mode, site)

    # One string -------------------------------------------------------------------------

    def check_string(self, text: str, path: Path, mode: Mode, site: Site) -> None:
        """Check one string found at ``path`` for its mode and site."""
        if self.reporter.full:
            return
        has_expression = _EXPRESSION_START in text and contains_expression(text)
        if mode == "static":
            if has_expression:
                # The value also breaks the field's own rules; the misplaced expression is
                # the real problem, so it replaces those findings.
                self.reporter.supersede(path)
                self.failures += 1
                self.reporter.report_in_string(
                    Code.EXPRESSION_NOT_ALLOWED,
                    f"{_field(path)} cannot contain an expression; it is fixed when the "
                    "workflow is published",
                    path,
                    text,
                    text.find(_EXPRESSION_START),
                    hint="write a literal value here",
                )
            return
        if not has_expression:
            if mode == "expression":
                self._expression_required(text, path)
            else:
                self._lookalike(text, path)
            return
        parsed = self._parse(text)
        if isinstance(parsed, _Failure):
            self.failures += 1
            self.reporter.report_in_string(
                parsed.code, parsed.message, path, text, parsed.offset, hint=parsed.hint
            )
            return
        if mode == "expression" and not parsed.is_single_expression:
            self.reporter.report_in_string(
                Code.EXPRESSION_REQUIRED,
                f"{_field(path)} must be a single ${{{{ }}}} expression with nothing around it",
                path,
                text,
                0,
                hint="move surrounding text inside the expression",
            )
        for reference in parsed.references():
            self.references.check(reference, text, path, site)

    def template(self, text: str) -> Template:
        """The parsed template of ``text``, from the cache when it was checked already."""
        parsed = self._parse(text)
        return parsed if isinstance(parsed, Template) else parse_template(text)

    def _parse(self, text: str) -> Template | _Failure:
        cached = self._parsed.get(text)
        if cached is None:
            try:
                cached = parse_template(text)
            except ExpressionError as exc:
                code = _ERROR_CODES.get(str(getattr(exc, "code", "")), Code.EXPRESSION_SYNTAX)
                cached = _Failure(code, exc.message, max(0, exc.offset), exc.hint)
            except RecursionError:
                cached = _Failure(
                    Code.EXPRESSION_TOO_COMPLEX, "the expression is nested too deeply", 0, None
                )
            self._parsed[text] = cached
        return cached

    def _expression_required(self, text: str, path: Path) -> None:
        stripped = text.strip()
        hint = f"wrap it: ${{{{ {stripped} }}}}" if stripped else None
        self.reporter.report(
            Code.EXPRESSION_REQUIRED,
            f"{_field(path)} must be a ${{{{ }}}} expression, not plain text",
            path,
            hint=hint,
        )

    def _lookalike(self, text: str, path: Path) -> None:
        for match in _LOOKALIKE.finditer(text):
            inner = match.group(0).strip("${} ")
            self.reporter.report_in_string(
                Code.SUSPICIOUS_TEMPLATE,
                f"{match.group(0)!r} is plain text, not an expression",
                path,
                text,
                match.start(),
                hint=f"write ${{{{ {inner} }}}}",
            )


class _FieldRules:
    """How each field of one step type is read, memoized by relative path."""

    def __init__(self, spec: StepTypeSpec | None) -> None:
        model = spec.model if spec is not None else StepBase
        # Strings under unknown fields are reported as unknown fields, not as misplaced
        # expressions.
        self.known = frozenset(info.alias or name for name, info in model.model_fields.items())
        self._nested = tuple(n.pattern for n in spec.nested) if spec is not None else ()
        self._expression = _STEP_EXPRESSION_FIELDS + (spec.expression_fields if spec else ())
        self._template = spec.template_fields if spec is not None else ()
        self._secret = spec.secret_fields if spec is not None else ()
        self._modes: dict[Path, tuple[Mode, bool]] = {}

    def is_nested(self, relative: Path) -> bool:
        """Whether ``relative`` is a nested step list (its steps are checked on their own)."""
        return bool(self._nested) and matches_any(self._nested, relative)

    def classify(self, relative: Path) -> tuple[Mode, bool]:
        """The mode of the string at ``relative`` and whether it may read secrets."""
        cached = self._modes.get(relative)
        if cached is None:
            mode: Mode = "static"
            if matches_any(self._expression, relative):
                mode = "expression"
            elif matches_any(self._template, relative):
                mode = "template"
            cached = (mode, matches_any(self._secret, relative))
            if len(self._modes) < 4096:
                self._modes[relative] = cached
        return cached


@dataclass(frozen=True, slots=True)
class _Failure:
    """A template that did not parse, remembered so it is parsed once."""

    code: Code
    message: str
    offset: int
    hint: str | None


def _field(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "this value"
