"""Where every value of a parsed document came from, down to a character inside a string."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from flowwright.workflow.domain.dsl.paths import Path

_WHITESPACE = frozenset(" \t\r\n")
_BLOCK_STYLES = frozenset("|>")


@dataclass(slots=True)
class NodeInfo:
    """Position of one node; lines and columns are 0-based here, as the YAML parser gives them."""

    line: int
    column: int
    index: int
    end_index: int
    style: str | None = None
    key_line: int | None = None
    key_column: int | None = None


@dataclass(slots=True)
class SourceMap:
    """Positions of every node of one document, keyed by its path."""

    text: str
    nodes: dict[Path, NodeInfo] = field(default_factory=dict)
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _candidates: dict[Path, list[tuple[str, int]]] = field(default_factory=dict, repr=False)

    def node(self, path: Path) -> tuple[Path, NodeInfo | None]:
        """The node at ``path`` or, when absent, at the longest existing prefix of it."""
        probe = path
        while True:
            info = self.nodes.get(probe)
            if info is not None or not probe:
                return probe, info
            probe = probe[:-1]

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at ``path``, or of its key when ``key``."""
        found, info = self.node(path)
        if info is None:
            return (1, 1)
        if key and found == path and info.key_line is not None and info.key_column is not None:
            return (info.key_line + 1, info.key_column + 1)
        return (info.line + 1, info.column + 1)

    def position_in_string(self, path: Path, value: str, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``value[offset]``, the string stored at ``path``.

        Exact for plain and quoted scalars; block scalars are located by aligning the source
        with the value, which is right for every character that is not whitespace.
        """
        found, info = self.node(path)
        if info is None or found != path:
            return self.position(path)
        candidates = self._candidates.get(path)
        if candidates is None:
            source = self.text[info.index : info.end_index]
            candidates = _candidates(source, info.style)
            self._candidates[path] = candidates
        index = _align(candidates, value, max(0, min(offset, len(value) - 1)))
        if index is None:
            return (info.line + 1, info.column + 1)
        return self.line_column(info.index + index)

    def line_column(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset into the text."""
        if not self._line_starts:
            starts = [0]
            position = self.text.find("\n")
            while position >= 0:
                starts.append(position + 1)
                position = self.text.find("\n", position + 1)
            self._line_starts = starts
        line = bisect_right(self._line_starts, index) - 1
        return (line + 1, index - self._line_starts[line] + 1)


def _candidates(source: str, style: str | None) -> list[tuple[str, int]]:
    """Characters the value may be made of, each with its index in ``source``.

    Escapes are decoded so that one value character maps to the start of its escape.
    """
    if style == '"':
        return _double_quoted(source)
    if style == "'":
        return _single_quoted(source)
    start = 0
    if style in _BLOCK_STYLES:
        # The header line (`|-`, `>2` ...) holds indicators, never content.
        start = source.find("\n") + 1
    return [(source[i], i) for i in range(start, len(source))]


def _single_quoted(source: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    i, end = 1, len(source) - 1
    while i < end:
        if source[i] == "'" and i + 1 < end and source[i + 1] == "'":
            out.append(("'", i))
            i += 2
            continue
        out.append((source[i], i))
        i += 1
    return out


_ESCAPE_LENGTHS = {"x": 2, "u": 4, "U": 8}
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip


def _double_quoted(source: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    i, end = 1, len(source) - 1
    while i < end:
        char = source[i]
        if char != "\\" or i + 1 >= end:
            out.append((char, i))
            i += 1
            continue
        escape = source[i + 1]
        if escape in _ESCAPE_LENGTHS:
            width = _ESCAPE_LENGTHS[escape]
            try:
                out.append((chr(int(source[i + 2 : i + 2 + width], 16)), i))
            except ValueError:
                out.append((escape, i))
            i += 2 + width
        elif escape in "\r\n":
            # An escaped line break joins lines without adding anything.
            i += 2
            while i < end and source[i] in " \t\r\n":
                i += 1
        else:
            out.append((_SIMPLE_ESCAPES.get(escape, escape), i))
            i += 2
    return out


def _align(candidates: list[tuple[str, int]], value: str, offset: int) -> int | None:
    """Source index of ``value[offset]`` by walking value and candidates together.

    Source characters that folding or indentation removed are skipped; whitespace matches
    whitespace because folding turns line breaks into spaces.
    """
    position = 0
    total = len(candidates)
    for target_index in range(offset + 1):
        char = value[target_index]
        is_space = char in _WHITESPACE
        while position < total:
            candidate = candidates[position][0]
            if candidate == char or (is_space and candidate in _WHITESPACE):
                break
            position += 1
        if position >= total:
            return candidates[-1][1] if candidates else None
        if target_index == offset:
            return candidates[position][1]
        position += 1
    return None
