"""Shape errors: pydantic findings mapped to codes, paths and positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testkit import Dsl


def test_missing_field_points_at_the_step(dsl: Dsl) -> None:
    body = "steps:\n  - id: ask\n    type: llm\n    model: fast\n"
    diagnostic = dsl.one(body, "missing-field")
    assert diagnostic.path == "steps[0].prompt"
    assert (diagnostic.line, diagnostic.column) == (5, 5)
    assert "prompt" in diagnostic.message


def test_unknown_field_suggests_the_closest(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: ask\n    type: llm\n    model: fast\n    prompt: hi\n    temprature: 1\n"
    )
    diagnostic = dsl.one(body, "unknown-field")
    assert diagnostic.path == "steps[0].temprature"
    assert (diagnostic.line, diagnostic.column) == (9, 5)
    assert diagnostic.hint == "did you mean 'temperature'?"


def test_unknown_field_names_the_type_it_belongs_to(dsl: Dsl) -> None:
    body = "steps:\n  - id: call\n    type: http\n    url: https://x.example.com\n    cases: []\n"
    diagnostic = dsl.one(body, "unknown-field")
    assert diagnostic.hint == "'cases' belongs to switch steps"


def test_unknown_top_level_field(dsl: Dsl) -> None:
    diagnostic = dsl.one(
        "stepz: []\nsteps: [{id: a, type: transform, output: 1}]\n", "unknown-field"
    )
    assert diagnostic.hint == "did you mean 'steps'?"
    assert (diagnostic.line, diagnostic.column) == (4, 1)


def test_wrong_type_with_hint(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: a, type: transform, output: 1}\n"
        "  - {id: b, type: transform, needs: a, output: 2}\n"
    )
    diagnostic = dsl.one(body, "invalid-type")
    assert diagnostic.path == "steps[1].needs"
    assert diagnostic.message == "needs must be a list, not the string 'a'"
    assert diagnostic.hint == "write a list: needs: [a]"


def test_union_alternatives_are_reported_once(dsl: Dsl) -> None:
    body = "steps:\n  - {id: a, type: transform, if: 3, output: 1}\n"
    diagnostic = dsl.one(body, "invalid-type")
    assert (
        diagnostic.message == "if must be a string or a boolean (true or false), not the number 3"
    )


def test_strict_types_do_not_coerce(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: ask\n    type: llm\n    model: fast\n    prompt: hi\n"
        "    max_tokens: '100'\n"
    )
    assert dsl.codes(body) == ["invalid-type"]


def test_enum_value_with_suggestion(dsl: Dsl) -> None:
    body = "steps:\n  - {id: c, type: http, url: 'https://x.example.com', method: POTS}\n"
    diagnostic = dsl.one(body, "invalid-value")
    assert diagnostic.hint == "did you mean 'POST'?"


def test_on_error_forms(dsl: Dsl) -> None:
    base = (
        "steps:\n  - {id: c, type: http, url: 'https://x.example.com', on_error: %s}\n"
        "  - {id: h, type: transform, output: 1}\n"
    )
    dsl.ok(base % "continue")
    dsl.ok(base % "{goto: h}")
    assert dsl.codes(base % "3") == ["invalid-type"]
    assert dsl.codes(base % "{go: h}") == ["missing-field", "unknown-field"]


def test_unknown_step_type_suggests(dsl: Dsl) -> None:
    diagnostic = dsl.one("steps:\n  - {id: a, type: transfrom, output: 1}\n", "unknown-step-type")
    assert diagnostic.hint == "did you mean 'transform'?"
    assert diagnostic.path == "steps[0].type"


def test_step_type_unavailable(dsl: Dsl) -> None:
    body = "steps:\n  - {id: a, type: llm, model: fast, prompt: hi}\n"
    diagnostic = dsl.one(body, "step-type-unavailable", available_step_types=frozenset({"http"}))
    assert diagnostic.message.startswith("this installation cannot run step type 'llm' yet: ")
    assert dsl.compile(body, available_step_types=None).ok


def test_non_mapping_step(dsl: Dsl) -> None:
    diagnostic = dsl.one("steps:\n  - just a string\n", "invalid-type")
    assert diagnostic.path == "steps[0]"


def test_empty_steps(dsl: Dsl) -> None:
    assert dsl.codes("steps: []\n") == ["invalid-value"]


def test_missing_steps(dsl: Dsl) -> None:
    assert dsl.codes("inputs: {}\n") == ["missing-field"]


def test_every_broken_step_is_reported_in_one_pass(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: a, type: http}\n"
        "  - {id: b, type: llm, model: fast}\n"
        "  - id: p\n    type: parallel\n    branches:\n"
        "      - name: x\n        steps: [{id: c, type: delay, duration: soon}]\n"
    )
    result = dsl.compile(body)
    assert sorted((d.code, d.path) for d in result.diagnostics) == [
        ("invalid-duration", "steps[2].branches[0].steps[0].duration"),
        ("missing-field", "steps[0].url"),
        ("missing-field", "steps[1].prompt"),
    ]


def test_retry_on_a_type_without_retries(dsl: Dsl) -> None:
    body = "steps:\n  - {id: a, type: transform, output: 1, retry: {max_attempts: 2}}\n"
    assert dsl.codes(body) == ["unsupported-field"]


def test_timeout_on_a_delay(dsl: Dsl) -> None:
    body = "steps:\n  - {id: a, type: delay, duration: 1m, timeout: 5m}\n"
    assert dsl.codes(body) == ["unsupported-field"]


def test_retry_initial_longer_than_max(dsl: Dsl) -> None:
    body = (
        "defaults:\n  retry: {initial: 2m, max: 1m}\nsteps:\n"
        "  - {id: a, type: transform, output: 1}\n"
    )
    diagnostic = dsl.one(body, "invalid-value")
    assert diagnostic.path == "defaults.retry.initial"


def test_http_header_name_and_url_checks(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: c\n    type: http\n    url: 'https://x.example.com/${{ inputs.p }}'\n"
        "    headers: {'Bad Header': x}\ninputs:\n  p: {type: string}\n"
    )
    assert dsl.codes(body) == ["invalid-value"]
    computed = (
        "steps:\n  - {id: c, type: http, url: '${{ inputs.u }}'}\ninputs:\n  u: {type: string}\n"
    )
    dsl.ok(computed)


def test_labels_and_metadata(dsl: Dsl) -> None:
    body = "steps: [{id: a, type: transform, output: 1}]\n"
    source = (
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata:\n  name: x\n  labels: {Team: a}\n"
        + body
    )
    result = dsl.compile(source, header=False)
    assert [d.code for d in result.diagnostics] == ["invalid-name"]
    assert result.diagnostics[0].line == 5


def test_wrong_kind(dsl: Dsl) -> None:
    source = (
        "apiVersion: flowwright/v1\nkind: Pipeline\nmetadata: {name: x}\n"
        "steps: [{id: a, type: transform, output: 1}]\n"
    )
    assert [d.code for d in dsl.compile(source, header=False).diagnostics] == ["invalid-value"]
