"""Rendering a graph as a Mermaid flowchart."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowwright.workflow.domain.dsl.graph import Graph, GraphEdge, GraphNode

# Words Mermaid reads as syntax; a step with such an id gets a suffix in the chart.
_RESERVED = frozenset(
    {
        "end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click",
        "linkstyle", "direction", "default", "call", "href",
    }
)  # fmt: skip
_SHAPES = {
    "switch": ('{"', '"}'),
    "approval": ('{{"', '"}}'),
    "delay": ('(["', '"])'),
    "llm": ('[["', '"]]'),
    "transform": ('["', '"]'),
}
_ARROWS = {
    "needs": "-->",
    "case": "-->",
    "default": "-->",
    "on_error": "-.->",
    "compensation": "-.->",
}
_CONTAINERS = frozenset({"parallel", "foreach"})


def mermaid_id(step_id: str) -> str:
    """A node id Mermaid cannot mistake for a keyword."""
    return f"{step_id}_" if step_id.lower() in _RESERVED else step_id


def escape_label(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for special characters)."""
    replacements = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"))
    for old, new in replacements:
        text = text.replace(old, new)
    return " ".join(text.split())


def render_mermaid(graph: Graph) -> str:
    """``flowchart TD`` text for ``graph``."""
    children: dict[str | None, list[GraphNode]] = defaultdict(list)
    for node in graph.nodes:
        if not node.compensation or node.parent is not None:
            children[node.parent].append(node)
    lines = ["flowchart TD"]
    for node in children[None]:
        _render_node(node, children, lines, 1)
    compensations = [n for n in graph.nodes if n.compensation and n.parent is None]
    if compensations:
        lines.append('  subgraph COMPENSATIONS["compensations"]')
        for node in compensations:
            _render_node(node, children, lines, 2)
        lines.append("  end")
    lines.extend(_render_edge(edge) for edge in graph.edges)
    return "\n".join(lines) + "\n"


def _render_node(
    node: GraphNode, children: dict[str | None, list[GraphNode]], lines: list[str], depth: int
) -> None:
    pad = "  " * depth
    label = escape_label(node.label if node.label == node.id else f"{node.label} ({node.id})")
    if node.type not in _CONTAINERS:
        opening, closing = _SHAPES.get(node.type, ('["', '"]'))
        lines.append(f"{pad}{mermaid_id(node.id)}{opening}{label}{closing}")
        return
    lines.append(f'{pad}subgraph {mermaid_id(node.id)}["{node.type}: {label}"]')
    lines.append(f"{pad}  direction TB")
    nested = children.get(node.id, [])
    branches: dict[str | None, list[GraphNode]] = defaultdict(list)
    for child in nested:
        branches[child.branch].append(child)
    for index, (branch, members) in enumerate(branches.items()):
        if branch is None:
            for child in members:
                _render_node(child, children, lines, depth + 1)
            continue
        # Upper case cannot collide with step ids, which are lower case.
        lines.append(f'{pad}  subgraph B{index}_{node.id}["{escape_label(branch)}"]')
        for child in members:
            _render_node(child, children, lines, depth + 2)
        lines.append(f"{pad}  end")
    lines.append(f"{pad}end")


def _render_edge(edge: GraphEdge) -> str:
    arrow = _ARROWS[edge.kind]
    label = f"|{escape_label(edge.label)}|" if edge.label else ""
    return f"  {mermaid_id(edge.source)} {arrow}{label} {mermaid_id(edge.target)}"
