"""Reading YAML and JSON: JSON-only data, exact positions, refusals."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.dsl import CompileLimits, CompileOptions, compile_workflow
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.source import load_document
from flowwright.workflow.domain.dsl.source_map import SourceMap


def _load(text: str) -> tuple[object, Reporter]:
    reporter = Reporter(SourceMap(text))
    document = load_document(text, reporter, CompileLimits())
    return document.root, reporter


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    root, reporter = _load(
        "a: yes\nb: on\nc: 2024-01-01\nd: 12:30\ne: true\nf: ~\ng: 0x1F\nh: 1.5e3\ni: '42'\n"
    )
    assert root == {
        "a": "yes",
        "b": "on",
        "c": "2024-01-01",
        "d": "12:30",
        "e": True,
        "f": None,
        "g": 31,
        "h": 1500.0,
        "i": "42",
    }
    assert not reporter.diagnostics()


def test_positions_of_keys_values_and_items() -> None:
    text = "steps:\n  - id: a\n    needs: [b, c]\n"
    _, reporter = _load(text)
    source_map = reporter.source_map
    assert source_map.position(("steps", 0, "needs", 1)) == (3, 16)
    assert source_map.position(("steps", 0, "needs"), key=True) == (3, 5)
    assert source_map.position(("steps", 0, "missing")) == (2, 5)


@pytest.mark.parametrize(
    ("line", "expected_column"),
    [
        ("x: a ${{ foo }}", 10),
        ("x: 'it''s ${{ foo }}'", 15),
        ('x: "tab\\t${{ foo }}"', 14),
        ('x: "\\u00e9\\u00e9 ${{ foo }}"', 22),
    ],
)
def test_offsets_inside_strings_map_to_columns(line: str, expected_column: int) -> None:
    root, reporter = _load(line + "\n")
    assert isinstance(root, dict)
    value = root["x"]
    offset = value.index("foo")
    assert reporter.source_map.position_in_string(("x",), value, offset) == (1, expected_column)


def test_offsets_inside_block_scalars_map_to_lines() -> None:
    text = "x: |\n  first line\n  second ${{ foo }}\n"
    root, reporter = _load(text)
    assert isinstance(root, dict)
    value = root["x"]
    assert reporter.source_map.position_in_string(("x",), value, value.index("foo")) == (3, 14)


def test_folded_plain_scalars_keep_positions() -> None:
    text = "x: one\n  two ${{ foo }}\n"
    root, reporter = _load(text)
    assert isinstance(root, dict)
    value = root["x"]
    assert value == "one two ${{ foo }}"
    assert reporter.source_map.position_in_string(("x",), value, value.index("foo")) == (2, 11)


def test_duplicate_keys_are_reported_with_the_first_line() -> None:
    _, reporter = _load("a: 1\nb: 2\na: 3\n")
    [diagnostic] = reporter.diagnostics()
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("duplicate-key", 3, 1)
    assert diagnostic.hint is not None
    assert "line 1" in diagnostic.hint


def test_aliases_are_refused() -> None:
    _, reporter = _load("a: &x [1, 2]\nb: *x\n")
    assert [d.code for d in reporter.diagnostics()] == ["yaml-unsupported"]


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    result = compile_workflow("\n".join(lines) + "\n")
    assert not result.ok
    assert {d.code for d in result.diagnostics} >= {"yaml-unsupported"}


def test_custom_tags_and_non_string_keys_are_refused() -> None:
    _, reporter = _load("a: !custom 1\nb:\n  1: x\n")
    assert [d.code for d in reporter.diagnostics()] == ["yaml-unsupported", "yaml-unsupported"]


def test_standard_tags_are_accepted() -> None:
    root, reporter = _load("a: !!str 12\nb: !!int '7'\n")
    assert root == {"a": "12", "b": 7}
    assert not reporter.diagnostics()


def test_numbers_out_of_range_are_values_too_large() -> None:
    _, reporter = _load("a: 1e400\nb: 123456789012345678901234567890\n")
    assert [d.code for d in reporter.diagnostics()] == ["value-too-large", "value-too-large"]


def test_json_is_accepted() -> None:
    text = (
        '{"apiVersion": "flowwright/v1", "kind": "Workflow", "metadata": {"name": "j"},\n'
        ' "steps": [{"id": "a", "type": "transform", "output": {"x": [1, 2.5, null, true]}}]}'
    )
    result = compile_workflow(text)
    assert result.ok, result.diagnostics


def test_syntax_errors_carry_the_parser_position() -> None:
    result = compile_workflow("a: [1, 2\nb: 3\n")
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "yaml-syntax"
    assert diagnostic.line == 2


def test_several_documents_are_refused() -> None:
    result = compile_workflow("a: 1\n---\nb: 2\n")
    assert [d.code for d in result.diagnostics] == ["yaml-unsupported"]


@pytest.mark.parametrize("source", ["", "# only a comment\n", "just text", "[1, 2]", "42"])
def test_documents_that_are_not_mappings(source: str) -> None:
    result = compile_workflow(source)
    assert [d.code for d in result.diagnostics] == ["invalid-type"]


def test_invalid_utf8_is_a_syntax_error_at_its_position() -> None:
    result = compile_workflow(b"a: 1\nb: \xff\n")
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("yaml-syntax", 2, 4)


def test_byte_order_mark_is_ignored() -> None:
    text = "\ufeffapiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: bom}\n"
    result = compile_workflow((text + "steps: [{id: a, type: transform, output: 1}]\n").encode())
    assert result.ok


def test_source_size_limit() -> None:
    limits = CompileLimits(max_source_bytes=100)
    result = compile_workflow("a: " + "x" * 200, options=CompileOptions(limits=limits))
    assert [d.code for d in result.diagnostics] == ["value-too-large"]


def test_deep_data_is_refused_without_recursion() -> None:
    result = compile_workflow("a: " + "[" * 5000 + "]" * 5000)
    assert [d.code for d in result.diagnostics] == ["nesting-too-deep"]


def test_long_strings_are_refused() -> None:
    _, reporter = _load("a: " + "x" * (64 * 1024 + 1) + "\n")
    assert [d.code for d in reporter.diagnostics()] == ["value-too-large"]
