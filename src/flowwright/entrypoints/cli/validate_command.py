"""``flowwright validate``: check workflow files locally, for editors and CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TextIO

from flowwright.workflow.domain.dsl import (
    CompileOptions,
    compile_workflow,
    format_diagnostic,
)

OutputFormat = Literal["text", "json"]


def validate_files(
    paths: list[Path],
    *,
    output_format: OutputFormat = "text",
    out: TextIO,
    options: CompileOptions | None = None,
) -> int:
    """Compile each file and print its diagnostics; 1 if any file has an error, else 0.

    ``text`` prints ``FILE:LINE:COL: error[CODE]: message (hint)`` lines and a summary;
    ``json`` prints a list of ``{file, ok, diagnostics}``.
    """
    compile_options = options or CompileOptions()
    reports: list[dict[str, Any]] = []
    for path in paths:
        name = str(path)
        try:
            source = path.read_bytes()
        except OSError as exc:
            reports.append(_unreadable(name, exc))
            continue
        result = compile_workflow(source, filename=name, options=compile_options)
        reports.append(
            {
                "file": name,
                "ok": result.ok,
                "diagnostics": [d.to_dict() for d in result.diagnostics],
                "_lines": [format_diagnostic(d, name) for d in result.diagnostics],
            }
        )
    if output_format == "json":
        public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in reports]
        out.write(json.dumps(public, indent=2, ensure_ascii=False) + "\n")
    else:
        _write_text(reports, out)
    return 0 if all(report["ok"] for report in reports) else 1


def _unreadable(name: str, exc: OSError) -> dict[str, Any]:
    message = f"cannot read the file: {exc.strerror or exc}"
    diagnostic = {
        "code": "unreadable",
        "severity": "error",
        "message": message,
        "path": "",
        "line": 1,
        "column": 1,
        "hint": None,
    }
    return {
        "file": name,
        "ok": False,
        "diagnostics": [diagnostic],
        "_lines": [f"{name}:1:1: error[unreadable]: {message}"],
    }


def _write_text(reports: list[dict[str, Any]], out: TextIO) -> None:
    errors = warnings = failed = 0
    for report in reports:
        for line in report["_lines"]:
            out.write(line + "\n")
        for diagnostic in report["diagnostics"]:
            if diagnostic["severity"] == "error":
                errors += 1
            else:
                warnings += 1
        failed += 0 if report["ok"] else 1
    files = len(reports)
    out.write(
        f"{files} file{'s' if files != 1 else ''} checked: {files - failed} valid, "
        f"{failed} invalid, {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}\n"
    )
