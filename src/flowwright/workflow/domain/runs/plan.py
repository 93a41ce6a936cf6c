"""The engine's index over the compiler's ExecutionPlan: steps by id, scopes by name.

Step ids are unique across the whole definition (nested ones included), so one map holds them
all. A *scope* is a list of sibling steps; scopes of the definition are named ``""`` (the main
steps), ``<parallel id>/<branch>``, ``<foreach id>[]`` and ``~compensate``. At run time each scope
has instances whose keys add the container's instance key and the iteration index (keys.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowwright.workflow.domain.dsl.plan import ExecutionPlan, RetryPlan, ScopePlan, StepPlan
from flowwright.workflow.domain.expressions import Template
from flowwright.workflow.domain.runs.keys import COMPENSATION_SCOPE, ROOT
from flowwright.workflow.domain.runs.retry import NO_RETRY, Backoff


@dataclass(frozen=True)
class StepSpec:
    id: str
    type: str
    model: Any  # the validated step model, type-specific fields included
    scope: str
    needs: tuple[str, ...]
    condition: Template | None
    retry: Backoff
    timeout_ms: int | None
    on_error: str  # "fail" | "continue" | "goto"
    handler: str | None
    compensate_with: str | None
    is_handler: bool = False
    switch_targets: frozenset[str] = frozenset()
    # Nested scopes: branch name -> scope name (parallel), or {"": scope} (foreach body).
    children: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunPlan:
    execution: ExecutionPlan
    steps: Mapping[str, StepSpec]
    scopes: Mapping[str, tuple[str, ...]]  # scope -> step ids in topological order
    results: Mapping[str, str | None]  # scope -> the step whose output is the scope's result
    # step -> the steps its end may decide: those that need it, and the handler of its failure
    dependents: Mapping[str, frozenset[str]]

    @property
    def timeout_ms(self) -> int | None:
        return self.execution.timeout_ms

    def scope_steps(self, scope: str) -> Iterator[StepSpec]:
        for step_id in self.scopes.get(scope, ()):
            yield self.steps[step_id]


def build_plan(execution: ExecutionPlan) -> RunPlan:
    steps: dict[str, StepSpec] = {}
    scopes: dict[str, tuple[str, ...]] = {}
    results: dict[str, str | None] = {}

    def add(name: str, scope: ScopePlan) -> None:
        scopes[name] = tuple(step.id for step in scope.steps)
        results[name] = scope.result_step
        for step in scope.steps:
            children = _children(step)
            steps[step.id] = _spec(step, name, children)
            for child_scope, child_name in zip(step.scopes, children.values(), strict=True):
                add(child_name, child_scope)

    add(ROOT, execution.main)
    if execution.compensations.steps:
        add(COMPENSATION_SCOPE, execution.compensations)
    return RunPlan(
        execution=execution,
        steps=steps,
        scopes=scopes,
        results=results,
        dependents=_dependents(steps),
    )


def _dependents(steps: Mapping[str, StepSpec]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {step_id: set() for step_id in steps}
    for spec in steps.values():
        for need in spec.needs:
            found.setdefault(need, set()).add(spec.id)
        if spec.handler is not None:
            found[spec.id].add(spec.handler)
    return {step_id: frozenset(ids) for step_id, ids in found.items()}


def _children(step: StepPlan) -> dict[str, str]:
    if step.type == "parallel":
        return {str(scope.name): f"{step.id}/{scope.name}" for scope in step.scopes}
    if step.type == "foreach":
        return {"": f"{step.id}[]"}
    return {}


def _spec(step: StepPlan, scope: str, children: dict[str, str]) -> StepSpec:
    targets: set[str] = set()
    if step.type == "switch":
        config: Any = step.config
        for case in config.cases:
            targets.update(case.goto)
        targets.update(config.default)
    return StepSpec(
        id=step.id,
        type=step.type,
        model=step.config,
        scope=scope,
        needs=step.needs,
        condition=step.condition,
        retry=_backoff(step.retry),
        timeout_ms=step.timeout_ms,
        on_error=step.on_error.action,
        handler=step.on_error.handler,
        compensate_with=step.compensate_with,
        is_handler=bool(step.handles_errors_of),
        switch_targets=frozenset(targets),
        children=children,
    )


def _backoff(retry: RetryPlan | None) -> Backoff:
    if retry is None:
        return NO_RETRY
    return Backoff(
        max_attempts=retry.max_attempts,
        kind=retry.backoff,
        initial_ms=retry.initial_ms,
        max_ms=retry.max_ms,
        jitter=retry.jitter,
        non_retryable=frozenset(retry.non_retryable),
    )
