"""Property tests: any input yields diagnostics, never an exception, always quickly."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwright.workflow.domain.dsl import CompileResult, compile_workflow

EXAMPLES = [
    yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted((Path(__file__).resolve().parents[4] / "examples").glob("*.yaml"))
]

FUZZ = settings(
    max_examples=200,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_EXPRESSION_PIECES = [
    "inputs.x", "steps.a.output", "steps.classify.output.urgency", "item", "index", "run.id",
    "secrets.TOKEN", "vars.v", "len(", "lower(", ")", "(", "==", "&&", "||", "!", "?", ":", "??",
    "[0]", "['k']", ".", "1", "'s'", "\"q\"", "__class__", "nope", "in", "[", "]", "{", "}", ",",
    "+", "-", "*", "/", "%", " ",
]  # fmt: skip
expressions = st.lists(st.sampled_from(_EXPRESSION_PIECES), max_size=12).map(
    lambda parts: "${{ " + "".join(parts) + " }}"
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    expressions,
    st.sampled_from(["transform", "llm", "switch", "parallel", "foreach", "5m", "0s", "a", ""]),
)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for part in path[:-1]:
        node = node[part]
    return node


def _mutate(root: Any, data: st.DataObject) -> Any:
    paths = [p for p in _paths(root) if p]
    if not paths:
        return root
    path = data.draw(st.sampled_from(paths))
    parent = _parent(root, path)
    action = data.draw(st.sampled_from(["delete", "replace", "swap", "nest", "expression"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "replace":
        parent[path[-1]] = data.draw(values)
    elif action == "swap":
        other = data.draw(st.sampled_from(paths))
        if other[: len(path)] != path and path[: len(other)] != other:
            other_parent = _parent(root, other)
            parent[path[-1]], other_parent[other[-1]] = (
                copy.deepcopy(other_parent[other[-1]]),
                copy.deepcopy(parent[path[-1]]),
            )
    elif action == "nest":
        depth = data.draw(st.integers(min_value=1, max_value=80))
        value: Any = parent[path[-1]]
        for _ in range(depth):
            value = {"id": "n", "type": "foreach", "items": "${{ [1] }}", "steps": [value]}
        parent[path[-1]] = value
    else:
        parent[path[-1]] = data.draw(expressions)
    return root


def _check(source: str | bytes) -> CompileResult:
    started = time.perf_counter()
    result = compile_workflow(source)
    assert time.perf_counter() - started < 2.0
    assert all(d.code != "internal-error" for d in result.diagnostics), result.diagnostics
    assert result.ok == (not result.errors)
    assert all(d.line >= 1 and d.column >= 1 for d in result.diagnostics)
    if result.ok:
        assert result.plan is not None
        assert result.graph is not None
        result.graph.to_mermaid()
    return result


@FUZZ
@given(st.data())
def test_mutated_examples_never_crash(data: st.DataObject) -> None:
    root = copy.deepcopy(data.draw(st.sampled_from(EXAMPLES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        root = _mutate(root, data)
    if data.draw(st.booleans()):
        source = yaml.safe_dump(root, sort_keys=False, allow_unicode=True)
    else:
        source = json.dumps(root, default=str)
    _check(source)


@FUZZ
@given(st.text(max_size=400))
def test_random_text_never_crashes(text: str) -> None:
    _check(text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(blob: bytes) -> None:
    _check(blob)


@FUZZ
@given(expressions, st.sampled_from(["output", "if", "prompt", "url", "items", "model"]))
def test_random_expressions_in_fields_never_crash(expression: str, field: str) -> None:
    step: dict[str, Any] = {"id": "a", "type": "transform", "output": 1}
    if field in ("prompt", "model"):
        step = {"id": "a", "type": "llm", "model": "fast", "prompt": "x"}
    elif field == "url":
        step = {"id": "a", "type": "http", "url": "https://x.example.com"}
    elif field == "items":
        step = {
            "id": "a",
            "type": "foreach",
            "items": "x",
            "steps": [{"id": "b", "type": "transform", "output": 1}],
        }
    step[field] = expression
    document = {
        "apiVersion": "flowwright/v1",
        "kind": "Workflow",
        "metadata": {"name": "fuzz"},
        "inputs": {"x": {"type": "string"}},
        "steps": [step],
    }
    _check(json.dumps(document))
