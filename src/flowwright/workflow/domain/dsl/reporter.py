"""Collects diagnostics during one compilation and places them in the source."""

from __future__ import annotations

from flowwright.workflow.domain.dsl.codes import Code, severity_of
from flowwright.workflow.domain.dsl.diagnostics import Diagnostic, sort_key
from flowwright.workflow.domain.dsl.paths import Path, format_path
from flowwright.workflow.domain.dsl.source_map import SourceMap


class Reporter:
    """Turns findings at document paths into positioned diagnostics, once each."""

    def __init__(self, source_map: SourceMap, *, limit: int = 200) -> None:
        self.source_map = source_map
        self._limit = limit
        self._items: list[Diagnostic] = []
        self._seen: set[tuple[str, str, int, int]] = set()
        self.error_count = 0

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def full(self) -> bool:
        """Whether the diagnostic budget is spent; later checks may stop early."""
        return len(self._items) >= self._limit

    def report(
        self,
        code: Code,
        message: str,
        path: Path,
        *,
        key: bool = False,
        hint: str | None = None,
    ) -> None:
        """Report at the value of ``path`` (or at its key when ``key``)."""
        if self.full:
            return
        line, column = self.source_map.position(path, key=key)
        self._add(code, message, path, line, column, hint)

    def supersede(self, path: Path) -> None:
        """Forget what was reported at exactly ``path``: a more precise finding follows."""
        text_path = format_path(path)
        kept = [d for d in self._items if d.path != text_path]
        self.error_count -= sum(
            1 for d in self._items if d.path == text_path and d.severity == "error"
        )
        self._items = kept

    def report_in_string(
        self,
        code: Code,
        message: str,
        path: Path,
        value: str,
        offset: int,
        *,
        hint: str | None = None,
    ) -> None:
        """Report at character ``offset`` of the string ``value`` stored at ``path``."""
        if self.full:
            return
        line, column = self.source_map.position_in_string(path, value, offset)
        self._add(code, message, path, line, column, hint)

    def report_at(
        self,
        code: Code,
        message: str,
        line: int,
        column: int,
        *,
        path: Path = (),
        hint: str | None = None,
    ) -> None:
        """Report at an explicit 1-based position, for findings of the parser itself."""
        self._add(code, message, path, line, column, hint)

    def _add(
        self, code: Code, message: str, path: Path, line: int, column: int, hint: str | None
    ) -> None:
        if self.full:
            return
        text_path = format_path(path)
        identity = (code.value, text_path, line, column)
        if identity in self._seen:
            return
        self._seen.add(identity)
        severity = severity_of(code)
        if severity == "error":
            self.error_count += 1
        self._items.append(Diagnostic(code.value, severity, message, text_path, line, column, hint))

    def diagnostics(self) -> list[Diagnostic]:
        """Everything reported, in source order."""
        return sorted(self._items, key=sort_key)
