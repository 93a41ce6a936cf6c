"""Diagnostic values and their printed form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowwright.workflow.domain.dsl import CompileLimits, Diagnostic, format_diagnostic

if TYPE_CHECKING:
    from testkit import Dsl


def test_format_with_and_without_hint() -> None:
    error = Diagnostic("unknown-need", "error", "needs names 'x'", "steps[0].needs[0]", 7, 13, "hi")
    warning = Diagnostic("unused-input", "warning", "input 'a' is never used", "inputs.a", 5, 3)
    assert format_diagnostic(error, "flow.yaml") == (
        "flow.yaml:7:13: error[unknown-need]: needs names 'x' (hi)"
    )
    assert format_diagnostic(warning, "flow.yaml") == (
        "flow.yaml:5:3: warning[unused-input]: input 'a' is never used"
    )
    assert error.is_error
    assert not warning.is_error
    assert warning.to_dict() == {
        "code": "unused-input",
        "severity": "warning",
        "message": "input 'a' is never used",
        "path": "inputs.a",
        "line": 5,
        "column": 3,
        "hint": None,
    }


def test_results_split_errors_and_warnings(dsl: Dsl) -> None:
    body = (
        "inputs:\n  spare: {type: string}\n"
        "steps:\n  - {id: a, type: transform, output: 1, needs: [b]}\n"
    )
    result = dsl.compile(body)
    assert [d.code for d in result.errors] == ["unknown-need"]
    assert [d.code for d in result.warnings] == ["unused-input"]
    assert result.definition is None
    assert result.plan is None
    assert result.content_hash is None


def test_diagnostics_are_sorted_by_position(dsl: Dsl) -> None:
    body = (
        "steps:\n  - {id: b, type: transform, output: 1, needs: [zz]}\n"
        "  - {id: a, type: transform, output: 1, needs: [yy]}\n"
    )
    result = dsl.compile(body)
    assert [(d.line, d.code) for d in result.diagnostics] == [
        (5, "unknown-need"),
        (6, "unknown-need"),
    ]


def test_diagnostic_budget(dsl: Dsl) -> None:
    body = "steps:\n" + "".join(
        f"  - {{id: s{i}, type: transform, output: 1, needs: [nope]}}\n" for i in range(30)
    )
    result = dsl.compile(body, limits=CompileLimits(max_diagnostics=10))
    assert len(result.diagnostics) == 10
    assert not result.ok


def test_unknown_top_level_keys_are_not_scanned(dsl: Dsl) -> None:
    body = "note: ${{ inputs.x }}\nsteps:\n  - {id: a, type: transform, output: 1}\n"
    assert dsl.codes(body) == ["unknown-field"]
