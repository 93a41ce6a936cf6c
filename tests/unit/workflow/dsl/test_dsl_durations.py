"""Durations: parsing, canonical spelling, bounds."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.dsl import DurationError, format_duration, parse_duration
from flowwright.workflow.domain.dsl.durations import normalize_duration


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [
        ("500ms", 500),
        ("30s", 30_000),
        ("5m", 300_000),
        ("2h", 7_200_000),
        ("1d", 86_400_000),
        ("1h30m", 5_400_000),
        ("1d2h3m4s5ms", 93_784_005),
        ("365d", 31_536_000_000),
    ],
)
def test_parse(text: str, milliseconds: int) -> None:
    assert parse_duration(text) == milliseconds


@pytest.mark.parametrize(
    "text", ["", "5", "5 m", "-5m", "0s", "1.5h", "30m1h", "1h1h", "366d", "5min", "1H"]
)
def test_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "canonical"), [("90m", "1h30m"), ("24h", "1d"), ("1500ms", "1s500ms"), ("5m", "5m")]
)
def test_canonical_spelling(text: str, canonical: str) -> None:
    assert normalize_duration(text) == canonical
    assert format_duration(parse_duration(canonical)) == canonical
