"""Helpers for the DSL tests: compile a snippet and look diagnostics up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowwright.workflow.domain.dsl import (
    CompileOptions,
    CompileResult,
    Diagnostic,
    compile_workflow,
)

REPO = Path(__file__).resolve().parents[4]
HEADER = "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: test-flow}\n"


class Dsl:
    """Compiles snippets; ``body`` is everything after apiVersion/kind/metadata."""

    header = HEADER

    def compile(self, body: str, *, header: bool = True, **options: Any) -> CompileResult:
        source = (HEADER if header else "") + body
        return compile_workflow(source, filename="test.yaml", options=CompileOptions(**options))

    def codes(self, body: str, **options: Any) -> list[str]:
        return [d.code for d in self.compile(body, **options).diagnostics]

    def ok(self, body: str, **options: Any) -> CompileResult:
        result = self.compile(body, **options)
        assert result.ok, [f"{d.line}:{d.column} {d.code} {d.message}" for d in result.errors]
        return result

    def one(self, body: str, code: str, **options: Any) -> Diagnostic:
        """The single diagnostic with ``code`` (fails if absent or repeated)."""
        result = self.compile(body, **options)
        found = [d for d in result.diagnostics if d.code == code]
        assert len(found) == 1, [
            f"{d.line}:{d.column} {d.code} {d.message}" for d in result.diagnostics
        ]
        return found[0]


@pytest.fixture
def dsl() -> Dsl:
    return Dsl()


@pytest.fixture
def repo() -> Path:
    return REPO
