"""Paths into a workflow document and the small patterns that select fields by path."""

from __future__ import annotations

import json
import re

PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

#: One segment of any key or index.
ANY = "*"
#: Any number of segments, including none; only meaningful as the last segment.
DEEP = "**"


def format_path(path: Path) -> str:
    """``("steps", 3, "needs", 0)`` -> ``steps[3].needs[0]``; odd keys are quoted."""
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            parts.append(f".{part}" if parts else part)
        else:
            parts.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(parts)


def matches(pattern: Path, path: Path) -> bool:
    """Whether ``path`` is selected by ``pattern`` (``*`` one segment, trailing ``**`` any)."""
    for index, expected in enumerate(pattern):
        if expected == DEEP:
            return True
        if index >= len(path):
            return False
        if expected == ANY:
            continue
        if expected != path[index]:
            return False
    return len(path) == len(pattern)


def matches_any(patterns: tuple[Path, ...], path: Path) -> bool:
    """Whether any of ``patterns`` selects ``path``."""
    return any(matches(pattern, path) for pattern in patterns)
