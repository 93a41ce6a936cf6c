"""The preview graph of a workflow: nodes, edges, JSON and Mermaid."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from flowwright.workflow.domain.dsl.mermaid import render_mermaid
from flowwright.workflow.domain.dsl.models import WorkflowDefinition, nested_scopes
from flowwright.workflow.domain.dsl.registry import STEP_TYPES
from flowwright.workflow.domain.dsl.step_base import OnErrorGoto, StepBase

EdgeKind = Literal["needs", "case", "default", "on_error", "compensation"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A step; ``parent`` is the id of its container (parallel, foreach) or ``None``."""

    id: str
    type: str
    label: str
    parent: str | None
    #: The parallel branch the step belongs to, if any.
    branch: str | None = None
    #: Whether the step is listed under ``compensations``.
    compensation: bool = False


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """``source`` leads to ``target``; ``label`` names a switch case."""

    source: str
    target: str
    kind: EdgeKind
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes and edges for previews."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"nodes": [...], "edges": [...]}`` with plain values."""
        return {
            "nodes": [asdict(node) for node in self.nodes],
            "edges": [asdict(edge) for edge in self.edges],
        }

    def to_json(self) -> str:
        """The graph as compact JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def to_mermaid(self) -> str:
        """A Mermaid ``flowchart TD``; containers become subgraphs."""
        return render_mermaid(self)


def build_graph(definition: WorkflowDefinition) -> Graph:
    """The graph of a valid ``definition``."""
    builder = _GraphBuilder(definition)
    builder.add_steps(definition.steps, None, None, compensation=False)
    builder.add_steps(definition.compensations, None, None, compensation=True)
    for step in definition.all_steps():
        if step.compensate_with is not None:
            builder.edges.append(GraphEdge(step.id, step.compensate_with, "compensation", "undo"))
    return Graph(tuple(builder.nodes), tuple(builder.edges))


class _GraphBuilder:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        # A switch's edge to a target it routes to replaces the plain needs edge.
        self.routes: dict[tuple[str, str], list[GraphEdge]] = {}
        for step in definition.all_steps():
            spec = STEP_TYPES.get(step.type)
            if spec is None or not spec.targets:
                continue
            for target in spec.routing_targets(step.model_dump(by_alias=True)):
                edge = GraphEdge(step.id, target.step_id, target.kind, target.label)
                edges = self.routes.setdefault((step.id, target.step_id), [])
                if edge not in edges:
                    edges.append(edge)

    def add_steps(
        self, steps: list[Any], parent: str | None, branch: str | None, *, compensation: bool
    ) -> None:
        for step in steps:
            self.add_step(step, parent, branch, compensation)

    def add_step(
        self, step: StepBase, parent: str | None, branch: str | None, compensation: bool
    ) -> None:
        label = step.name or step.id
        self.nodes.append(GraphNode(step.id, step.type, label, parent, branch, compensation))
        for need in step.needs:
            routed = self.routes.get((need, step.id))
            self.edges.extend(routed or [GraphEdge(need, step.id, "needs")])
        if isinstance(step.on_error, OnErrorGoto):
            self.edges.append(GraphEdge(step.id, step.on_error.goto, "on_error", "on error"))
        for nested in nested_scopes(step):
            self.add_steps(nested.steps, step.id, nested.group, compensation=compensation)
