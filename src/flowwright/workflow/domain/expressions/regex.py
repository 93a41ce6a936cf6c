"""Regular expressions for ``matches()``, matched in linear time.

Why not ``re``: it backtracks, and no cap on pattern or input length makes that safe. With a
10 kB input, ``(a|a)*b`` is exponential and ``.*a.*b.*c`` is quartic; rejecting nested
quantifiers catches the first but not the second. On shared workers a single request could
pin a core for minutes. So patterns are parsed here (Python ``re`` syntax, a subset) and run as
a Thompson NFA through a lazily built DFA: time is linear in the input, memory is bounded.

Supported: literals and escapes (``\\n \\t \\xhh \\uXXXX``, escaped punctuation), ``.``,
classes ``[a-z]``, ``[^...]``, ``\\d \\w \\s \\D \\W \\S``, anchors ``^ $ \\A \\Z \\b \\B``,
groups ``(...)``, ``(?:...)``, ``(?P<name>...)``, alternation ``|``, quantifiers ``* + ?``
and ``{m}``, ``{m,}``, ``{m,n}`` (lazy forms accepted: for a yes/no answer they are the
same), and the flags ``(?i)`` and ``(?s)`` at the start of the pattern.
Not supported (rejected with an error): backreferences, lookaround, atomic groups, possessive
quantifiers, conditionals, other inline flags. ``$`` matches only at the very end of the
text (RE2 semantics; Python's ``$`` also matches before a final newline).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

MAX_PATTERN_LENGTH: Final = 256
MAX_INPUT_LENGTH: Final = 100_000
_MAX_PROGRAM: Final = 2_000  # NFA instructions after expanding counted repetition
_MAX_REPEAT: Final = 1_000
_MAX_GROUP_DEPTH: Final = 32
_MAX_CACHED_TRANSITIONS: Final = 10_000
_MAX_CACHED_STATE_ENTRIES: Final = 20_000  # sum of NFA states held by cached DFA states

CharTest = Callable[[str], bool]
Charge = Callable[[int], None]


class RegexError(Exception):
    """The pattern is malformed, unsupported or too complex; ``position`` is into the pattern."""

    def __init__(self, message: str, position: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint


# -- syntax tree ----------------------------------------------------------------------------

# Assertion kinds.
_START: Final = 0  # ^ and \A
_END: Final = 1  # $ and \Z
_BOUNDARY: Final = 2  # \b
_NOT_BOUNDARY: Final = 3  # \B


@dataclass(frozen=True, slots=True)
class _Char:
    test: CharTest


@dataclass(frozen=True, slots=True)
class _Assert:
    kind: int


@dataclass(frozen=True, slots=True)
class _Concat:
    items: tuple[_Regex, ...]


@dataclass(frozen=True, slots=True)
class _Alt:
    options: tuple[_Regex, ...]


@dataclass(frozen=True, slots=True)
class _Repeat:
    item: _Regex
    low: int
    high: int | None


_Regex = _Char | _Assert | _Concat | _Alt | _Repeat


# -- character tests ------------------------------------------------------------------------


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_digit(char: str) -> bool:
    return char.isdecimal()


def _is_space(char: str) -> bool:
    return char.isspace()


_CATEGORIES: dict[str, tuple[CharTest, bool]] = {
    "d": (_is_digit, False),
    "D": (_is_digit, True),
    "w": (_is_word, False),
    "W": (_is_word, True),
    "s": (_is_space, False),
    "S": (_is_space, True),
}

_CONTROL_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _ignoring_case(test: CharTest) -> CharTest:
    def check(char: str) -> bool:
        if test(char):
            return True
        lower, upper = char.lower(), char.upper()
        return (len(lower) == 1 and test(lower)) or (len(upper) == 1 and test(upper))

    return check


def _literal_test(literal: str, ignore_case: bool) -> CharTest:
    if ignore_case and literal.lower() != literal.upper():
        variants = frozenset({literal, literal.lower(), literal.upper()})
        return _ignoring_case(variants.__contains__)
    return literal.__eq__


@dataclass(frozen=True, slots=True)
class _ClassSpec:
    """A bracketed class: single characters, ranges and categories, maybe negated."""

    chars: frozenset[str]
    ranges: tuple[tuple[int, int], ...]
    categories: tuple[tuple[CharTest, bool], ...]

    def contains(self, char: str) -> bool:
        if char in self.chars:
            return True
        code = ord(char)
        for low, high in self.ranges:
            if low <= code <= high:
                return True
        return any(test(char) != negated for test, negated in self.categories)


# -- parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.depth = 0
        self.ignore_case = False
        self.dot_all = False
        self.uses_word_boundary = False

    def error(
        self, message: str, position: int | None = None, hint: str | None = None
    ) -> RegexError:
        return RegexError(message, self.pos if position is None else position, hint)

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.pattern[index] if index < len(self.pattern) else None

    def parse(self) -> _Regex:
        self._global_flags()
        node = self._alternation()
        if self.pos < len(self.pattern):
            raise self.error("unbalanced parenthesis")
        return node

    def _global_flags(self) -> None:
        # Python accepts inline flags only at the start; of those, i and s are supported.
        while self.pattern.startswith("(?", self.pos):
            end = self.pos + 2
            while end < len(self.pattern) and self.pattern[end].isalpha():
                end += 1
            if end == self.pos + 2 or end >= len(self.pattern) or self.pattern[end] != ")":
                return
            for flag in self.pattern[self.pos + 2 : end]:
                if flag == "i":
                    self.ignore_case = True
                elif flag == "s":
                    self.dot_all = True
                else:
                    raise self.error(
                        f"unsupported flag '{flag}'", hint="only (?i) and (?s) are supported"
                    )
            self.pos = end + 1

    def _alternation(self) -> _Regex:
        options = [self._concatenation()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self._concatenation())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def _concatenation(self) -> _Regex:
        items: list[_Regex] = []
        while True:
            char = self.peek()
            if char is None or char in "|)":
                break
            start = self.pos
            atom = self._atom()
            items.append(self._quantified(atom, start))
        return items[0] if len(items) == 1 else _Concat(tuple(items))

    def _atom(self) -> _Regex:
        char = self.pattern[self.pos]
        if char == "(":
            return self._group()
        if char == "[":
            return self._class()
        if char in "*+?" or (char == "{" and self._repeat_bounds() is not None):
            raise self.error("nothing to repeat")
        self.pos += 1
        if char == ".":
            if self.dot_all:
                return _Char(lambda c: True)
            return _Char(lambda c: c != "\n")
        if char == "^":
            return _Assert(_START)
        if char == "$":
            return _Assert(_END)
        if char == "\\":
            return self._escape()
        return _Char(_literal_test(char, self.ignore_case))

    def _repeat_bounds(self) -> tuple[int, int | None, int] | None:
        """``{m}``, ``{m,}``, ``{,n}``, ``{m,n}`` at the cursor: (low, high, end) or None.

        As in Python, a brace that does not form a valid quantifier is a literal.
        """
        pattern = self.pattern
        index = self.pos + 1
        low_start = index
        while index < len(pattern) and pattern[index].isdigit() and pattern[index].isascii():
            index += 1
        low_text = pattern[low_start:index]
        if index < len(pattern) and pattern[index] == ",":
            index += 1
            high_start = index
            while index < len(pattern) and pattern[index].isdigit() and pattern[index].isascii():
                index += 1
            high_text: str | None = pattern[high_start:index]
        else:
            high_text = low_text
            if not low_text:
                return None  # "{}" or "{x": a literal brace
        if index >= len(pattern) or pattern[index] != "}":
            return None
        low = int(low_text) if low_text else 0
        high = int(high_text) if high_text else None
        return low, high, index + 1

    def _quantified(self, atom: _Regex, start: int) -> _Regex:
        bounds = self._quantifier()
        if bounds is None:
            return atom
        if isinstance(atom, _Assert) and self.pattern[start] != "(":
            # A bare anchor cannot be repeated; a group holding one can, as in Python.
            raise self.error("nothing to repeat", start)
        low, high = bounds
        if self.peek() == "?":
            self.pos += 1  # lazy: same yes/no answer as greedy
        elif self.peek() == "+":
            raise self.error(
                "possessive quantifiers are not supported", hint="remove the trailing '+'"
            )
        if self._quantifier_ahead():
            raise self.error("multiple repeat", hint="wrap the repeated part in (?:...)")
        return _Repeat(atom, low, high)

    def _quantifier_ahead(self) -> bool:
        char = self.peek()
        return char is not None and (
            char in "*+?" or (char == "{" and self._repeat_bounds() is not None)
        )

    def _quantifier(self) -> tuple[int, int | None] | None:
        char = self.peek()
        if char == "*":
            self.pos += 1
            return 0, None
        if char == "+":
            self.pos += 1
            return 1, None
        if char == "?":
            self.pos += 1
            return 0, 1
        if char == "{":
            bounds = self._repeat_bounds()
            if bounds is None:
                return None
            low, high, end = bounds
            if high is not None and high < low:
                raise self.error("min repeat greater than max repeat")
            if low > _MAX_REPEAT or (high is not None and high > _MAX_REPEAT):
                raise self.error(f"repeat counts above {_MAX_REPEAT} are not supported")
            self.pos = end
            return low, high
        return None

    def _group(self) -> _Regex:
        start = self.pos
        self.pos += 1
        if self.peek() == "?":
            self._group_prefix(start)
        self.depth += 1
        if self.depth > _MAX_GROUP_DEPTH:
            raise self.error(f"groups are nested deeper than {_MAX_GROUP_DEPTH} levels", start)
        node = self._alternation()
        self.depth -= 1
        if self.peek() != ")":
            raise self.error("missing ), unterminated subpattern", start)
        self.pos += 1
        return node

    def _group_prefix(self, start: int) -> None:
        rest = self.pattern[self.pos : self.pos + 3]
        if rest.startswith("?:"):
            self.pos += 2
            return
        if rest.startswith("?P<"):
            end = self.pattern.find(">", self.pos + 3)
            name = self.pattern[self.pos + 3 : end] if end >= 0 else ""
            if end < 0 or not name.isidentifier():
                raise self.error("bad group name", start)
            self.pos = end + 1
            return
        unsupported = {
            "?=": "lookahead",
            "?!": "lookahead",
            "?<": "lookbehind",
            "?P": "backreferences",
            "?#": "comments",
            "?(": "conditionals",
            "?>": "atomic groups",
        }
        feature = unsupported.get(rest[:2])
        if feature is None:
            if len(rest) > 1 and rest[1].isalpha():
                raise self.error(
                    "inline flags are only supported at the start of the pattern",
                    start,
                    "put (?i) or (?s) first",
                )
            raise self.error("unknown extension after '(?'", start)
        raise self.error(
            f"{feature} are not supported"
            if feature.endswith("s")
            else f"{feature} is not supported",
            start,
            "matching must stay linear-time, so only plain regular syntax is available",
        )

    def _escape(self) -> _Regex:
        start = self.pos - 1
        char = self.peek()
        if char is None:
            raise self.error("bad escape (end of pattern)", start)
        self.pos += 1
        if char in _CATEGORIES:
            test, negated = _CATEGORIES[char]
            return _Char((lambda c: not test(c)) if negated else test)
        if char in "AZbB":
            kinds = {"A": _START, "Z": _END, "b": _BOUNDARY, "B": _NOT_BOUNDARY}
            if char in "bB":
                self.uses_word_boundary = True
            return _Assert(kinds[char])
        literal = self._escaped_char(char, start, in_class=False)
        return _Char(_literal_test(literal, self.ignore_case))

    def _escaped_char(self, char: str, start: int, *, in_class: bool) -> str:
        """The character meant by ``\\<char>...`` (cursor after ``char``)."""
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if in_class and char == "b":
            return "\b"
        if char in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[char]
            digits = self.pattern[self.pos : self.pos + width]
            if len(digits) != width or not all(d in _HEX for d in digits):
                raise self.error(f"incomplete escape \\{char}{digits}", start)
            self.pos += width
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise self.error(f"bad escape \\{char}{digits}", start)
            return chr(code)
        if char == "0":
            digits = ""
            while len(digits) < 2:
                following = self.peek()
                if following is None or following not in "01234567":
                    break
                digits += following
                self.pos += 1
            return chr(int(digits or "0", 8))
        if char in "123456789":
            raise self.error(
                "backreferences are not supported",
                start,
                "matching must stay linear-time, so only plain regular syntax is available",
            )
        if char in _ASCII_LETTERS:
            raise self.error(f"bad escape \\{char}", start)
        return char

    def _class(self) -> _Regex:
        start = self.pos
        self.pos += 1
        negated = False
        if self.peek() == "^":
            negated = True
            self.pos += 1
        first = self.pos
        chars: set[str] = set()
        ranges: list[tuple[int, int]] = []
        categories: list[tuple[CharTest, bool]] = []
        while True:
            char = self.peek()
            if char is None:
                raise self.error("unterminated character set", start)
            if char == "]" and self.pos != first:
                self.pos += 1
                break
            item_start = self.pos
            low = self._class_item(categories)
            if self.peek() == "-" and self.peek(1) not in (None, "]"):
                self.pos += 1
                high = self._class_item(categories)
                if low is None or high is None or ord(high) < ord(low):
                    raise self.error("bad character range", item_start)
                ranges.append((ord(low), ord(high)))
            elif low is not None:
                chars.add(low)
        spec = _ClassSpec(frozenset(chars), tuple(ranges), tuple(categories))
        test: CharTest = spec.contains
        if self.ignore_case:
            test = _ignoring_case(test)
        if negated:
            inner = test
            return _Char(lambda c: not inner(c))
        return _Char(test)

    def _class_item(self, categories: list[tuple[CharTest, bool]]) -> str | None:
        """One class member: a character (returned) or a category (appended, None returned)."""
        char = self.pattern[self.pos]
        self.pos += 1
        if char != "\\":
            return char
        start = self.pos - 1
        code = self.peek()
        if code is None:
            raise self.error("unterminated character set", start)
        self.pos += 1
        if code in _CATEGORIES:
            categories.append(_CATEGORIES[code])
            return None
        return self._escaped_char(code, start, in_class=True)


# -- program --------------------------------------------------------------------------------

_CHAR: Final = 0
_SPLIT: Final = 1
_JUMP: Final = 2
_ASSERT: Final = 3
_MATCH: Final = 4


def _never(char: str) -> bool:
    return False


class _Program:
    """Thompson NFA as parallel arrays indexed by pc.

    ``target`` is the next pc (CHAR, JUMP, ASSERT) or the preferred branch (SPLIT); ``extra``
    is the other branch (SPLIT) or the assertion kind (ASSERT); ``test`` is the character test
    (CHAR).
    """

    def __init__(self) -> None:
        self.op: list[int] = []
        self.target: list[int] = []
        self.extra: list[int] = []
        self.test: list[CharTest] = []

    def emit(self, op: int, target: int = 0, extra: int = 0, test: CharTest = _never) -> int:
        if len(self.op) >= _MAX_PROGRAM:
            raise RegexError(
                "the pattern is too complex", 0, "use smaller repeat counts such as {1,50}"
            )
        self.op.append(op)
        self.target.append(target)
        self.extra.append(extra)
        self.test.append(test)
        return len(self.op) - 1

    def compile(self, node: _Regex) -> None:
        if isinstance(node, _Char):
            self.emit(_CHAR, len(self.op) + 1, test=node.test)
        elif isinstance(node, _Assert):
            self.emit(_ASSERT, len(self.op) + 1, node.kind)
        elif isinstance(node, _Concat):
            for item in node.items:
                self.compile(item)
        elif isinstance(node, _Alt):
            jumps: list[int] = []
            for option in node.options[:-1]:
                split = self.emit(_SPLIT, len(self.op) + 1)
                self.compile(option)
                jumps.append(self.emit(_JUMP))
                self.extra[split] = len(self.op)
            self.compile(node.options[-1])
            for jump in jumps:
                self.target[jump] = len(self.op)
        else:
            for _ in range(node.low):
                self.compile(node.item)
            if node.high is None:
                loop = self.emit(_SPLIT, len(self.op) + 1)
                self.compile(node.item)
                self.emit(_JUMP, loop)
                self.extra[loop] = len(self.op)
            else:
                splits: list[int] = []
                for _ in range(node.high - node.low):
                    splits.append(self.emit(_SPLIT, len(self.op) + 1))
                    self.compile(node.item)
                for split in splits:
                    self.extra[split] = len(self.op)


# -- matcher --------------------------------------------------------------------------------

# What lies on one side of a position: the edge of the text, a word character, or another.
_EDGE: Final = 0
_WORD: Final = 1
_OTHER: Final = 2

_ACCEPT: Final = -1


class Regex:
    """A compiled pattern. ``search`` is safe to call from several threads."""

    def __init__(self, pattern: str, program: _Program, uses_word_boundary: bool) -> None:
        self.pattern = pattern
        self._op = program.op
        self._target = program.target
        self._extra = program.extra
        self._test = program.test
        self._uses_word = uses_word_boundary
        # The DFA cache is shared by all searches of this pattern; the lock keeps it coherent.
        # (The matcher is pure Python, so the lock costs no parallelism under the GIL.)
        self._lock = threading.Lock()
        self._state_ids: dict[tuple[frozenset[int], int], int] = {}
        self._states: list[tuple[frozenset[int], int]] = []
        self._transitions: dict[tuple[int, str], int] = {}
        self._accepts_at_end: dict[int, bool] = {}
        self._cached_entries = 0
        self._reset()

    @property
    def program_size(self) -> int:
        return len(self._op)

    def _reset(self) -> None:
        self._state_ids = {}
        self._states = []
        self._transitions = {}
        self._accepts_at_end = {}
        self._cached_entries = 0
        self._intern(frozenset(), _EDGE)

    def _intern(self, pcs: frozenset[int], before: int) -> int:
        key = (pcs, before)
        known = self._state_ids.get(key)
        if known is not None:
            return known
        self._states.append(key)
        self._state_ids[key] = len(self._states) - 1
        self._cached_entries += len(pcs) + 1
        return len(self._states) - 1

    def search(self, text: str, charge: Charge) -> bool:
        """True if the pattern matches somewhere in ``text``.

        ``charge(n)`` is called with units of work (about one per 64 characters scanned, more
        for each new DFA state); it may raise to stop the search.
        """
        if len(text) > MAX_INPUT_LENGTH:
            raise RegexError(f"matches() input is longer than {MAX_INPUT_LENGTH} characters", 0)
        charge(1 + len(text) // 64)
        with self._lock:
            state = 0
            transitions = self._transitions
            for char in text:
                following = transitions.get((state, char))
                if following is None:
                    following = self._advance(state, char, charge)
                    transitions = self._transitions
                if following == _ACCEPT:
                    return True
                state = following
            return self._accepts_at(state)

    def _kind(self, char: str) -> int:
        if self._uses_word and _is_word(char):
            return _WORD
        return _OTHER

    def _closure(self, pcs: frozenset[int], before: int, after: int) -> tuple[list[int], bool]:
        """Character-consuming pcs reachable without input from ``pcs`` plus the start."""
        op_of, target, extra = self._op, self._target, self._extra
        seen: set[int] = set()
        consuming: list[int] = []
        matched = False
        stack = [*pcs, 0]
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = op_of[pc]
            if op == _CHAR:
                consuming.append(pc)
            elif op == _SPLIT:
                stack.append(extra[pc])
                stack.append(target[pc])
            elif op == _JUMP:
                stack.append(target[pc])
            elif op == _ASSERT:
                if _holds(extra[pc], before, after):
                    stack.append(target[pc])
            else:
                matched = True
        return consuming, matched

    def _advance(self, state: int, char: str, charge: Charge) -> int:
        charge(1 + len(self._op) // 64)
        pcs, before = self._states[state]
        after = self._kind(char)
        consuming, matched = self._closure(pcs, before, after)
        if matched:
            following = _ACCEPT
        else:
            target, test = self._target, self._test
            reached = frozenset(target[pc] for pc in consuming if test[pc](char))
            if (
                len(self._transitions) >= _MAX_CACHED_TRANSITIONS
                or self._cached_entries >= _MAX_CACHED_STATE_ENTRIES
            ):
                self._reset()
                return self._intern(reached, after)
            following = self._intern(reached, after)
        self._transitions[(state, char)] = following
        return following

    def _accepts_at(self, state: int) -> bool:
        known = self._accepts_at_end.get(state)
        if known is None:
            pcs, before = self._states[state]
            known = self._closure(pcs, before, _EDGE)[1]
            self._accepts_at_end[state] = known
        return known


def _holds(kind: int, before: int, after: int) -> bool:
    if kind == _START:
        return before == _EDGE
    if kind == _END:
        return after == _EDGE
    at_boundary = (before == _WORD) != (after == _WORD)
    if kind == _BOUNDARY:
        return at_boundary
    # As in Python, \B does not match inside an empty text.
    return not at_boundary and not (before == _EDGE and after == _EDGE)


@lru_cache(maxsize=64)
def compile_regex(pattern: str) -> Regex:
    """Parse and compile ``pattern``; cached, since workflows reuse a handful of patterns."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters", 0)
    parser = _Parser(pattern)
    tree = parser.parse()
    program = _Program()
    program.compile(tree)
    program.emit(_MATCH)
    return Regex(pattern, program, parser.uses_word_boundary)
