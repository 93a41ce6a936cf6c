"""Reading YAML (and so JSON) into plain data while remembering where each value was.

The document is built from parser events rather than with a YAML constructor so that the
language only ever sees JSON data: aliases, custom tags and non-string keys are refused,
duplicate keys are reported, and scalars follow the YAML 1.2 core schema (``yes``, ``on``
and ``2024-01-01`` stay strings, unlike YAML 1.1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.options import CompileLimits
from flowwright.workflow.domain.dsl.paths import Path, PathPart
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.source_map import NodeInfo

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_MAX_INT = 2**63 - 1
_TAG = "tag:yaml.org,2002:"


class _Abort(Exception):
    """Stops reading after an error that leaves no usable document."""


@dataclass(slots=True)
class _Frame:
    container: dict[str, Any] | list[Any]
    path: Path
    info: NodeInfo
    key: str | None = None
    key_info: tuple[int, int] | None = None
    seen: dict[str, int] = field(default_factory=dict)
    #: The pending key was refused: its value is read but not stored.
    skip_value: bool = False
    #: The whole container sits under a refused key and is not part of the document.
    dropped: bool = False


@dataclass(slots=True)
class LoadedDocument:
    """The data of a document; ``ok`` is false when nothing usable could be read."""

    ok: bool
    root: Any = None


def load_document(text: str, reporter: Reporter, limits: CompileLimits) -> LoadedDocument:
    """Parse ``text`` into JSON-like data, filling ``reporter.source_map`` with positions."""
    builder = _Builder(reporter, limits)
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if "maximum nesting depth" in message:
            # libyaml 0.2.6 and later stop at 1,000 levels while scanning ahead of the parser,
            # before the builder's own (lower) limit sees the events.
            message = f"data is nested more than {limits.max_data_depth} levels deep"
            reporter.report_at(Code.NESTING_TOO_DEEP, message, line, column)
            return LoadedDocument(ok=False)
        reporter.report_at(Code.YAML_SYNTAX, message, line, column, hint=_syntax_hint(message))
        return LoadedDocument(ok=False)
    except yaml.YAMLError as exc:
        line, column = _reader_position(exc, text)
        reporter.report_at(Code.YAML_SYNTAX, _reader_message(exc), line, column)
        return LoadedDocument(ok=False)
    except _Abort:
        return LoadedDocument(ok=False)
    return LoadedDocument(ok=True, root=builder.root)


def _syntax_hint(message: str) -> str | None:
    if "tab" in message:
        return "indent with spaces; tabs are not allowed in YAML indentation"
    if "mapping values are not allowed" in message:
        return "quote strings that contain ': ' (for example a prompt)"
    if "found undefined alias" in message or "expected alphabetic or numeric" in message:
        return "quote strings that start with '*', '&', '!' or '%'"
    return None


def _reader_position(exc: yaml.YAMLError, text: str) -> tuple[int, int]:
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        line = text.count("\n", 0, position)
        column = position - (text.rfind("\n", 0, position) + 1)
        return (line + 1, column + 1)
    return (1, 1)


def _reader_message(exc: yaml.YAMLError) -> str:
    character = getattr(exc, "character", None)
    if isinstance(character, str):
        return f"the text contains a character YAML does not allow: {character!r}"
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


class _Builder:
    """A small state machine from parser events to data plus a source map."""

    def __init__(self, reporter: Reporter, limits: CompileLimits) -> None:
        self.reporter = reporter
        self.nodes = reporter.source_map.nodes
        self.limits = limits
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0
        self.values = 0

    def feed(self, event: yaml.Event) -> None:
        kind = type(event)
        if (
            kind is yaml.ScalarEvent
            or kind is yaml.MappingStartEvent
            or kind is yaml.SequenceStartEvent
        ):
            self.values += 1
            if self.values > self.limits.max_values:
                self._error(
                    Code.VALUE_TOO_LARGE,
                    f"the document holds more than {self.limits.max_values} values",
                    event,
                    hint="split the workflow, or fetch large data at run time",
                )
                raise _Abort
        if kind is yaml.ScalarEvent:
            assert isinstance(event, yaml.ScalarEvent)
            self._scalar(event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._start(event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = self.stack.pop()
            frame.info.end_index = _mark(event.end_mark)[2]
        elif isinstance(event, yaml.AliasEvent):
            self._error(
                Code.YAML_UNSUPPORTED,
                "aliases (*name) are not supported",
                event,
                hint="repeat the value instead of referring to an anchor",
            )
            self._attach(None, event, None)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._error(
                    Code.YAML_UNSUPPORTED,
                    "a workflow source holds exactly one document",
                    event,
                    hint="remove the '---' separator and everything after it",
                )
                raise _Abort

    # Scalars -----------------------------------------------------------------------------

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        value = self._resolve(event)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            self._key(frame, value, event)
            return
        if isinstance(value, str) and len(value) > self.limits.max_string_length:
            self._error(
                Code.VALUE_TOO_LARGE,
                f"string of {len(value)} characters exceeds the limit of "
                f"{self.limits.max_string_length}",
                event,
            )
            value = value[: self.limits.max_string_length]
        style = event.style or None
        self._attach(value, event, style)

    def _key(self, frame: _Frame, value: Any, event: yaml.ScalarEvent) -> None:
        line, column, _ = _mark(event.start_mark)
        if not isinstance(value, str):
            self._error(
                Code.YAML_UNSUPPORTED,
                f"mapping keys must be strings, not {_kind(value)}",
                event,
                hint=f'quote the key: "{event.value}"',
            )
            frame.key, frame.skip_value = event.value, True
            return
        first_line = frame.seen.get(value)
        if first_line is not None:
            self._error(
                Code.DUPLICATE_KEY,
                f"duplicate key {value!r}",
                event,
                hint=f"first defined on line {first_line}; keep one",
            )
            frame.key, frame.skip_value = value, True
            return
        frame.seen[value] = line + 1
        frame.key, frame.key_info = value, (line, column)

    def _resolve(self, event: yaml.ScalarEvent) -> Any:
        tag, text = event.tag, event.value
        if tag in (None, "!"):
            if tag is None and event.implicit[0] and not event.style:
                return self._plain(text, event)
            return text
        if not tag.startswith(_TAG):
            self._error(
                Code.YAML_UNSUPPORTED,
                f"tag {tag} is not supported",
                event,
                hint="remove the tag; the language only uses JSON values",
            )
            return text
        kind = tag[len(_TAG) :]
        if kind == "str":
            return text
        value = self._plain(text, event) if kind in ("int", "float", "bool", "null") else text
        expected: dict[str, type | tuple[type, ...]] = {
            "int": int,
            "float": (int, float),
            "bool": bool,
            "null": type(None),
        }
        if kind not in expected:
            self._error(Code.YAML_UNSUPPORTED, f"tag !!{kind} is not supported", event)
            return text
        if not isinstance(value, expected[kind]) or (kind == "int" and isinstance(value, bool)):
            self._error(Code.INVALID_VALUE, f"{text!r} is not a valid !!{kind}", event)
            return text
        return value

    def _plain(self, text: str, event: yaml.ScalarEvent) -> Any:
        if text in _NULLS:
            return None
        if text in _BOOL:
            return _BOOL[text]
        if len(text) < 19 and text.isdigit() and text.isascii():
            return int(text)
        first = text[0]
        if not (first.isdigit() or first in "+-."):
            return text
        if _INT.match(text) or _OCT.match(text) or _HEX.match(text):
            if len(text) > 40:
                return self._too_large(text, event)
            number = (
                int(text[2:], 8 if text[1] == "o" else 16)
                if text[:2] in ("0o", "0x")
                else int(text)
            )
            return number if -_MAX_INT - 1 <= number <= _MAX_INT else self._too_large(text, event)
        if _FLOAT.match(text):
            number_f = float(text)
            return number_f if math.isfinite(number_f) else self._too_large(text, event)
        return text

    def _too_large(self, text: str, event: yaml.ScalarEvent) -> str:
        self._error(Code.VALUE_TOO_LARGE, f"number {text[:30]} is out of range", event)
        return text

    # Collections -------------------------------------------------------------------------

    def _start(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        is_map = isinstance(event, yaml.MappingStartEvent)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            self._error(
                Code.YAML_UNSUPPORTED,
                "mapping keys must be strings, not collections",
                event,
            )
            raise _Abort
        expected_tag = _TAG + ("map" if is_map else "seq")
        if event.tag not in (None, "!", expected_tag):
            self._error(
                Code.YAML_UNSUPPORTED,
                f"tag {event.tag} is not supported",
                event,
                hint="remove the tag; the language only uses JSON values",
            )
        if len(self.stack) >= self.limits.max_data_depth:
            self._error(
                Code.NESTING_TOO_DEEP,
                f"data is nested more than {self.limits.max_data_depth} levels deep",
                event,
            )
            raise _Abort
        path: Path = ()
        if frame is not None:
            part: PathPart = (
                frame.key or "" if isinstance(frame.container, dict) else len(frame.container)
            )
            path = (*frame.path, part)
        container: dict[str, Any] | list[Any] = {} if is_map else []
        style = ("{" if is_map else "[") if event.flow_style else None
        info, dropped = self._attach(container, event, style)
        self.stack.append(_Frame(container, path, info, dropped=dropped))

    def _attach(self, value: Any, event: yaml.Event, style: str | None) -> tuple[NodeInfo, bool]:
        """Store ``value`` in the open container; returns its node and whether it was dropped."""
        start, end = event.start_mark, event.end_mark
        if start is None or end is None:
            info = NodeInfo(0, 0, 0, 0, style)
        else:
            info = NodeInfo(start.line, start.column, start.index, end.index, style)
        if not self.stack:
            self.root = value
            self.nodes[()] = info
            return info, False
        frame = self.stack[-1]
        if isinstance(frame.container, dict):
            key = frame.key or ""
            dropped = frame.dropped or frame.skip_value
            key_info = frame.key_info
            frame.key, frame.skip_value = None, False
            if not dropped:
                frame.container[key] = value
                if key_info is not None:
                    info.key_line, info.key_column = key_info
                self.nodes[(*frame.path, key)] = info
            return info, dropped
        if not frame.dropped:
            frame.container.append(value)
            self.nodes[(*frame.path, len(frame.container) - 1)] = info
        return info, frame.dropped

    def _error(self, code: Code, message: str, event: yaml.Event, hint: str | None = None) -> None:
        line, column, _ = _mark(event.start_mark)
        path = self.stack[-1].path if self.stack else ()
        self.reporter.report_at(code, message, line + 1, column + 1, path=path, hint=hint)


def _mark(mark: Any) -> tuple[int, int, int]:
    """(line, column, index) of a parser mark, 0-based; marks are always set in practice."""
    if mark is None:
        return (0, 0, 0)
    return (int(mark.line), int(mark.column), int(mark.index))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
