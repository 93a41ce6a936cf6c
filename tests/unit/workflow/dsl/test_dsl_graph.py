"""The preview graph: nodes, edge kinds, JSON and Mermaid."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flowwright.workflow.domain.dsl import Graph, GraphEdge, GraphNode

if TYPE_CHECKING:
    from testkit import Dsl

BODY = (
    "steps:\n  - {id: start, type: transform, name: 'Say \"hi\" <now> #1', output: 1}\n"
    "  - id: route\n    type: switch\n    needs: [start]\n"
    "    cases: [{when: '${{ true }}', goto: [end]}]\n    default: [p]\n"
    "  - {id: end, type: http, needs: [route], url: 'https://x.example.com', on_error: {goto: "
    "handler}, compensate_with: undo}\n"
    "  - {id: handler, type: transform, output: 0}\n"
    "  - id: p\n    type: parallel\n    needs: [route]\n    branches:\n"
    "      - name: left\n        steps: [{id: l, type: approval, message: ok}]\n"
    "      - name: right\n        steps: [{id: r, type: delay, duration: 1m}]\n"
    "  - id: f\n    type: foreach\n    needs: [p]\n    items: ${{ [1] }}\n"
    "    steps: [{id: body, type: llm, model: fast, prompt: x}]\n"
    "compensations:\n  - {id: undo, type: http, method: POST, url: 'https://x.example.com/undo'}\n"
)


def _graph(dsl: Dsl) -> Graph:
    graph = dsl.ok(BODY).graph
    assert graph is not None
    return graph


def test_nodes_have_parents_and_branches(dsl: Dsl) -> None:
    nodes = {n.id: n for n in _graph(dsl).nodes}
    assert nodes["l"] == GraphNode("l", "approval", "l", "p", "left", False)
    assert nodes["body"].parent == "f"
    assert nodes["body"].branch is None
    assert nodes["undo"].compensation is True
    assert nodes["start"].label == 'Say "hi" <now> #1'


def test_edge_kinds(dsl: Dsl) -> None:
    edges = set(_graph(dsl).edges)
    assert GraphEdge("start", "route", "needs") in edges
    assert GraphEdge("route", "end", "case", "case 0") in edges
    assert GraphEdge("route", "p", "default", "default") in edges
    assert GraphEdge("route", "end", "needs") not in edges
    assert GraphEdge("end", "handler", "on_error", "on error") in edges
    assert GraphEdge("end", "undo", "compensation", "undo") in edges
    assert GraphEdge("p", "f", "needs") in edges


def test_json(dsl: Dsl) -> None:
    data = json.loads(_graph(dsl).to_json())
    assert set(data) == {"nodes", "edges"}
    assert {
        "id": "f",
        "type": "foreach",
        "label": "f",
        "parent": None,
        "branch": None,
        "compensation": False,
    } in data["nodes"]
    assert {"source": "route", "target": "end", "kind": "case", "label": "case 0"} in data["edges"]


def test_mermaid(dsl: Dsl) -> None:
    text = _graph(dsl).to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert text.endswith("\n")
    assert '  start["Say #quot;hi#quot; #lt;now#gt; #35;1 (start)"]' in lines
    assert '  route{"route"}' in lines
    assert '  end_["end"]' in lines  # "end" is a Mermaid keyword
    assert '  subgraph p["parallel: p"]' in lines
    assert '    subgraph B0_p["left"]' in lines
    assert '      l{{"l"}}' in lines
    assert '      r(["r"])' in lines
    assert '  subgraph f["foreach: f"]' in lines
    assert '    body[["body"]]' in lines
    assert '  subgraph COMPENSATIONS["compensations"]' in lines
    assert "  route -->|case 0| end_" in lines
    assert "  route -->|default| p" in lines
    assert "  end_ -.->|on error| handler" in lines
    assert "  end_ -.->|undo| undo" in lines
    assert text.count("subgraph") == text.count("\n  end\n") + text.count("    end\n")
