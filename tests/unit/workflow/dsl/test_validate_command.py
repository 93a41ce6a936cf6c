"""The validate command: text and JSON output, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flowwright.entrypoints.cli.validate_command import validate_files

REPO = Path(__file__).resolve().parents[4]
GOOD = REPO / "examples" / "ticket-triage.yaml"
BAD = REPO / "examples" / "invalid" / "cycle.yaml"


def test_valid_files_exit_zero() -> None:
    out = io.StringIO()
    assert validate_files([GOOD], output_format="text", out=out) == 0
    assert out.getvalue() == "1 file checked: 1 valid, 0 invalid, 0 errors, 0 warnings\n"


def test_invalid_files_print_diagnostics_and_exit_one() -> None:
    out = io.StringIO()
    assert validate_files([GOOD, BAD], output_format="text", out=out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{BAD}:12:13: error[cycle]: dependency cycle: a -> c -> b -> a")
    assert lines[0].endswith("(remove one of these needs)")
    assert lines[-1] == "2 files checked: 1 valid, 1 invalid, 1 error, 0 warnings"


def test_json_output() -> None:
    out = io.StringIO()
    assert validate_files([GOOD, BAD], output_format="json", out=out) == 1
    data = json.loads(out.getvalue())
    assert [entry["ok"] for entry in data] == [True, False]
    assert data[1]["file"] == str(BAD)
    [diagnostic] = data[1]["diagnostics"]
    assert diagnostic["code"] == "cycle"
    assert (diagnostic["line"], diagnostic["column"], diagnostic["severity"]) == (12, 13, "error")
    assert set(diagnostic) == {"code", "severity", "message", "path", "line", "column", "hint"}


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "warn.yaml"
    path.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: warn}\n"
        "inputs:\n  spare: {type: string}\nsteps:\n  - {id: a, type: transform, output: 1}\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert validate_files([path], output_format="text", out=out) == 0
    assert f"{path}:5:3: warning[unused-input]" in out.getvalue()


def test_unreadable_file(tmp_path: Path) -> None:
    out = io.StringIO()
    missing = tmp_path / "missing.yaml"
    assert validate_files([missing], output_format="json", out=out) == 1
    [entry] = json.loads(out.getvalue())
    assert entry["ok"] is False
    assert entry["diagnostics"][0]["code"] == "unreadable"
