"""The step structure of a document, read leniently from raw data.

Graph and reference checks run on this skeleton rather than on validated models so that a
typo in one step does not hide a cycle or a bad reference elsewhere: every step with a
usable id takes part, whatever else is wrong with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flowwright.workflow.domain.dsl.paths import Path
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, StepTypeSpec

ScopeKind = Literal["main", "branch", "loop", "compensations"]


@dataclass(eq=False, slots=True)
class Scope:
    """A list of sibling steps: the workflow's steps, a branch, a foreach body, compensations."""

    kind: ScopeKind
    path: Path
    owner: StepNode | None = None
    group: str | None = None
    steps: list[StepNode] = field(default_factory=list)
    by_id: dict[str, StepNode] = field(default_factory=dict)
    #: The raw list, non-mapping items included (they are reported, not read).
    items: list[Any] = field(default_factory=list)

    @property
    def parent(self) -> Scope | None:
        return self.owner.scope if self.owner is not None else None

    @property
    def in_loop(self) -> bool:
        """Whether steps here run once per item of an enclosing foreach."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind == "loop":
                return True
            scope = scope.parent
        return False

    def chain(self) -> Iterator[Scope]:
        """This scope and every enclosing one, innermost first."""
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    @property
    def root(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


@dataclass(eq=False, slots=True)
class StepNode:
    """One step as far as it could be read."""

    raw: Mapping[str, Any]
    path: Path
    scope: Scope
    index: int
    depth: int
    id: str | None
    type: str | None
    spec: StepTypeSpec | None
    needs: list[tuple[str, Path]] = field(default_factory=list)
    children: list[Scope] = field(default_factory=list)
    #: Index of the step in its scope's topological bit numbering (set by graph checks).
    bit: int = 0
    #: Bit set of the sibling steps guaranteed to have finished before this one starts.
    ancestors: int = 0

    def label(self) -> str:
        return repr(self.id) if self.id is not None else f"at {self.path}"


@dataclass(slots=True)
class Skeleton:
    """All scopes and steps of a document."""

    main: Scope
    compensations: Scope
    steps: list[StepNode] = field(default_factory=list)
    #: First step for each id; duplicates are reported and otherwise ignored.
    by_id: dict[str, StepNode] = field(default_factory=dict)
    duplicates: list[StepNode] = field(default_factory=list)
    max_depth_seen: int = 0


def build_skeleton(root: Mapping[str, Any]) -> Skeleton:
    """Read every step of ``root`` (the document's top mapping)."""
    main = Scope("main", ("steps",))
    compensations = Scope("compensations", ("compensations",))
    skeleton = Skeleton(main, compensations)
    for scope in (main, compensations):
        items = root.get(str(scope.path[0]))
        if isinstance(items, list):
            _read_scope(skeleton, scope, items, 1)
    return skeleton


def _read_scope(skeleton: Skeleton, scope: Scope, items: list[Any], depth: int) -> None:
    """Read steps depth first in document order, without recursion (nesting is unbounded)."""
    scope.items = items
    stack: list[tuple[Scope, int, int]] = [(scope, depth, 0)]
    while stack:
        current, level, start = stack.pop()
        skeleton.max_depth_seen = max(skeleton.max_depth_seen, level)
        for index in range(start, len(current.items)):
            raw = current.items[index]
            if not isinstance(raw, Mapping):
                continue
            node = _read_step(raw, (*current.path, index), current, index, level)
            current.steps.append(node)
            skeleton.steps.append(node)
            if node.id is not None:
                if node.id in skeleton.by_id:
                    skeleton.duplicates.append(node)
                else:
                    skeleton.by_id[node.id] = node
                current.by_id.setdefault(node.id, node)
            nested = node.spec.nested_lists(raw) if node.spec is not None else []
            if not nested:
                continue
            for found in nested:
                child = Scope(found.kind, (*node.path, *found.path), owner=node, group=found.group)
                child.items = found.items
                node.children.append(child)
            # Resume this list after the children, which come first in document order.
            stack.append((current, level, index + 1))
            stack.extend((child, level + 1, 0) for child in reversed(node.children))
            break


def _read_step(
    raw: Mapping[str, Any], path: Path, scope: Scope, index: int, depth: int
) -> StepNode:
    step_id = raw.get("id")
    step_type = raw.get("type")
    node = StepNode(
        raw=raw,
        path=path,
        scope=scope,
        index=index,
        depth=depth,
        id=step_id if isinstance(step_id, str) and step_id else None,
        type=step_type if isinstance(step_type, str) else None,
        spec=STEP_TYPES.get(step_type) if isinstance(step_type, str) else None,
    )
    needs = raw.get("needs")
    if isinstance(needs, list):
        node.needs = [(n, (*path, "needs", i)) for i, n in enumerate(needs) if isinstance(n, str)]
    return node
