"""The designer evaluation's cases and checks: what a draft must contain, read by the compiler."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "designer_eval.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("designer_eval", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


designer_eval = _load()

NESTED = """\
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: nested}
inputs: {texts: {type: array, default: []}}
triggers:
  - {type: cron, schedule: "0 8 * * MON-FRI"}
steps:
  - id: fan
    type: parallel
    branches:
      - name: each
        steps:
          - id: translate_all
            type: foreach
            items: ${{ inputs.texts }}
            steps:
              - {id: translate, type: llm, model: fast, prompt: "French: ${{ item }}"}
      - name: ping
        steps:
          - id: notify
            type: http
            method: POST
            url: https://hooks.example.com/done
            if: ${{ len(inputs.texts) > 0 }}
"""


def test_both_case_forms_are_read_and_unknown_expectations_refused() -> None:
    cases = designer_eval.load_cases(
        ["Greet me", {"request": "Triage", "expect": {"triggers": ["webhook"], "branches": True}}]
    )

    assert [c.request for c in cases] == ["Greet me", "Triage"]
    assert cases[0].expect.to_dict() == {}
    assert cases[1].expect.to_dict() == {"triggers": ["webhook"], "branches": True}
    assert len(designer_eval.load_cases(designer_eval.CASES)) == 6
    with pytest.raises(ValueError, match="unknown step_types email"):
        designer_eval.load_cases([{"request": "x", "expect": {"step_types": ["email"]}}])
    with pytest.raises(ValueError, match="unknown expectation trigger"):
        designer_eval.load_cases([{"request": "x", "expect": {"trigger": ["cron"]}}])
    with pytest.raises(ValueError, match="case 2"):
        designer_eval.load_cases(["fine", {"expect": {}}])


def test_a_draft_is_checked_with_its_nested_steps_triggers_and_branches() -> None:
    facts = designer_eval.draft_facts(NESTED)
    expect = designer_eval.Expect(
        step_types=("llm", "http", "approval"),
        absent_step_types=("http", "subworkflow"),
        triggers=("cron",),
        branches=True,
    )

    checks = designer_eval.check_draft(expect, facts)

    assert facts is not None and facts.branches == ("if on notify",)
    assert {c["check"]: c["passed"] for c in checks} == {
        "step_types": False,
        "triggers": True,
        "absent_step_types": False,
        "branches": True,
    }
    assert checks[0]["missing"] == ["approval"] and checks[2]["unexpected"] == ["http"]
    assert designer_eval.describe_check(checks[0]) == (
        "FAIL  step_types: llm, http, approval; missing approval"
    )


def test_a_draft_that_does_not_compile_here_fails_every_check() -> None:
    expect = designer_eval.Expect(step_types=("llm",), branches=False)

    checks = designer_eval.check_draft(expect, designer_eval.draft_facts("steps: [}"))

    assert [c["passed"] for c in checks] == [False, False]


def test_the_summary_gives_shares_and_repairs(capsys: pytest.CaptureFixture[str]) -> None:
    def result(kind: str, rounds: int, *passed: bool) -> dict[str, Any]:
        checks = [{"check": "branches", "passed": p, "expected": True, "found": []} for p in passed]
        expect = {"branches": True}
        return {"request": kind, "expect": expect, "kind": kind, "rounds": rounds, "checks": checks}

    results = [
        result("draft", 1, True),
        result("draft", 3, True, False),
        result("draft", 2),
        result("invalid", 4),
    ]

    total = designer_eval.summary(results)
    designer_eval.print_table(results, total)

    assert (total["drafts"], total["drafts_share"], total["first_try"]) == (3, 0.75, 1)
    assert (total["repairs_mean"], total["repairs_median"]) == (1, 1)
    assert (total["checks"], total["checks_passed"], total["as_expected"]) == (3, 2, 2)
    shown = capsys.readouterr().out
    assert "valid drafts 3/4 (75%)" in shown and "checks passed 2/3 (67%)" in shown
    assert "FAIL  branches: must branch; found none" in shown
    assert "checks not run: no draft" in shown
