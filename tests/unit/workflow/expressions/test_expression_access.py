"""Reading the context: member and index access, missing data, ``??`` and ``has``."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping

import pytest

from flowwright.workflow.domain.expressions import (
    EvaluationError,
    JSONValue,
    parse_expression,
)

CONTEXT: dict[str, JSONValue] = {
    "inputs": {"name": "Ada", "tags": ["a", "b", "c"], "empty": None, "count": 0},
    "steps": {
        "classify": {"output": {"label": "spam", "scores": [0.1, 0.9], "meta": {"k": "v"}}},
        "fetch-data": {"output": "body"},
    },
    "index": 1,
    "key": "label",
}


def evaluate(source: str, context: Mapping[str, JSONValue] = CONTEXT) -> JSONValue:
    return parse_expression(source).evaluate(context)


def evaluation_error(source: str, context: Mapping[str, JSONValue] = CONTEXT) -> EvaluationError:
    with pytest.raises(EvaluationError) as caught:
        evaluate(source, context)
    return caught.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("inputs.name", "Ada"),
        ("inputs['name']", "Ada"),
        ('inputs["name"]', "Ada"),
        ("steps.classify.output.label", "spam"),
        ("steps.classify.output['meta'].k", "v"),
        ("steps['fetch-data'].output", "body"),
        ("steps.classify.output[key]", "spam"),
        ("steps.classify.output['la' + 'bel']", "spam"),
        ("inputs.tags[0]", "a"),
        ("inputs.tags[index]", "b"),
        ("inputs.tags[index + 1]", "c"),
        ("inputs.tags[-1]", "c"),
        ("inputs.tags[-3]", "a"),
        ("inputs.name[0]", "A"),
        ("inputs.name[-1]", "a"),
        ("inputs.empty", None),
        ("steps.classify.output.scores[1] > 0.5", True),
        ("[10, 20][1]", 20),
        ("{'a': {'b': 1}}.a.b", 1),
        ("(steps.classify).output.label", "spam"),
        ("parseJson('[1, 2]')[0]", 1),
    ],
)
def test_member_and_index_access(source: str, expected: JSONValue) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "offset", "message", "hint"),
    [
        ("inputs.nmae", 7, "inputs has no key 'nmae'", "did you mean 'name'?"),
        (
            "steps.classify.output.lable",
            22,
            "steps.classify.output has no key 'lable'",
            "did you mean 'label'?",
        ),
        ("steps.clasify.output", 6, "steps has no key 'clasify'", "did you mean 'classify'?"),
        (
            "steps.classify.output['x']",
            21,
            "steps.classify.output has no key 'x'",
            "keys: label, scores, meta",
        ),
        (
            "steps.classify.output.meta.z",
            27,
            "steps.classify.output.meta has no key 'z'",
            "steps.classify.output.meta.z ?? default",
        ),
        ("inputs.tags[3]", 11, "index 3 is out of range for inputs.tags (length 3)", "??"),
        ("inputs.tags[-4]", 11, "index -4 is out of range", None),
        ("inputs.name[10]", 11, "index 10 is out of range for inputs.name", None),
        (
            "inputs.empty.x",
            13,
            "cannot read 'x' of null: inputs.empty is null",
            "inputs.empty.x ?? default",
        ),
        ("inputs.empty[0]", 12, "cannot read 0 of null", None),
        ("inputs.tags.first", 12, "inputs.tags is a list, which has no key 'first'", "[0]"),
        ("inputs.tags['0']", 11, "is a list, which has no key '0'", None),
        ("inputs.name.first", 12, "is a string, which has no key 'first'", None),
        ("inputs[0]", 6, "inputs is a map; its keys are strings, not 0", "['0']"),
        ("inputs.count.x", 13, "cannot read 'x' of int: inputs.count is not a map or list", None),
        ("inputs.tags[index > 0]", 11, "an index must be an integer or a string, got bool", None),
        ("inputs.tags[0.0 + 1]", 11, "got float", None),
        ("inpts.name", 0, "unknown name 'inpts'", "did you mean 'inputs'?"),
        ("secret", 0, "unknown name 'secret'", "names: inputs, steps, index, key"),
    ],
)
def test_missing_data_errors_name_the_path_and_point_at_the_segment(
    source: str, offset: int, message: str, hint: str | None
) -> None:
    error = evaluation_error(source)

    assert error.code == "EXPR_EVAL"
    assert error.offset == offset
    assert message in error.message
    if hint is not None:
        assert error.hint is not None and hint in error.hint


def test_missing_key_hints_list_at_most_a_dozen_keys() -> None:
    context: dict[str, JSONValue] = {"m": {f"key{i}": i for i in range(100)}}

    error = evaluation_error("m.zzz", context)

    assert error.hint is not None and error.hint.count("key") < 20
    assert error.hint.endswith("write m.zzz ?? default") and ", ...;" in error.hint


def test_a_map_key_named_like_a_python_attribute_is_just_a_missing_key() -> None:
    error = evaluation_error("inputs['__class__']")

    assert "inputs has no key '__class__'" in error.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("inputs.name ?? 'x'", "Ada"),
        ("inputs.missing ?? 'x'", "x"),
        ("inputs.empty ?? 'x'", "x"),
        ("inputs.empty.deeper.still ?? 'x'", "x"),
        ("inputs.tags[9] ?? 'x'", "x"),
        ("inputs.tags[index] ?? 'x'", "b"),
        ("nothing ?? 'x'", "x"),
        ("nothing.at.all ?? 'x'", "x"),
        ("inputs.count ?? 5", 0),
        ("inputs.missing ?? inputs.empty ?? 'third'", "third"),
        ("inputs.missing ?? inputs.empty", None),
        ("(inputs.missing ?? {'k': 1}).k", 1),
        ("steps['no-such-step'].output ?? 'none'", "none"),
    ],
)
def test_null_coalescing_also_catches_missing_paths(source: str, expected: JSONValue) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("inputs.missing ?? inputs.also_missing", "inputs has no key 'also_missing'"),
        ("inputs.tags.first ?? 'x'", "which has no key 'first'"),
        ("inputs.name.first ?? 'x'", "which has no key 'first'"),
        ("inputs.tags[missing] ?? 'x'", "unknown name 'missing'"),
        ("len(inputs.missing) ?? 0", "inputs has no key 'missing'"),
        ("(1 / 0) ?? 1", "division by zero"),
    ],
)
def test_null_coalescing_does_not_hide_type_errors_or_errors_elsewhere(
    source: str, message: str
) -> None:
    assert message in evaluation_error(source).message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("has(inputs.name)", True),
        ("has(inputs.empty)", True),
        ("has(inputs.missing)", False),
        ("has(inputs.empty.x)", False),
        ("has(inputs.tags[2])", True),
        ("has(inputs.tags[3])", False),
        ("has(steps['fetch-data'].output)", True),
        ("has(nothing)", False),
        ("has(inputs.name) && inputs.name == 'Ada'", True),
        ("!has(inputs.missing)", True),
    ],
)
def test_has_tells_whether_a_path_exists(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


class _Sneaky(str):
    def __eq__(self, other: object) -> bool:
        raise AssertionError("user code ran")

    __hash__ = str.__hash__


class _SneakyDict(dict):  # type: ignore[type-arg]
    def get(self, *args: object) -> object:
        raise AssertionError("user code ran")


@pytest.mark.parametrize(
    ("context", "source"),
    [
        ({"x": object()}, "x"),
        ({"x": {"y": object()}}, "x.y"),
        ({"x": (1, 2)}, "x"),
        ({"x": {1, 2}}, "x"),
        ({"x": b"bytes"}, "x"),
        ({"x": _Sneaky("s")}, "x == 's'"),
        ({"x": _SneakyDict(a=1)}, "x.a"),
        ({"x": [object()]}, "x"),
        ({"x": [object()]}, "json(x)"),
        ({"x": [object()]}, "x == [1]"),
        ({"x": {"k": [1, {"deep": object()}]}}, "x"),
        ({"x": {1: "int key"}}, "x"),
        ({"x": math.nan}, "x"),
        ({"x": [math.inf]}, "x"),
        ({"x": [print]}, "string(x)"),
    ],
)
def test_non_json_values_in_the_context_are_rejected_when_touched(
    context: dict[str, object], source: str
) -> None:
    with pytest.raises(EvaluationError) as caught:
        parse_expression(source).evaluate(context)  # type: ignore[arg-type]

    message = caught.value.message
    assert "not JSON" in message or "map keys must be strings" in message


def test_foreign_values_the_expression_does_not_touch_are_left_alone() -> None:
    context: dict[str, object] = {"x": {"ok": 1, "other": object()}}

    assert parse_expression("x.ok").evaluate(context) == 1  # type: ignore[arg-type]


def test_any_mapping_can_be_the_context() -> None:
    class Lazy(Mapping[str, JSONValue]):
        def __getitem__(self, key: str) -> JSONValue:
            if key == "inputs":
                return {"a": 1}
            raise KeyError(key)

        def __iter__(self) -> Iterator[str]:
            return iter(["inputs"])

        def __len__(self) -> int:
            return 1

    assert parse_expression("inputs.a").evaluate(Lazy()) == 1
    assert parse_expression("inputs.a").evaluate(OrderedDict(inputs={"a": 2})) == 2


def test_a_context_that_is_not_a_mapping_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="must be a mapping"):
        parse_expression("x").evaluate([("x", 1)])  # type: ignore[arg-type]


def test_results_are_plain_values_from_the_context() -> None:
    tags = parse_expression("inputs.tags").evaluate(CONTEXT)

    assert tags == ["a", "b", "c"]
    assert type(tags) is list
