"""The code catalogue, the invalid examples and the language reference agree."""

from __future__ import annotations

import re
from pathlib import Path

from flowwright.workflow.domain.dsl import CODE_INFO, Code

REPO = Path(__file__).resolve().parents[4]

_UNREACHABLE_FROM_FILES = {Code.INTERNAL_ERROR}


def test_every_code_has_catalogue_entry() -> None:
    assert set(CODE_INFO) == set(Code)


def test_every_error_code_has_an_invalid_example() -> None:
    expected: set[str] = set()
    for path in (REPO / "examples" / "invalid").glob("*.yaml"):
        match = re.match(r"# expect: ([a-z-]+) line", path.read_text(encoding="utf-8"))
        assert match, path.name
        expected.add(match.group(1))
    errors = {c.value for c, info in CODE_INFO.items() if info.severity == "error"}
    missing = errors - expected - {c.value for c in _UNREACHABLE_FROM_FILES}
    assert not missing, sorted(missing)
    assert expected <= {c.value for c in Code}


def test_every_code_is_documented() -> None:
    reference = (REPO / "docs" / "dsl.md").read_text(encoding="utf-8")
    undocumented = [c.value for c in Code if f"`{c.value}`" not in reference]
    assert not undocumented
