"""Workflow-level checks: triggers, inputs, timeouts, subworkflows."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testkit import Dsl

STEP = "steps:\n  - {id: a, type: transform, output: '${{ inputs }}'}\n"


def test_webhook_paths_against_other_workflows(dsl: Dsl) -> None:
    body = "triggers:\n  - {type: webhook, path: orders}\n" + STEP
    taken = MappingProxyType({"orders": "other-flow"})
    diagnostic = dsl.one(body, "duplicate-webhook-path", taken_webhook_paths=taken)
    assert "other-flow" in diagnostic.message
    # Republishing the workflow that owns the path is not a conflict.
    dsl.ok(body, taken_webhook_paths=MappingProxyType({"orders": "test-flow"}))


def test_cron_trigger_inputs(dsl: Dsl) -> None:
    inputs = (
        "inputs:\n  region: {type: string, enum: [eu, us], required: true}\n"
        "  n: {type: integer, default: 1}\n"
    )
    ok = inputs + "triggers:\n  - {type: cron, schedule: '@daily', inputs: {region: eu}}\n" + STEP
    dsl.ok(ok)
    wrong_value = ok.replace("region: eu}", "region: asia}")
    assert dsl.codes(wrong_value) == ["invalid-input-value"]
    unknown = ok.replace("region: eu}", "region: eu, regoin: us}")
    assert dsl.one(unknown, "unknown-input").hint == "did you mean 'region'?"
    missing = ok.replace(", inputs: {region: eu}", "")
    assert dsl.codes(missing) == ["missing-input"]


def test_cron_schedules(dsl: Dsl) -> None:
    for schedule in ("'*/5 * * * *'", "'0 9 * * MON-FRI'", "'@hourly'", "'0 0 1 1 *'"):
        dsl.ok(f"triggers:\n  - {{type: cron, schedule: {schedule}}}\n" + STEP)
    for schedule in ("'* * * * * *'", "'61 * * * *'", "'@sometimes'", "'0 0 31 2 *'"):
        assert dsl.codes(f"triggers:\n  - {{type: cron, schedule: {schedule}}}\n" + STEP) == [
            "invalid-cron"
        ], schedule


def test_event_trigger(dsl: Dsl) -> None:
    ok = (
        "inputs:\n  n: {type: integer}\ntriggers:\n"
        "  - {type: event, event: order.paid, filter: '${{ inputs.n > 1 }}'}\n" + STEP
    )
    dsl.ok(ok)
    assert dsl.codes(ok.replace("order.paid", "OrderPaid")) == ["invalid-name"]
    assert dsl.codes(ok.replace("'${{ inputs.n > 1 }}'", "'n > 1'")) == ["expression-required"]


def test_input_schemas(dsl: Dsl) -> None:
    body = "inputs:\n  x: {type: object, properties: {a: {type: string, required: true}}}\n" + STEP
    diagnostic = dsl.one(body, "invalid-json-schema")
    assert diagnostic.path == "inputs.x.properties.a.required"
    body = "inputs:\n  x: {type: string, $ref: 'https://evil.example.com/s.json'}\n" + STEP
    assert dsl.codes(body) == ["invalid-json-schema"]
    body = "inputs:\n  x: {type: string, x-ui: textarea, default: hi}\n" + STEP
    dsl.ok(body)


def test_inputs_schema_is_assembled(dsl: Dsl) -> None:
    body = (
        "inputs:\n  a: {type: string, required: true}\n  b: {type: integer, default: 3}\n"
        "  c: {type: object, required: [id]}\n"
        "  d: {type: boolean, required: true, default: false}\n" + STEP
    )
    result = dsl.ok(body)
    assert result.plan is not None
    schema = result.plan.inputs_schema
    assert schema["required"] == ["a", "c"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["c"] == {"type": "object", "required": ["id"]}
    assert schema["properties"]["b"] == {"type": "integer", "default": 3}


def test_timeouts_longer_than_the_run_warn(dsl: Dsl) -> None:
    body = (
        "timeout: 1h\nsteps:\n  - {id: a, type: http, url: 'https://x.example.com', timeout: 2h}\n"
        "  - {id: w, type: delay, duration: 3h}\n"
    )
    result = dsl.ok(body)
    assert [d.code for d in result.warnings] == ["timeout-exceeds-run", "timeout-exceeds-run"]


def test_subworkflow_targets(dsl: Dsl) -> None:
    body = "steps:\n  - {id: s, type: subworkflow, workflow: child-flow, inputs: {x: 1}}\n"
    dsl.ok(body)
    dsl.ok(body, known_workflows=frozenset({"child-flow"}))
    diagnostic = dsl.one(body, "unknown-workflow", known_workflows=frozenset({"child-flows"}))
    assert diagnostic.hint == "did you mean 'child-flows'?"
    assert dsl.codes(body.replace("child-flow", "test-flow")) == ["self-subworkflow"]
