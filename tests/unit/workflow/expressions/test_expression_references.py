"""The static walk of references, with offsets."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import Reference, parse_expression, parse_template


def refs(source: str) -> list[tuple[str, tuple[str | int, ...], int, str]]:
    return [(r.root, r.path, r.offset, r.text) for r in parse_expression(source).references()]


def test_a_static_chain_is_one_reference_with_its_path_and_text() -> None:
    assert refs('steps.classify.output["a"][0]') == [
        ("steps", ("classify", "output", "a", 0), 0, 'steps.classify.output["a"][0]')
    ]


def test_a_bare_name_has_an_empty_path() -> None:
    assert refs("item") == [("item", (), 0, "item")]


def test_the_path_stops_at_the_first_dynamic_index() -> None:
    assert refs("steps.a.output[index].text") == [
        ("steps", ("a", "output"), 0, "steps.a.output"),
        ("index", (), 15, "index"),
    ]


def test_names_inside_indexes_arguments_and_literals_are_references_in_source_order() -> None:
    source = "len(inputs.items) > vars.limit ? [item.name, {'k': secrets.token}] : run.id"

    assert refs(source) == [
        ("inputs", ("items",), 4, "inputs.items"),
        ("vars", ("limit",), 20, "vars.limit"),
        ("item", ("name",), 34, "item.name"),
        ("secrets", ("token",), 51, "secrets.token"),
        ("run", ("id",), 69, "run.id"),
    ]


def test_function_names_and_map_keys_are_not_references() -> None:
    assert refs("lower({name: 1, 'x': 2}.name)") == []


def test_negative_literal_indexes_are_static() -> None:
    assert refs("inputs.items[-1].id") == [
        ("inputs", ("items", -1, "id"), 0, "inputs.items[-1].id")
    ]


def test_lazy_functions_and_coalescing_still_report_references() -> None:
    assert [
        r.text
        for r in parse_expression(
            "has(steps.a.output) ? default(steps.b.output, 1) : steps.c.output ?? 0"
        ).references()
    ] == ["steps.a.output", "steps.b.output", "steps.c.output"]


def test_a_parenthesized_root_is_referenced_alone() -> None:
    assert refs("(steps).a") == [("steps", (), 1, "steps")]
    assert refs("(steps.a).b") == [("steps", ("a",), 1, "steps.a")]


def test_a_chain_on_a_computed_value_references_only_its_inputs() -> None:
    assert refs("parseJson(steps.a.output).field") == [
        ("steps", ("a", "output"), 10, "steps.a.output")
    ]


def test_the_same_name_used_twice_is_reported_twice() -> None:
    assert [r.offset for r in parse_expression("x + x").references()] == [0, 4]


def test_reference_offsets_point_at_the_root_name_in_the_source() -> None:
    source = "  coalesce(inputs.a,\n   steps.b.output)"
    for reference in parse_expression(source).references():
        assert source[reference.offset :].startswith(reference.text)
        assert source[reference.offset : reference.offset + len(reference.root)] == reference.root


def test_template_references_have_offsets_absolute_within_the_text() -> None:
    text = "Dear ${{ inputs.name }}, see ${{  steps.fetch.output[0] }}."

    references = parse_template(text).references()

    assert references == (
        Reference("inputs", ("name",), 9, "inputs.name"),
        Reference("steps", ("fetch", "output", 0), 34, "steps.fetch.output[0]"),
    )
    for reference in references:
        assert text[reference.offset :].startswith(reference.text)


@pytest.mark.parametrize("source", ["1 + 2", "'text'", "[1, {'a': true}]", "len('x')"])
def test_constant_expressions_have_no_references(source: str) -> None:
    assert parse_expression(source).references() == ()


def test_references_are_frozen_and_hashable() -> None:
    reference = parse_expression("a.b").references()[0]

    assert {reference: 1}[Reference("a", ("b",), 0, "a.b")] == 1
    with pytest.raises(AttributeError):
        reference.root = "x"  # type: ignore[misc]
