"""The execution plan: what the durable engine runs, derived from a valid definition.

Scheduling rules the engine applies (documented in docs/dsl.md):

* a step is ready when every step in ``needs`` has finished (succeeded, failed with
  ``on_error: continue``, or skipped), and, for an error handler, when a step routing to it
  has finished;
* a ready step is skipped when its ``condition`` is false, when it directly needs a switch
  that did not choose it (``routed_by``), when all its needs were skipped, when a need
  failed and was routed to a handler, or when it is a handler and nothing failed;
* steps of a scope run inside their container; a container finishes when its scope does.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from flowwright.workflow.domain.dsl.durations import parse_duration
from flowwright.workflow.domain.dsl.model_types import expand_cron
from flowwright.workflow.domain.dsl.models import WorkflowDefinition, nested_scopes
from flowwright.workflow.domain.dsl.registry import STEP_TYPES
from flowwright.workflow.domain.dsl.step_base import OnErrorGoto, RetryPolicy, StepBase
from flowwright.workflow.domain.dsl.triggers import CronTrigger
from flowwright.workflow.domain.expressions import Template, parse_template

ScopeKind = Literal["main", "branch", "loop", "compensations"]


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """A retry policy with durations in milliseconds."""

    max_attempts: int
    backoff: Literal["exponential", "linear", "fixed"]
    initial_ms: int
    max_ms: int
    jitter: bool
    non_retryable: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """What a failure does: fail the run, continue, or run ``handler``."""

    action: Literal["fail", "continue", "goto"]
    handler: str | None = None


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One step, with every default resolved."""

    id: str
    type: str
    name: str | None
    needs: tuple[str, ...]
    dependents: tuple[str, ...]
    #: Parsed ``if``; ``None`` when the step always runs.
    condition: Template | None
    retry: RetryPlan | None
    timeout_ms: int | None
    on_error: ErrorPolicy
    #: Steps whose failures are routed here (this step is their error handler).
    handles_errors_of: tuple[str, ...]
    #: Switches among ``needs`` that list this step as a target.
    routed_by: tuple[str, ...]
    compensate_with: str | None
    #: The validated step model (type-specific fields included).
    config: StepBase
    #: Nested scopes: a parallel's branches or a foreach body.
    scopes: tuple[ScopePlan, ...] = ()


@dataclass(frozen=True, slots=True)
class ScopePlan:
    """Sibling steps in topological order; ``result_step``'s output is the scope's result."""

    kind: ScopeKind
    name: str | None
    steps: tuple[StepPlan, ...]
    result_step: str | None


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """Everything the engine needs to run a workflow version."""

    workflow: str
    content_hash: str
    timeout_ms: int | None
    inputs_schema: Mapping[str, Any]
    vars: Mapping[str, Any]
    #: Output templates, rendered with ``render_value`` when the run ends.
    outputs: Mapping[str, Any]
    triggers: tuple[Any, ...]
    main: ScopePlan
    compensations: ScopePlan
    _index: Mapping[str, StepPlan] = field(default_factory=dict, repr=False, compare=False)

    def step(self, step_id: str) -> StepPlan:
        """The plan of step ``step_id`` wherever it is nested."""
        return self._index[step_id]

    def all_steps(self) -> Iterator[StepPlan]:
        """Every step, nested ones after their container, compensations last."""
        yield from _walk(self.main)
        yield from _walk(self.compensations)


def _walk(scope: ScopePlan) -> Iterator[StepPlan]:
    for step in scope.steps:
        yield step
        for child in step.scopes:
            yield from _walk(child)


def build_plan(
    definition: WorkflowDefinition,
    content_hash: str,
    *,
    parse: Callable[[str], Template] = parse_template,
) -> ExecutionPlan:
    """The plan of a valid ``definition``; ``parse`` may reuse templates parsed earlier."""
    builder = _Builder(definition, parse)
    main = builder.scope("main", None, definition.steps)
    compensations = builder.scope("compensations", None, definition.compensations)
    triggers = tuple(
        trigger.model_copy(update={"schedule": expand_cron(trigger.schedule)})
        if isinstance(trigger, CronTrigger)
        else trigger
        for trigger in definition.triggers
    )
    return ExecutionPlan(
        workflow=definition.metadata.name,
        content_hash=content_hash,
        timeout_ms=_ms(definition.timeout),
        inputs_schema=MappingProxyType(definition.inputs_schema()),
        vars=MappingProxyType(dict(definition.vars)),
        outputs=MappingProxyType(dict(definition.outputs)),
        triggers=triggers,
        main=main,
        compensations=compensations,
        _index=MappingProxyType(builder.index),
    )


class _Builder:
    def __init__(self, definition: WorkflowDefinition, parse: Callable[[str], Template]) -> None:
        self.defaults = definition.defaults
        self.parse = parse
        self.index: dict[str, StepPlan] = {}

    def scope(self, kind: ScopeKind, name: str | None, steps: list[Any]) -> ScopePlan:
        ordered = _topological(steps)
        handlers: dict[str, list[str]] = {}
        dependents: dict[str, list[str]] = {}
        switch_targets: dict[str, set[str]] = {}
        for step in steps:
            if isinstance(step.on_error, OnErrorGoto):
                handlers.setdefault(step.on_error.goto, []).append(step.id)
            for need in step.needs:
                dependents.setdefault(need, []).append(step.id)
            spec = STEP_TYPES.get(step.type)
            if spec is not None and spec.targets:
                raw = step.model_dump(by_alias=True)
                switch_targets[step.id] = {t.step_id for t in spec.routing_targets(raw)}
        plans = tuple(self.step(step, handlers, dependents, switch_targets) for step in ordered)
        result = steps[-1].id if steps and kind in ("branch", "loop") else None
        return ScopePlan(kind, name, plans, result)

    def step(
        self,
        step: StepBase,
        handlers: Mapping[str, list[str]],
        dependents: Mapping[str, list[str]],
        switch_targets: Mapping[str, set[str]],
    ) -> StepPlan:
        spec = STEP_TYPES.get(step.type)
        assert spec is not None
        scopes = self._children(step)
        timeout = step.timeout
        if timeout is None and spec.supports_timeout and not spec.waits:
            timeout = self.defaults.timeout
        retry = step.retry if step.retry is not None else self.defaults.retry
        on_error = (
            ErrorPolicy("goto", step.on_error.goto)
            if isinstance(step.on_error, OnErrorGoto)
            else ErrorPolicy(step.on_error)
        )
        plan = StepPlan(
            id=step.id,
            type=step.type,
            name=step.name,
            needs=tuple(step.needs),
            dependents=tuple(dependents.get(step.id, ())),
            condition=self._condition(step.if_),
            retry=_retry(retry) if spec.supports_retry and retry is not None else None,
            timeout_ms=_ms(timeout),
            on_error=on_error,
            handles_errors_of=tuple(handlers.get(step.id, ())),
            routed_by=tuple(n for n in step.needs if step.id in switch_targets.get(n, ())),
            compensate_with=step.compensate_with,
            config=step,
            scopes=scopes,
        )
        self.index[step.id] = plan
        return plan

    def _condition(self, condition: str | bool | None) -> Template | None:
        if condition is None or condition is True:
            return None
        return self.parse("${{ false }}" if condition is False else condition)

    def _children(self, step: StepBase) -> tuple[ScopePlan, ...]:
        return tuple(
            self.scope(nested.kind, nested.group, nested.steps) for nested in nested_scopes(step)
        )


def _topological(steps: list[Any]) -> list[Any]:
    """Kahn's algorithm, ties broken by document order so the plan is deterministic."""
    position = {step.id: index for index, step in enumerate(steps)}
    incoming: dict[str, int] = {step.id: 0 for step in steps}
    outgoing: dict[str, list[str]] = {step.id: [] for step in steps}
    for step in steps:
        for need in step.needs:
            if need in outgoing:
                outgoing[need].append(step.id)
                incoming[step.id] += 1
        if isinstance(step.on_error, OnErrorGoto) and step.on_error.goto in incoming:
            outgoing[step.id].append(step.on_error.goto)
            incoming[step.on_error.goto] += 1
    ready = [position[s] for s, count in incoming.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Any] = []
    while ready:
        step = steps[heapq.heappop(ready)]
        ordered.append(step)
        for target in outgoing[step.id]:
            incoming[target] -= 1
            if incoming[target] == 0:
                heapq.heappush(ready, position[target])
    return ordered


def _retry(policy: RetryPolicy) -> RetryPlan:
    return RetryPlan(
        max_attempts=policy.max_attempts,
        backoff=policy.backoff,
        initial_ms=parse_duration(policy.initial),
        max_ms=parse_duration(policy.max),
        jitter=policy.jitter,
        non_retryable=tuple(policy.non_retryable),
    )


def _ms(duration: str | None) -> int | None:
    return parse_duration(duration) if duration is not None else None
