"""The step-type registry: everything the compiler knows about each step type.

A step type contributes its pydantic model, the fields that hold templates, its nested step
lists, the steps it routes to, the static shape of its output and extra checks. Adding a
type means writing one module in ``step_types`` and registering it there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.options import CompileOptions
from flowwright.workflow.domain.dsl.paths import ANY, Path
from flowwright.workflow.domain.dsl.shapes import ANY as ANY_SHAPE
from flowwright.workflow.domain.dsl.shapes import Shape
from flowwright.workflow.domain.dsl.step_base import StepBase
from flowwright.workflow.domain.dsl.suggest import closest


@dataclass(frozen=True, slots=True)
class NestedSpec:
    """A nested step list: its path pattern in the step and the key naming each group.

    ``kind`` says how the list runs: ``branch`` lists run side by side and cannot read each
    other; a ``loop`` list runs once per item, with ``item`` and ``index`` in scope.
    """

    pattern: Path
    kind: Literal["branch", "loop"]
    #: Key, beside the list, whose value names the group (a parallel branch's ``name``).
    group_key: str | None = None


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """Fields holding ids of steps this step routes to (a switch's cases and default)."""

    pattern: Path
    kind: Literal["case", "default"]


@dataclass(frozen=True, slots=True)
class NestedList:
    """One nested step list found in a step's raw data."""

    path: Path
    items: list[Any]
    group: str | None
    kind: Literal["branch", "loop"]


@dataclass(frozen=True, slots=True)
class Target:
    """One routing target found in a step's raw data."""

    step_id: str
    path: Path
    kind: Literal["case", "default"]
    label: str


class CheckContext(Protocol):
    """What a type's extra checks may use: the options and a way to report findings."""

    @property
    def options(self) -> CompileOptions: ...

    @property
    def workflow_name(self) -> str | None: ...

    def report(
        self, code: Code, message: str, path: Path, *, key: bool = False, hint: str | None = None
    ) -> None:
        """Report at ``path`` relative to the step being checked."""


class ShapeContext(Protocol):
    """Lets a container derive its output shape from its nested steps."""

    def shape_of(self, raw_step: Any) -> Shape: ...

    def is_dynamic(self, text: str) -> bool: ...


def _no_check(step: Any, context: CheckContext) -> None:
    return None


def _any_shape(raw: Mapping[str, Any], context: ShapeContext) -> Shape:
    return ANY_SHAPE


@dataclass(frozen=True, slots=True)
class StepTypeSpec:
    """Everything the compiler needs to know about one step type."""

    name: str
    model: type[StepBase]
    summary: str
    #: Fields (relative patterns) whose strings may contain ``${{ }}`` templates.
    template_fields: tuple[Path, ...] = ()
    #: Fields that must be exactly one ``${{ }}`` expression.
    expression_fields: tuple[Path, ...] = ()
    #: Fields where ``secrets.*`` may be read; anywhere else a secret could leak.
    secret_fields: tuple[Path, ...] = ()
    nested: tuple[NestedSpec, ...] = ()
    targets: tuple[TargetSpec, ...] = ()
    output_shape: Callable[[Mapping[str, Any], ShapeContext], Shape] = _any_shape
    check: Callable[[Any, CheckContext], None] = _no_check
    #: Whether retry policies apply (waiting and control-flow steps do not retry).
    supports_retry: bool = True
    #: Whether ``timeout`` means anything (instant steps and delays have none).
    supports_timeout: bool = True
    #: Waiting steps (approval, delay) are not bounded by ``defaults.timeout``.
    waits: bool = False
    #: A short YAML example for the language reference.
    example: str = ""
    #: What the step outputs, in words, for the language reference.
    output_doc: str = ""

    def nested_lists(self, raw: Mapping[str, Any]) -> list[NestedList]:
        """Nested step lists present in ``raw`` (a step's data, possibly invalid)."""
        found: list[NestedList] = []
        for spec in self.nested:
            for path, value in expand(raw, spec.pattern):
                if not isinstance(value, list):
                    continue
                group: str | None = None
                if spec.group_key is not None:
                    parent = lookup(raw, path[:-1])
                    name = parent.get(spec.group_key) if isinstance(parent, Mapping) else None
                    group = name if isinstance(name, str) else None
                found.append(NestedList(path, value, group, spec.kind))
        return found

    def routing_targets(self, raw: Mapping[str, Any]) -> list[Target]:
        """Step ids this step routes to, with where each is written."""
        found: list[Target] = []
        for spec in self.targets:
            for path, value in expand(raw, spec.pattern):
                if isinstance(value, str):
                    label = f"case {path[1]}" if spec.kind == "case" else "default"
                    found.append(Target(value, path, spec.kind, label))
        return found


def expand(data: Any, pattern: Path, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) in ``data`` selected by ``pattern`` (``*`` spans list items)."""
    if not pattern:
        yield prefix, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == ANY:
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from expand(item, rest, (*prefix, index))
        elif isinstance(data, Mapping):
            for key, item in data.items():
                yield from expand(item, rest, (*prefix, key))
        return
    if isinstance(data, Mapping) and head in data:
        yield from expand(data[head], rest, (*prefix, head))


def lookup(data: Any, path: Path) -> Any:
    """The value at ``path`` in ``data`` or ``None``."""
    current = data
    for part in path:
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping):
            current = current.get(part)
        else:
            return None
    return current


@dataclass(slots=True)
class StepTypeRegistry:
    """Registered step types by name."""

    _types: dict[str, StepTypeSpec] = field(default_factory=dict)

    def register(self, spec: StepTypeSpec) -> StepTypeSpec:
        if spec.name in self._types:
            raise ValueError(f"step type {spec.name!r} is already registered")
        self._types[spec.name] = spec
        return spec

    def get(self, name: str) -> StepTypeSpec | None:
        return self._types.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._types)

    def specs(self) -> tuple[StepTypeSpec, ...]:
        return tuple(self._types.values())

    def closest(self, name: str) -> str | None:
        """The registered type whose name is closest to ``name``, if any is close."""
        return closest(name, self._types, cutoff=0.5)


#: The registry of built-in step types, filled by ``flowwright.workflow.domain.dsl.step_types``.
STEP_TYPES = StepTypeRegistry()
