"""Printing for the CLI: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    typer.echo("  ".join(column.upper().ljust(widths[i]) for i, column in enumerate(columns)))
    for line in cells:
        typer.echo("  ".join(value.ljust(widths[i]) for i, value in enumerate(line)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value)
