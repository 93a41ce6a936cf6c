"""Reference checks: every root, visibility across scopes, output shapes, positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testkit import Dsl

INPUTS = "inputs:\n  name: {type: string}\n"


def _out(expression: str, extra: str = "") -> str:
    return f'{INPUTS}steps:\n  - id: a\n    type: transform\n    output: "{expression}"\n{extra}'


def test_reference_position_is_the_offending_character(dsl: Dsl) -> None:
    diagnostic = dsl.one(_out("Hi ${{ inputs.nam }}"), "unknown-input")
    # Line 9 is the output line; the reference starts after 'output: "Hi ${{ '.
    assert (diagnostic.line, diagnostic.column) == (9, 21)
    assert diagnostic.hint == "did you mean 'name'?"


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("${{ inputz.name }}", "unknown-root"),
        ("${{ inputs.nope }}", "unknown-input"),
        ("${{ vars.nope }}", "unknown-var"),
        ("${{ run.nope }}", "unknown-run-field"),
        ("${{ steps.nope.output }}", "unknown-reference"),
        ("${{ steps.a.output }}", "non-upstream-reference"),
        ("${{ steps.a }}", "invalid-reference"),
        ("${{ item }}", "loop-variable-outside-foreach"),
        ("${{ index }}", "loop-variable-outside-foreach"),
        ("${{ secrets.TOKEN }}", "secret-not-allowed"),
        ("${{ secrets }}", "invalid-reference"),
        ("${{ inputs._private }}", "expression-forbidden"),
    ],
)
def test_reference_errors(dsl: Dsl, expression: str, code: str) -> None:
    result = dsl.compile(_out(expression))
    assert code in [d.code for d in result.errors], result.diagnostics


def test_steps_reference_must_name_a_field(dsl: Dsl) -> None:
    body = INPUTS + (
        "steps:\n  - {id: a, type: transform, output: '${{ inputs.name }}'}\n"
        "  - {id: b, type: transform, needs: [a], output: '${{ steps.a.value }}'}\n"
    )
    diagnostic = dsl.one(body, "invalid-reference")
    assert diagnostic.hint == "did you mean steps.a.output.value?"


def test_run_fields_and_whole_inputs_are_fine(dsl: Dsl) -> None:
    result = dsl.ok(_out("${{ run.id }} ${{ run.workflow }} ${{ run.started_at }} ${{ inputs }}"))
    assert result.diagnostics == []


def test_root_that_is_a_step_id_gets_a_hint(dsl: Dsl) -> None:
    body = INPUTS + (
        "steps:\n  - {id: fetch, type: transform, output: '${{ inputs.name }}'}\n"
        "  - {id: b, type: transform, needs: [fetch], output: '${{ fetch.output }}'}\n"
    )
    assert dsl.one(body, "unknown-root").hint == "to read step 'fetch', write steps.fetch.output"


def test_secrets_are_allowed_in_http_requests_only(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: c\n    type: http\n    method: POST\n"
        "    url: 'https://x.example.com/?key=${{ secrets.KEY }}'\n"
        "    headers: {Authorization: 'Bearer ${{ secrets.TOKEN }}'}\n"
        "    body: {token: '${{ secrets.OTHER }}'}\n"
    )
    dsl.ok(body)
    assert dsl.codes(body, known_secrets=frozenset({"KEY", "TOKEN"})) == ["unknown-secret"]


def test_secrets_in_outputs_vars_and_prompts_are_refused(dsl: Dsl) -> None:
    body = (
        "vars:\n  k: '${{ secrets.A }}'\noutputs:\n  o: '${{ secrets.B }}'\n"
        "steps:\n  - {id: l, type: llm, model: fast, prompt: '${{ secrets.C }}'}\n"
    )
    assert dsl.codes(body) == ["secret-not-allowed"] * 3


def test_loop_variables_inside_foreach_and_nested_containers(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: each\n    type: foreach\n    items: ${{ [1, 2, 3] }}\n    steps:\n"
        "      - id: p\n        type: parallel\n        branches:\n"
        "          - name: x\n"
        "            steps: [{id: t, type: transform, output: '${{ item }}-${{ index }}'}]\n"
    )
    dsl.ok(body)


def test_foreach_items_cannot_use_its_own_item(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: each\n    type: foreach\n    items: ${{ item }}\n"
        "    steps: [{id: t, type: transform, output: 1}]\n"
    )
    assert dsl.codes(body) == ["loop-variable-outside-foreach"]


def test_inner_steps_read_outer_upstream_steps(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: src, type: transform, output: [1, 2]}\n"
        "  - id: each\n    type: foreach\n    needs: [src]\n    items: ${{ steps.src.output }}\n"
        "    steps:\n      - {id: a, type: transform, output: '${{ steps.src.output[0] }}'}\n"
        "      - {id: b, type: transform, needs: [a], output: '${{ steps.a.output }}'}\n"
        "  - {id: after, type: transform, needs: [each], output: '${{ steps.each.output[0] }}'}\n"
    )
    dsl.ok(body)


def test_inner_steps_cannot_read_outer_steps_not_upstream_of_the_container(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: src, type: transform, output: 1}\n"
        "  - id: each\n    type: foreach\n    items: ${{ [1] }}\n"
        "    steps:\n      - {id: a, type: transform, output: '${{ steps.src.output }}'}\n"
    )
    diagnostic = dsl.one(body, "non-upstream-reference")
    assert diagnostic.hint == "add 'src' to the needs of 'each'"


def test_container_output_is_not_visible_inside_it(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: each\n    type: foreach\n    items: ${{ [1] }}\n"
        "    steps:\n      - {id: a, type: transform, output: '${{ steps.each.output }}'}\n"
    )
    assert dsl.codes(body) == ["non-upstream-reference"]


def test_branches_cannot_read_each_other(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: p\n    type: parallel\n    branches:\n"
        "      - name: left\n        steps: [{id: l, type: transform, output: 1}]\n"
        "      - name: right\n        steps:\n"
        "          - id: outer\n            type: foreach\n            items: ${{ [1] }}\n"
        "            steps: [{id: r, type: transform, output: '${{ steps.l.output }}'}]\n"
    )
    diagnostic = dsl.one(body, "cross-branch-reference")
    assert "steps.p.output" in (diagnostic.hint or "")


def test_nested_steps_are_invisible_outside(dsl: Dsl) -> None:
    body = (
        "outputs:\n  x: ${{ steps.l.output }}\n"
        "steps:\n  - id: p\n    type: parallel\n    branches:\n"
        "      - name: left\n        steps: [{id: l, type: transform, output: 1}]\n"
    )
    diagnostic = dsl.one(body, "nested-step-reference")
    assert diagnostic.hint == "read steps.p.output instead"


def test_outputs_read_any_top_level_step(dsl: Dsl) -> None:
    body = (
        "outputs:\n  first: ${{ steps.a.output }}\n  second: ${{ steps.b.output }}\n"
        "steps:\n  - {id: a, type: transform, output: 1}\n  - {id: b, type: transform, output: 2}\n"
    )
    dsl.ok(body)


def test_vars_and_trigger_filters_have_restricted_roots(dsl: Dsl) -> None:
    body = (
        INPUTS
        + "vars:\n  a: '${{ inputs.name }}-${{ run.id }}'\n  b: '${{ vars.a }}'\n"
        + "triggers:\n"
        "  - {type: event, event: user.signed_up, filter: '${{ run.id == inputs.name }}'}\n"
        + "steps:\n  - {id: s, type: transform, output: '${{ vars.a }}'}\n"
    )
    assert dsl.codes(body) == ["reference-not-allowed", "reference-not-allowed"]


def test_compensations_read_main_steps(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: charge, type: http, method: POST, url: 'https://p.example.com', "
        "compensate_with: refund}\n"
        "compensations:\n  - id: refund\n    type: http\n    method: POST\n"
        "    url: 'https://p.example.com/${{ steps.charge.output.body.id }}/refund'\n"
    )
    dsl.ok(body)


def test_main_steps_cannot_read_compensations(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: charge, type: http, method: POST, url: 'https://p.example.com', "
        "compensate_with: refund}\n"
        "  - {id: after, type: transform, needs: [charge], output: '${{ steps.refund.output }}'}\n"
        "compensations:\n  - {id: refund, type: http, method: POST, url: 'https://p.example.com/r'}\n"
    )
    assert dsl.codes(body) == ["reference-not-allowed"]


def test_error_handler_reads_the_failed_step(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: call, type: http, url: 'https://x.example.com', on_error: {goto: h}}\n"
        "  - {id: h, type: transform, output: '${{ steps.call.error.message }}'}\n"
    )
    dsl.ok(body)


@pytest.mark.parametrize(
    ("producer", "expression", "ok"),
    [
        ("{id: p, type: approval, message: ok}", "steps.p.output.approved", True),
        ("{id: p, type: approval, message: ok}", "steps.p.output.approve", False),
        ("{id: p, type: llm, model: fast, prompt: x}", "steps.p.output", True),
        ("{id: p, type: llm, model: fast, prompt: x}", "steps.p.output.field", False),
        ("{id: p, type: http, url: 'https://x.example.com'}", "steps.p.output.body.anything", True),
        ("{id: p, type: http, url: 'https://x.example.com'}", "steps.p.output.data", False),
        ("{id: p, type: transform, output: {a: 1, b: '${{ 2 }}'}}", "steps.p.output.b.deep", True),
        ("{id: p, type: transform, output: {a: 1}}", "steps.p.output.c", False),
        ("{id: p, type: delay, duration: 1s}", "steps.p.output.resumed_at", True),
        ("{id: p, type: subworkflow, workflow: child, wait: false}", "steps.p.output.run_id", True),
        ("{id: p, type: subworkflow, workflow: child}", "steps.p.output.anything", True),
        (
            "{id: p, type: llm, model: fast, prompt: x, output_schema: {type: object, properties: "
            "{a: {type: object, properties: {b: {type: string}}}}}}",
            "steps.p.output.a.c",
            False,
        ),
        (
            "{id: p, type: llm, model: fast, prompt: x, output_schema: {type: object, "
            "additionalProperties: true, properties: {a: {type: string}}}}",
            "steps.p.output.z",
            True,
        ),
    ],
)
def test_output_shapes(dsl: Dsl, producer: str, expression: str, ok: bool) -> None:
    body = (
        f"steps:\n  - {producer}\n"
        f"  - {{id: c, type: transform, needs: [p], output: '${{{{ {expression} }}}}'}}\n"
    )
    result = dsl.compile(body)
    codes = [d.code for d in result.errors]
    assert codes == ([] if ok else ["unknown-output-field"]), result.diagnostics


def test_container_output_shapes(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: p\n    type: parallel\n    branches:\n"
        "      - name: left\n        steps: [{id: l, type: approval, message: ok}]\n"
        "  - {id: c, type: transform, needs: [p], output: '${{ steps.p.output.left.approved }} "
        "${{ steps.p.output.right }}'}\n"
        "  - id: f\n    type: foreach\n    items: ${{ [1] }}\n"
        "    steps: [{id: x, type: approval, message: ok}]\n"
        "  - {id: d, type: transform, needs: [f], output: '${{ steps.f.output[0].aproved }}'}\n"
    )
    result = dsl.compile(body)
    assert [d.code for d in result.errors] == ["unknown-output-field", "unknown-output-field"]


def test_expression_required_fields(dsl: Dsl) -> None:
    body = "steps:\n  - {id: a, type: transform, if: 'yes please', output: 1}\n"
    diagnostic = dsl.one(body, "expression-required")
    assert diagnostic.hint == "wrap it: ${{ yes please }}"
    dsl.ok("steps:\n  - {id: a, type: transform, if: true, output: 1}\n")


def test_expressions_in_static_fields(dsl: Dsl) -> None:
    body = (
        INPUTS + "timeout: '${{ inputs.name }}'\nsteps:\n"
        "  - {id: a, type: transform, output: '${{ inputs.name }}'}\n"
    )
    assert dsl.codes(body) == ["expression-not-allowed"]


def test_lookalike_templates_warn(dsl: Dsl) -> None:
    result = dsl.ok(
        _out("Hello {{ inputs.name }} and ${inputs.name}") + "outputs:\n  n: ${{ inputs.name }}\n"
    )
    assert [d.code for d in result.warnings] == ["suspicious-template", "suspicious-template"]


def test_escaped_expression_is_literal(dsl: Dsl) -> None:
    result = dsl.ok(
        "steps:\n  - {id: a, type: transform, output: 'use $${{ inputs.x }} literally'}\n"
    )
    assert result.diagnostics == []


def test_unused_inputs_warn(dsl: Dsl) -> None:
    body = (
        "inputs:\n  used: {type: string}\n  spare: {type: string}\nsteps:\n"
        "  - {id: a, type: transform, output: '${{ inputs.used }}'}\n"
    )
    result = dsl.ok(body)
    assert [(d.code, d.path) for d in result.warnings] == [("unused-input", "inputs.spare")]


def test_compensation_steps_cannot_read_each_other(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: a, type: http, method: POST, url: 'https://x.example.com', compensate_with: u1}\n"
        "  - id: b\n    type: http\n    method: POST\n    url: 'https://x.example.com'\n"
        "    needs: [a]\n    compensate_with: u2\n"
        "compensations:\n"
        "  - {id: u1, type: http, method: POST, url: 'https://x.example.com/undo'}\n"
        "  - {id: u2, type: transform, output: '${{ steps.u1.output }}'}\n"
    )
    diagnostic = dsl.one(body, "reference-not-allowed")
    assert diagnostic.path == "compensations[1].output"
