"""Checks on the step graph: ids, needs, cycles, routing, handlers and compensations.

Each scope (a list of sibling steps) is a graph of its own: ``needs`` only name siblings.
The checks are linear in the number of steps and edges; ancestor sets are bit sets built in
topological order, so "is b upstream of a" is one bit test.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.options import CompileLimits
from flowwright.workflow.domain.dsl.paths import Path
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.skeleton import Scope, Skeleton, StepNode
from flowwright.workflow.domain.dsl.suggest import did_you_mean


@dataclass(slots=True)
class _Edge:
    """``source`` must finish before ``target``; ``path`` is where the edge is written."""

    source: StepNode
    target: StepNode
    path: Path
    via_error: bool = False


@dataclass(slots=True)
class _ScopeGraph:
    nodes: list[StepNode]
    incoming: dict[int, list[_Edge]] = field(default_factory=dict)
    outgoing: dict[int, list[_Edge]] = field(default_factory=dict)

    def add(self, edge: _Edge) -> None:
        self.incoming.setdefault(id(edge.target), []).append(edge)
        self.outgoing.setdefault(id(edge.source), []).append(edge)


def all_scopes(skeleton: Skeleton) -> Iterator[Scope]:
    """Every scope, outer ones first."""
    pending = [skeleton.main, skeleton.compensations]
    while pending:
        scope = pending.pop(0)
        yield scope
        for step in scope.steps:
            pending.extend(step.children)


def check_graph(skeleton: Skeleton, reporter: Reporter, limits: CompileLimits) -> None:
    """Run every graph check and fill in each step's ancestor set."""
    _check_ids(skeleton, reporter)
    _check_limits(skeleton, reporter, limits)
    for scope in all_scopes(skeleton):
        graph = _scope_graph(scope, reporter)
        order = _order(graph, reporter)
        _ancestors(order, graph)
        if scope.kind != "compensations":
            _unreachable(order, scope, reporter)
    _check_compensations(skeleton, reporter)


def _check_ids(skeleton: Skeleton, reporter: Reporter) -> None:
    for node in skeleton.duplicates:
        assert node.id is not None
        first = skeleton.by_id[node.id]
        line, _ = reporter.source_map.position((*first.path, "id"))
        reporter.report(
            Code.DUPLICATE_STEP_ID,
            f"step id {node.id!r} is already used",
            (*node.path, "id"),
            hint=f"first used on line {line}; ids are unique in the whole workflow",
        )


def check_step_count(skeleton: Skeleton, reporter: Reporter, limits: CompileLimits) -> None:
    """Report a workflow with more steps than ``limits`` allow."""
    if len(skeleton.steps) > limits.max_steps:
        reporter.report(
            Code.TOO_MANY_STEPS,
            f"the workflow has {len(skeleton.steps)} steps; the limit is {limits.max_steps}",
            ("steps",),
            key=True,
            hint="split it into subworkflows",
        )


def _check_limits(skeleton: Skeleton, reporter: Reporter, limits: CompileLimits) -> None:
    check_step_count(skeleton, reporter, limits)
    for node in skeleton.steps:
        if node.depth == limits.max_nesting_depth + 1:
            reporter.report(
                Code.NESTING_TOO_DEEP,
                f"steps are nested {node.depth} levels deep; the limit is "
                f"{limits.max_nesting_depth}",
                node.path,
                hint="move the inner part to a subworkflow",
            )


def _scope_graph(scope: Scope, reporter: Reporter) -> _ScopeGraph:
    graph = _ScopeGraph(scope.steps)
    for node in scope.steps:
        if scope.kind == "compensations" and node.needs:
            reporter.report(
                Code.UNSUPPORTED_FIELD,
                "compensation steps cannot have needs",
                (*node.path, "needs"),
                key=True,
                hint="they run in the reverse order of the steps they undo",
            )
            continue
        for need, path in node.needs:
            _add_need(graph, scope, node, need, path, reporter)
        _add_handler(graph, scope, node, reporter)
        _check_targets(scope, node, reporter)
    return graph


def _add_need(
    graph: _ScopeGraph, scope: Scope, node: StepNode, need: str, path: Path, reporter: Reporter
) -> None:
    source = scope.by_id.get(need)
    if source is not None and source is not node:
        graph.add(_Edge(source, node, path))
        return
    if reporter.full:
        return
    if need == node.id:
        reporter.report(
            Code.SELF_NEED, f"step {need!r} needs itself", path, hint="remove it from needs"
        )
        return
    reporter.report(
        Code.UNKNOWN_NEED,
        f"needs names {need!r}, which is not a step of this list",
        path,
        hint=_sibling_hint(scope, need),
    )


def _add_handler(graph: _ScopeGraph, scope: Scope, node: StepNode, reporter: Reporter) -> None:
    on_error = node.raw.get("on_error")
    if not isinstance(on_error, Mapping) or not isinstance(on_error.get("goto"), str):
        return
    target = on_error["goto"]
    path = (*node.path, "on_error", "goto")
    if target == node.id:
        reporter.report(
            Code.INVALID_ERROR_HANDLER,
            f"step {target!r} cannot handle its own failure",
            path,
            hint="route it to another step, or use on_error: continue",
        )
        return
    handler = scope.by_id.get(target)
    if handler is None:
        if reporter.full:
            return
        reporter.report(
            Code.INVALID_ERROR_HANDLER,
            f"on_error.goto names {target!r}, which is not a step of this list",
            path,
            hint=_sibling_hint(scope, target),
        )
        return
    graph.add(_Edge(node, handler, path, via_error=True))


def _check_targets(scope: Scope, node: StepNode, reporter: Reporter) -> None:
    if node.spec is None or not node.spec.targets:
        return
    for target in node.spec.routing_targets(node.raw):
        path = (*node.path, *target.path)
        if target.step_id == node.id:
            reporter.report(Code.INVALID_SWITCH_TARGET, "a switch cannot route to itself", path)
            continue
        routed = scope.by_id.get(target.step_id)
        if routed is None:
            if reporter.full:
                return
            reporter.report(
                Code.INVALID_SWITCH_TARGET,
                f"{target.label} routes to {target.step_id!r}, which is not a step of this list",
                path,
                hint=_sibling_hint(scope, target.step_id),
            )
        elif node.id not in {need for need, _ in routed.needs}:
            reporter.report(
                Code.INVALID_SWITCH_TARGET,
                f"{target.step_id!r} is a target of switch {node.id!r} but does not need it",
                path,
                hint=f"add {node.id!r} to the needs of {target.step_id!r}",
            )


def _sibling_hint(scope: Scope, name: str) -> str | None:
    guess = did_you_mean(name, scope.by_id)
    if guess is not None:
        return guess
    root = scope.root
    if scope.owner is not None or root.kind == "compensations":
        return "only steps of the same list can be named here"
    return None


def _order(graph: _ScopeGraph, reporter: Reporter) -> list[StepNode]:
    """Topological order (Kahn); cycles are reported and their steps left out."""
    remaining = {id(node): len(graph.incoming.get(id(node), ())) for node in graph.nodes}
    ready = deque(node for node in graph.nodes if remaining[id(node)] == 0)
    order: list[StepNode] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for edge in graph.outgoing.get(id(node), ()):
            remaining[id(edge.target)] -= 1
            if remaining[id(edge.target)] == 0:
                ready.append(edge.target)
    if len(order) < len(graph.nodes):
        _report_cycles(graph, {id(n) for n in order}, reporter)
    return order


def _report_cycles(graph: _ScopeGraph, done: set[int], reporter: Reporter) -> None:
    """Find cycles among the steps Kahn could not order, iteratively (no recursion)."""
    white, gray, black = 0, 1, 2
    color = {id(node): white for node in graph.nodes if id(node) not in done}
    for start in graph.nodes:
        if color.get(id(start)) != white:
            continue
        stack: list[tuple[StepNode, Iterator[_Edge]]] = [
            (start, iter(graph.incoming.get(id(start), ())))
        ]
        color[id(start)] = gray
        while stack:
            node, edges = stack[-1]
            edge = next(edges, None)
            if edge is None:
                color[id(node)] = black
                stack.pop()
                continue
            need = edge.source
            state = color.get(id(need))
            if state == gray:
                start_at = next(i for i, (n, _) in enumerate(stack) if n is need)
                cycle = [n.id or "?" for n, _ in stack[start_at:]] + [need.id or "?"]
                reporter.report(
                    Code.CYCLE,
                    "dependency cycle: " + " -> ".join(cycle) + " (each step needs the next)",
                    edge.path,
                    hint="remove one of these needs",
                )
            elif state == white:
                color[id(need)] = gray
                stack.append((need, iter(graph.incoming.get(id(need), ()))))


def _ancestors(order: list[StepNode], graph: _ScopeGraph) -> None:
    for bit, node in enumerate(graph.nodes):
        node.bit = bit
        node.ancestors = 0
    for node in order:
        ancestors = 0
        for edge in graph.incoming.get(id(node), ()):
            ancestors |= edge.source.ancestors | (1 << edge.source.bit)
        node.ancestors = ancestors


def _unreachable(order: list[StepNode], scope: Scope, reporter: Reporter) -> None:
    never: set[int] = set()
    for node in order:
        reason = _never_runs(node, scope, never)
        if reason is None:
            continue
        never.add(id(node))
        reporter.report(
            Code.UNREACHABLE_STEP,
            f"step {node.label()} can never run: {reason}",
            (*node.path, "id") if "id" in node.raw else node.path,
        )


def _never_runs(node: StepNode, scope: Scope, never: set[int]) -> str | None:
    condition = node.raw.get("if")
    if condition is False or (isinstance(condition, str) and _literally_false(condition)):
        return "its condition is always false"
    for need, _ in node.needs:
        source = scope.by_id.get(need)
        if source is None or source.spec is None or not source.spec.targets:
            continue
        targets = {t.step_id for t in source.spec.routing_targets(source.raw)}
        if node.id not in targets:
            return (
                f"it needs switch {need!r} but no case or default routes to it "
                f"(add it to a goto list, or make it need a step after the switch)"
            )
    sources = [scope.by_id.get(need) for need, _ in node.needs]
    known = [s for s in sources if s is not None]
    if known and len(known) == len(sources) and all(id(s) in never for s in known):
        return "none of the steps it needs can run"
    return None


def _literally_false(text: str) -> bool:
    compact = "".join(text.split())
    return compact in ("${{false}}", "false")


def _check_compensations(skeleton: Skeleton, reporter: Reporter) -> None:
    used: set[str] = set()
    available = skeleton.compensations.by_id
    for node in skeleton.steps:
        target = node.raw.get("compensate_with")
        if not isinstance(target, str):
            continue
        path = (*node.path, "compensate_with")
        if node.scope.kind == "compensations":
            reporter.report(
                Code.INVALID_COMPENSATION,
                "a compensation step cannot have its own compensate_with",
                path,
                key=True,
            )
        elif node.scope is not skeleton.main:
            reporter.report(
                Code.INVALID_COMPENSATION,
                "only top-level steps can have compensate_with",
                path,
                key=True,
                hint="put compensate_with on the enclosing parallel or foreach step",
            )
        elif target not in available:
            hint = did_you_mean(target, available)
            if hint is None and target in skeleton.main.by_id:
                hint = f"{target!r} is a regular step; list undo steps under compensations"
            reporter.report(
                Code.UNKNOWN_COMPENSATION,
                f"compensate_with names {target!r}, which is not a compensation step",
                path,
                hint=hint,
            )
        else:
            used.add(target)
    for node in skeleton.compensations.steps:
        if node.type == "switch":
            reporter.report(
                Code.INVALID_COMPENSATION,
                "a switch cannot be a compensation step",
                (*node.path, "type"),
            )
        if node.id is not None and node.id not in used:
            reporter.report(
                Code.UNUSED_COMPENSATION,
                f"compensation step {node.id!r} is not used by any compensate_with",
                (*node.path, "id"),
            )
