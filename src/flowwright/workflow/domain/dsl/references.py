"""Checks of every reference an expression makes: ``inputs.x``, ``steps.y.output.z`` ...

Rules, in short: inputs and vars must be declared; ``steps.X`` must exist, be visible from
the place it is read and be guaranteed to have finished (an ancestor through ``needs``);
``item`` and ``index`` only exist inside a foreach body; secrets only go where they cannot
leak (HTTP requests); ``run`` has a fixed set of fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.expression_sites import Site
from flowwright.workflow.domain.dsl.model_types import FIELD_NAME_PATTERN
from flowwright.workflow.domain.dsl.options import CompileOptions
from flowwright.workflow.domain.dsl.output_shapes import ShapeResolver
from flowwright.workflow.domain.dsl.paths import Path
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.shapes import follow
from flowwright.workflow.domain.dsl.skeleton import Scope, Skeleton, StepNode
from flowwright.workflow.domain.dsl.suggest import closest, did_you_mean
from flowwright.workflow.domain.expressions import Reference

ROOTS = ("inputs", "steps", "secrets", "item", "index", "run", "vars")
RUN_FIELDS = ("id", "workflow", "version", "tenant", "started_at", "trigger")
STEP_FIELDS = ("output", "status", "error")

_SECRET_NAME = re.compile(FIELD_NAME_PATTERN)


@dataclass(slots=True)
class ReferenceChecker:
    """Checks references found in templates and records which inputs are used."""

    skeleton: Skeleton
    inputs: frozenset[str]
    vars: frozenset[str]
    options: CompileOptions
    reporter: Reporter
    shapes: ShapeResolver
    used_inputs: set[str] = field(default_factory=set)
    all_inputs_used: bool = False

    def check(self, ref: Reference, text: str, path: Path, site: Site) -> None:
        """Report what is wrong with ``ref``, found in ``text`` at document ``path``."""
        if self.reporter.full:
            return
        report = _Report(self.reporter, text, path, ref.offset)
        private = next((p for p in ref.path if isinstance(p, str) and p.startswith("_")), None)
        if ref.root.startswith("_") or private is not None:
            report(
                Code.EXPRESSION_FORBIDDEN,
                f"{ref.text!r} uses a name starting with '_'; such names are not accessible",
            )
            return
        handler = getattr(self, f"_root_{ref.root}", None)
        if ref.root not in ROOTS or handler is None:
            self._unknown_root(ref, report)
            return
        handler(ref, report, site)

    # Roots ------------------------------------------------------------------------------

    def _root_inputs(self, ref: Reference, report: _Report, site: Site) -> None:
        if not ref.path:
            self.all_inputs_used = True
            return
        name = ref.path[0]
        if not isinstance(name, str):
            report(Code.INVALID_REFERENCE, f"write inputs.<name>, not {ref.text!r}")
            return
        self.used_inputs.add(name)
        if name not in self.inputs:
            hint = did_you_mean(name, self.inputs) or "declare it under inputs"
            report(Code.UNKNOWN_INPUT, f"input {name!r} is not declared", hint)

    def _root_vars(self, ref: Reference, report: _Report, site: Site) -> None:
        if not site.allow_vars:
            report(Code.REFERENCE_NOT_ALLOWED, f"vars cannot be read in {site.description}")
            return
        if not ref.path:
            return
        name = ref.path[0]
        if not isinstance(name, str) or name not in self.vars:
            shown = name if isinstance(name, str) else ref.text
            hint = did_you_mean(str(name), self.vars) or "declare it under vars"
            report(Code.UNKNOWN_VAR, f"var {shown!r} is not declared", hint)

    def _root_secrets(self, ref: Reference, report: _Report, site: Site) -> None:
        if len(ref.path) != 1 or not isinstance(ref.path[0], str):
            report(Code.INVALID_REFERENCE, f"write secrets.NAME, not {ref.text!r}")
            return
        name = ref.path[0]
        if not _SECRET_NAME.match(name):
            report(Code.INVALID_REFERENCE, f"{name!r} is not a valid secret name")
            return
        if not site.allow_secrets:
            report(
                Code.SECRET_NOT_ALLOWED,
                f"secrets cannot be used in {site.description}; they could leak into logs, "
                "prompts or outputs",
                "use secrets only in http url, headers, query or body",
            )
            return
        known = self.options.known_secrets
        if known is not None and name not in known:
            hint = did_you_mean(name, known) or "create the secret in the tenant settings"
            report(Code.UNKNOWN_SECRET, f"secret {name!r} does not exist", hint)

    def _root_run(self, ref: Reference, report: _Report, site: Site) -> None:
        if not site.allow_run:
            report(Code.REFERENCE_NOT_ALLOWED, f"run cannot be read in {site.description}")
            return
        if ref.path and ref.path[0] not in RUN_FIELDS:
            hint = did_you_mean(str(ref.path[0]), RUN_FIELDS) or "fields: " + ", ".join(RUN_FIELDS)
            report(Code.UNKNOWN_RUN_FIELD, f"run has no field {ref.path[0]!r}", hint)

    def _root_item(self, ref: Reference, report: _Report, site: Site) -> None:
        if site.scope is None or not site.scope.in_loop:
            report(
                Code.LOOP_VARIABLE_OUTSIDE_FOREACH,
                f"{ref.root} only exists inside the steps of a foreach",
                "move this step into a foreach body, or read the foreach output instead",
            )

    def _root_index(self, ref: Reference, report: _Report, site: Site) -> None:
        self._root_item(ref, report, site)
        if ref.path and site.scope is not None and site.scope.in_loop:
            report(Code.INVALID_REFERENCE, "index is a number; it has no fields")

    def _root_steps(self, ref: Reference, report: _Report, site: Site) -> None:
        if not site.allow_steps:
            report(
                Code.REFERENCE_NOT_ALLOWED,
                f"step outputs cannot be read in {site.description}",
                "they do not exist yet when this is evaluated",
            )
            return
        if not ref.path or not isinstance(ref.path[0], str):
            report(Code.INVALID_REFERENCE, "write steps.<id>.output")
            return
        step_id = ref.path[0]
        target = self.skeleton.by_id.get(step_id)
        if target is None:
            hint = did_you_mean(step_id, self.skeleton.by_id)
            report(Code.UNKNOWN_REFERENCE, f"there is no step {step_id!r}", hint)
            return
        if len(ref.path) < 2 or ref.path[1] not in STEP_FIELDS:
            rest = ".".join(str(p) for p in ref.path[1:])
            suggestion = f"steps.{step_id}.output" + (f".{rest}" if rest else "")
            report(
                Code.INVALID_REFERENCE,
                f"{ref.text!r} does not name a step field (output, status or error)",
                f"did you mean {suggestion}?",
            )
            return
        if not self._visible(target, site, report):
            return
        if ref.path[1] == "output" and len(ref.path) > 2:
            miss = follow(self.shapes.shape_of(target.raw), tuple(ref.path[2:]))
            if miss is not None:
                shown = "steps." + ".".join(str(p) for p in ref.path[: 3 + miss.index - 1])
                if miss.index == 0:
                    shown = f"steps.{step_id}.output"
                part = ref.path[2 + miss.index]
                hint = did_you_mean(str(part), miss.suggestions) if miss.suggestions else None
                report(Code.UNKNOWN_OUTPUT_FIELD, f"{shown} {miss.message}", hint)

    def _unknown_root(self, ref: Reference, report: _Report) -> None:
        hint: str | None
        if ref.root in self.skeleton.by_id:
            hint = f"to read step {ref.root!r}, write steps.{ref.root}.output"
        elif ref.root in self.inputs:
            hint = f"write inputs.{ref.root}"
        elif ref.root in self.vars:
            hint = f"write vars.{ref.root}"
        else:
            guess = closest(ref.root, ROOTS)
            hint = f"did you mean {guess!r}?" if guess else "names start with " + ", ".join(ROOTS)
        report(Code.UNKNOWN_ROOT, f"{ref.root!r} is not defined in expressions", hint)

    # Visibility -------------------------------------------------------------------------

    def _visible(self, target: StepNode, site: Site, report: _Report) -> bool:
        """Whether ``target`` has surely finished where ``site`` is evaluated."""
        if site.scope is None:
            return True
        chain = list(site.scope.chain())
        owners = [site.owner, *(scope.owner for scope in chain[:-1])]
        for scope, element in zip(chain, owners, strict=True):
            if target.scope is not scope:
                continue
            if element is None:
                return True  # Workflow outputs see every top-level step.
            if element is target:
                what = "its own output" if element is site.owner else "the step it is part of"
                report(
                    Code.NON_UPSTREAM_REFERENCE,
                    f"{site.description} cannot read {what} (steps.{target.id})",
                    "that output does not exist until this step has finished",
                )
                return False
            if (element.ancestors >> target.bit) & 1:
                return True
            if scope.kind == "compensations":
                report(
                    Code.REFERENCE_NOT_ALLOWED,
                    f"compensation step {element.id!r} cannot read compensation step {target.id!r}",
                    "compensation steps run independently, in reverse order of the steps they "
                    "undo; read the steps they undo instead",
                )
                return False
            report(
                Code.NON_UPSTREAM_REFERENCE,
                f"steps.{target.id} is not upstream of {element.id}",
                f"add {target.id!r} to the needs of {element.id!r}",
            )
            return False
        return self._outside_chain(target, chain, site, report)

    def _outside_chain(
        self, target: StepNode, chain: list[Scope], site: Site, report: _Report
    ) -> bool:
        main = self.skeleton.main
        visible = {id(scope) for scope in chain}
        if chain[-1].kind == "compensations":
            if target.scope is main:
                return True  # Compensation steps read what the steps they undo produced.
            visible.add(id(main))
        if target.scope.root.kind == "compensations":
            report(
                Code.REFERENCE_NOT_ALLOWED,
                f"step {target.id!r} is a compensation step; its output cannot be read here",
                "compensation steps only run after a failure",
            )
            return False
        container: StepNode | None = None
        scope: Scope | None = target.scope
        while scope is not None and id(scope) not in visible:
            container = scope.owner
            scope = scope.parent
        if container is None:
            return True
        branch_owner = _shared_parallel(target, chain)
        if branch_owner is not None:
            report(
                Code.CROSS_BRANCH_REFERENCE,
                f"steps.{target.id} belongs to another branch of parallel {branch_owner.id!r}",
                "branches run independently; read it after the parallel step, through "
                f"steps.{branch_owner.id}.output",
            )
            return False
        report(
            Code.NESTED_STEP_REFERENCE,
            f"steps.{target.id} is inside {container.type or 'container'} {container.id!r} "
            "and cannot be read from outside it",
            f"read steps.{container.id}.output instead",
        )
        return False


def _shared_parallel(target: StepNode, chain: list[Scope]) -> StepNode | None:
    """The parallel step whose different branches hold ``target`` and the reading site."""
    site_scopes = {id(scope): scope for scope in chain}
    scope: Scope | None = target.scope
    while scope is not None:
        owner = scope.owner
        if owner is None:
            return None
        parent = owner.scope
        if id(parent) in site_scopes:
            # ``owner`` is the outermost container of target below the common scope; the site
            # is inside a sibling branch of it only if the site's chain passes through owner.
            for site_scope in chain:
                if site_scope.owner is owner and site_scope is not scope:
                    return owner
            return None
        scope = parent
    return None


@dataclass(slots=True)
class _Report:
    """Reports at the position of one reference inside its string."""

    reporter: Reporter
    text: str
    path: Path
    offset: int

    def __call__(self, code: Code, message: str, hint: str | None = None) -> None:
        self.reporter.report_in_string(code, message, self.path, self.text, self.offset, hint=hint)
