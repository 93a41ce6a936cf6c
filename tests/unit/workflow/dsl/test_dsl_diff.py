"""Diffs between definitions, and breaking changes for callers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowwright.workflow.domain.dsl import WorkflowDefinition, diff_definitions

if TYPE_CHECKING:
    from testkit import Dsl

BASE = """\
inputs:
  email: {type: string, required: true}
  name: {type: string}
  plan: {type: string, default: starter}
outputs:
  id: ${{ steps.create.output.body.id }}
  status: ${{ steps.create.status }}
triggers:
  - {type: webhook, path: signups}
timeout: 1h
steps:
  - id: create
    type: http
    method: POST
    url: https://crm.example.com/contacts
    body: {email: "${{ inputs.email }}", name: "${{ inputs.name }}", plan: "${{ inputs.plan }}"}
    retry: {max_attempts: 3}
  - id: loop
    type: foreach
    needs: [create]
    items: ${{ [1, 2] }}
    steps:
      - {id: inner, type: transform, output: "${{ item }}"}
"""


def _definition(dsl: Dsl, body: str) -> WorkflowDefinition:
    definition = dsl.ok(body).definition
    assert definition is not None
    return definition


def test_identical_definitions_have_no_diff(dsl: Dsl) -> None:
    old = _definition(dsl, BASE)
    diff = diff_definitions(old, _definition(dsl, BASE.replace("1h", "60m")))
    assert diff.is_empty
    assert diff.summary() == "no changes"


def test_step_changes_name_their_fields(dsl: Dsl) -> None:
    new_body = (
        BASE.replace("max_attempts: 3", "max_attempts: 5")
        .replace("method: POST", "method: PUT")
        .replace('output: "${{ item }}"', 'output: "${{ item }}!"')
        + "  - {id: audit, type: transform, needs: [loop], output: done}\n"
    )
    diff = diff_definitions(_definition(dsl, BASE), _definition(dsl, new_body))
    assert diff.steps_added == ["audit"]
    assert diff.steps_removed == []
    changed = {c.id: c for c in diff.steps_changed}
    assert {ch.path for ch in changed["create"].changes} == {"method", "retry.max_attempts"}
    assert [(ch.path, ch.before, ch.after) for ch in changed["inner"].changes] == [
        ("output", "${{ item }}", "${{ item }}!")
    ]
    assert "loop" not in changed  # the nested step changed, not the container
    assert diff.breaking == []


def test_moving_a_step_between_scopes_changes_the_container(dsl: Dsl) -> None:
    new_body = BASE.replace(
        '      - {id: inner, type: transform, output: "${{ item }}"}\n',
        '      - {id: inner2, type: transform, output: "${{ item }}"}\n',
    )
    diff = diff_definitions(_definition(dsl, BASE), _definition(dsl, new_body))
    assert (diff.steps_added, diff.steps_removed) == (["inner2"], ["inner"])
    assert [c.id for c in diff.steps_changed] == ["loop"]


def test_breaking_changes(dsl: Dsl) -> None:
    new_body = (
        BASE.replace("  name: {type: string}\n", "")
        .replace('name: "${{ inputs.name }}", ', "")
        .replace("plan: {type: string, default: starter}", "plan: {type: integer, required: true}")
        .replace("  status: ${{ steps.create.status }}\n", "")
        .replace(
            "inputs:\n",
            "inputs:\n  region: {type: string, required: true}\n  note: {type: string}\n",
        )
        .replace("body: {", 'body: {region: "${{ inputs.region }}", note: "${{ inputs.note }}", ')
        .replace("path: signups", "path: sign-ups")
    )
    diff = diff_definitions(_definition(dsl, BASE), _definition(dsl, new_body))
    assert sorted(diff.inputs_added) == ["note", "region"]
    assert diff.inputs_removed == ["name"]
    [plan] = diff.inputs_changed
    assert (plan.name, plan.type_changed, plan.required_before, plan.required_after) == (
        "plan",
        True,
        False,
        True,
    )
    assert diff.outputs_removed == ["status"]
    assert [t["path"] for t in diff.triggers_added] == ["sign-ups"]
    assert sorted(diff.breaking) == sorted(
        [
            "new input 'region' is required and has no default",
            "input 'name' was removed; callers that pass it are refused",
            'input \'plan\' changed type from "string" to "integer"',
            "input 'plan' became required",
            "output 'status' was removed",
            "webhook path 'signups' was removed",
        ]
    )
    summary = diff.summary()
    assert "BREAKING: output 'status' was removed" in summary
    assert summary.startswith("steps: ")


def test_optional_input_and_other_changes_are_not_breaking(dsl: Dsl) -> None:
    new_body = (
        BASE.replace("inputs:\n", "inputs:\n  extra: {type: string, default: x}\n")
        .replace("timeout: 1h", "timeout: 2h\ndefaults: {timeout: 1m}")
        .replace("  id: ${{", "  extra: ${{ inputs.extra }}\n  id: ${{")
    )
    diff = diff_definitions(_definition(dsl, BASE), _definition(dsl, new_body))
    assert diff.breaking == []
    assert diff.inputs_added == ["extra"]
    assert diff.outputs_added == ["extra"]
    assert {(c.path, c.before, c.after) for c in diff.other_changes} == {
        ("timeout", "1h", "2h"),
        ("defaults.timeout", None, "1m"),
    }
    data = diff.to_dict()
    assert data["inputs_added"] == ["extra"]
    assert "other: timeout" in diff.summary()


def test_output_and_description_changes(dsl: Dsl) -> None:
    new_body = BASE.replace("steps.create.status", "steps.create.output.status")
    header = (
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: test-flow, description: New}\n"
    )
    diff = diff_definitions(
        _definition(dsl, BASE),
        dsl.compile(header + new_body, header=False).definition,  # type: ignore[arg-type]
    )
    assert [c.path for c in diff.outputs_changed] == ["status"]
    assert [(c.path, c.after) for c in diff.other_changes] == [("metadata.description", "New")]
