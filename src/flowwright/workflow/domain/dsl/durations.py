"""Durations such as ``500ms``, ``30s``, ``5m``, ``2h``, ``1d`` and ``1h30m``."""

from __future__ import annotations

import re

_UNITS_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_ORDER = ("d", "h", "m", "s", "ms")
_PART = re.compile(r"(\d{1,9})(ms|d|h|m|s)")
_WHOLE = re.compile(r"^(?:\d{1,9}(?:ms|d|h|m|s))+$")

#: The longest duration the language accepts anywhere.
MAX_DURATION_MS = 365 * _UNITS_MS["d"]

DURATION_PATTERN = r"^([0-9]+(ms|d|h|m|s))+$"


class DurationError(ValueError):
    """A duration string that cannot be used, with a message for the author."""


def parse_duration(text: str) -> int:
    """Milliseconds of ``text``; units must appear at most once, largest first."""
    if not _WHOLE.match(text):
        raise DurationError(
            f"{text!r} is not a duration; write a number followed by ms, s, m, h or d, "
            "such as 30s, 5m or 1h30m"
        )
    total = 0
    last_rank = -1
    for number, unit in _PART.findall(text):
        rank = _ORDER.index(unit)
        if rank <= last_rank:
            raise DurationError(
                f"{text!r} repeats or misorders its units; put larger units first, as in 1h30m"
            )
        last_rank = rank
        total += int(number) * _UNITS_MS[unit]
    if total <= 0:
        raise DurationError(f"{text!r} is zero; durations must be positive")
    if total > MAX_DURATION_MS:
        raise DurationError(f"{text!r} is longer than the maximum of 365d")
    return total


def format_duration(milliseconds: int) -> str:
    """The canonical spelling of a duration: ``5400000`` -> ``1h30m``."""
    if milliseconds <= 0:
        return "0ms"
    parts: list[str] = []
    remaining = milliseconds
    for unit in _ORDER:
        size = _UNITS_MS[unit]
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def normalize_duration(text: str) -> str:
    """Canonical spelling of ``text`` so that ``90m`` and ``1h30m`` compare equal."""
    return format_duration(parse_duration(text))
