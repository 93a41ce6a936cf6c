"""Every example workflow compiles cleanly and every invalid one fails where it says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flowwright.workflow.domain.dsl import (
    STEP_TYPES,
    CompileOptions,
    compile_workflow,
    format_diagnostic,
)

REPO = Path(__file__).resolve().parents[4]

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
INVALID = sorted((REPO / "examples" / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: ([a-z-]+) line (\d+)$")


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLES) >= 12
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles_without_diagnostics(path: Path) -> None:
    options = CompileOptions(available_step_types=frozenset(STEP_TYPES.names()))
    result = compile_workflow(path.read_bytes(), filename=path.name, options=options)
    assert result.ok, "\n".join(format_diagnostic(d, path.name) for d in result.diagnostics)
    assert result.diagnostics == []
    assert result.plan is not None
    assert result.graph is not None
    assert result.content_hash is not None
    assert result.graph.to_mermaid().startswith("flowchart TD\n")


def _options(line: str) -> CompileOptions:
    if not line.startswith("# options:"):
        return CompileOptions()
    data = json.loads(line.removeprefix("# options:"))
    sets = {
        key: frozenset(data[key])
        for key in ("available_step_types", "known_secrets", "known_workflows")
        if key in data
    }
    return CompileOptions(**sets, taken_webhook_paths=data.get("taken_webhook_paths", {}))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_reports_its_code_at_its_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    first, second = [*text.split("\n"), ""][:2]
    match = _EXPECT.match(first)
    assert match, f"{path.name} must start with '# expect: CODE line N'"
    code, line = match.group(1), int(match.group(2))
    result = compile_workflow(text, filename=path.name, options=_options(second))
    shown = "\n".join(format_diagnostic(d, path.name) for d in result.diagnostics)
    assert any(d.code == code and d.line == line for d in result.diagnostics), shown
    assert not result.ok
    assert all(d.code != "internal-error" for d in result.diagnostics), shown
