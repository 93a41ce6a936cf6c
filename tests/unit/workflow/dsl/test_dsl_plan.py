"""The execution plan: order, resolved defaults, routing and nested scopes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flowwright.workflow.domain.dsl import ExecutionPlan, compile_workflow
from flowwright.workflow.domain.expressions import Template

if TYPE_CHECKING:
    from testkit import Dsl

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def _plan(dsl: Dsl, body: str) -> ExecutionPlan:
    plan = dsl.ok(body).plan
    assert plan is not None
    return plan


def test_steps_are_in_topological_order_with_dependents(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: c, type: transform, needs: [b], output: 3}\n"
        "  - {id: b, type: transform, needs: [a], output: 2}\n"
        "  - {id: a, type: transform, output: 1}\n  - {id: d, type: transform, output: 4}\n"
    )
    plan = _plan(dsl, body)
    assert [s.id for s in plan.main.steps] == ["a", "b", "c", "d"]
    assert plan.step("a").dependents == ("b",)
    assert plan.step("c").needs == ("b",)


def test_defaults_are_resolved(dsl: Dsl) -> None:
    body = (
        "timeout: 2h\ndefaults:\n  timeout: 5m\n"
        "  retry: {max_attempts: 4, initial: 500ms, max: 1m30s}\n"
        "steps:\n  - {id: h, type: http, url: 'https://x.example.com'}\n"
        "  - {id: own, type: http, url: 'https://x.example.com', timeout: 10s, retry: "
        "{max_attempts: 1}}\n"
        "  - {id: ok, type: approval, message: go}\n  - {id: t, type: transform, output: 1}\n"
    )
    plan = _plan(dsl, body)
    assert plan.timeout_ms == 7_200_000
    http = plan.step("h")
    assert http.timeout_ms == 300_000
    assert http.retry is not None
    assert (http.retry.max_attempts, http.retry.initial_ms, http.retry.max_ms) == (4, 500, 90_000)
    own = plan.step("own")
    assert own.timeout_ms == 10_000
    assert own.retry is not None
    assert own.retry.max_attempts == 1
    assert plan.step("ok").timeout_ms is None  # waiting steps are not bounded by defaults
    assert plan.step("ok").retry is None
    assert plan.step("t").retry is None


def test_conditions_are_parsed_templates(dsl: Dsl) -> None:
    body = (
        "inputs:\n  n: {type: integer}\n"
        "steps:\n  - {id: a, type: transform, if: '${{ inputs.n > 3 }}', output: 1}\n"
        "  - {id: b, type: transform, if: true, output: 2}\n"
    )
    plan = _plan(dsl, body)
    condition = plan.step("a").condition
    assert isinstance(condition, Template)
    assert condition.render({"inputs": {"n": 5}}) is True
    assert plan.step("b").condition is None


def test_routing_handlers_and_compensations(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: s\n    type: switch\n    cases: [{when: '${{ true }}', goto: [a]}]\n"
        "    default: [b]\n"
        "  - {id: a, type: http, needs: [s], url: 'https://x.example.com', on_error: {goto: h}, "
        "compensate_with: undo}\n"
        "  - {id: b, type: transform, needs: [s], output: 1, on_error: continue}\n"
        "  - {id: h, type: transform, output: '${{ steps.a.error }}'}\n"
        "compensations:\n  - {id: undo, type: http, method: POST, url: 'https://x.example.com/undo'}\n"
    )
    plan = _plan(dsl, body)
    a = plan.step("a")
    assert a.routed_by == ("s",)
    assert (a.on_error.action, a.on_error.handler) == ("goto", "h")
    assert a.compensate_with == "undo"
    assert plan.step("h").handles_errors_of == ("a",)
    assert [s.id for s in plan.main.steps].index("h") > [s.id for s in plan.main.steps].index("a")
    assert plan.step("b").on_error.action == "continue"
    assert [s.id for s in plan.compensations.steps] == ["undo"]
    assert plan.step("undo").config.type == "http"


def test_nested_scopes(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: p\n    type: parallel\n    branches:\n"
        "      - name: left\n"
        "        steps: [{id: l1, type: transform, output: 1}, {id: l2, type: transform, needs: "
        "[l1], output: 2}]\n"
        "      - name: right\n        steps: [{id: r, type: transform, output: 3}]\n"
        "  - id: f\n    type: foreach\n    items: ${{ [1] }}\n"
        "    steps: [{id: body, type: transform, output: '${{ item }}'}]\n"
    )
    plan = _plan(dsl, body)
    left, right = plan.step("p").scopes
    assert (left.kind, left.name, left.result_step) == ("branch", "left", "l2")
    assert [s.id for s in left.steps] == ["l1", "l2"]
    assert (right.name, right.result_step) == ("right", "r")
    [loop] = plan.step("f").scopes
    assert (loop.kind, loop.result_step) == ("loop", "body")
    assert {s.id for s in plan.all_steps()} == {"p", "l1", "l2", "r", "f", "body"}


def test_triggers_and_outputs(dsl: Dsl) -> None:
    body = (
        "outputs:\n  x: ${{ steps.a.output }}\nvars:\n  v: 1\n"
        "triggers:\n  - {type: cron, schedule: '@weekly', timezone: Europe/Paris}\n"
        "  - {type: webhook, path: in}\n"
        "steps:\n  - {id: a, type: transform, output: '${{ vars.v }}'}\n"
    )
    plan = _plan(dsl, body)
    assert plan.outputs == {"x": "${{ steps.a.output }}"}
    assert plan.vars == {"v": 1}
    assert plan.triggers[0].schedule == "0 0 * * 0"
    assert plan.workflow == "test-flow"


def test_every_example_has_a_plan_covering_all_steps() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = compile_workflow(path.read_text(encoding="utf-8"))
        assert result.plan is not None
        assert result.definition is not None
        planned = {s.id for s in result.plan.all_steps()}
        assert planned == {s.id for s in result.definition.all_steps()}, path.name
        assert result.plan.content_hash == result.content_hash
