"""Diagnostics: what the compiler tells the author, with an exact place in the source."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flowwright.workflow.domain.dsl.codes import Severity


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a workflow source.

    ``path`` locates the value in the document (``steps[3].needs[0]``, empty for the root);
    ``line`` and ``column`` are 1-based and point at the offending character when known.
    """

    code: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with every field."""
        return asdict(self)


def format_diagnostic(diagnostic: Diagnostic, filename: str) -> str:
    """``FILE:LINE:COL: error[CODE]: message (hint)``, the form editors and CI logs understand."""
    text = (
        f"{filename}:{diagnostic.line}:{diagnostic.column}: "
        f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"
    )
    if diagnostic.hint:
        text += f" ({diagnostic.hint})"
    return text


def sort_key(diagnostic: Diagnostic) -> tuple[int, int, int, str]:
    """Order by position, errors before warnings at the same place."""
    return (
        diagnostic.line,
        diagnostic.column,
        0 if diagnostic.severity == "error" else 1,
        diagnostic.code,
    )
