"""DSL strings with embedded ``${{ ... }}`` expressions.

* ``"${{ steps.a.output }}"`` (one expression, nothing else but whitespace) renders to the
  typed value: a list stays a list.
* ``"Hello ${{ inputs.name }}!"`` renders to a string: strings are inserted as they are, null
  as "", everything else as compact JSON.
* ``$${{`` is a literal ``${{``; a ``$`` not followed by ``{{`` is just a dollar sign.

The end of an expression is found by scanning its tokens, so ``}}`` inside a string literal or
a nested map (``${{ {"a": {"b": 1}} }}``) does not end it early.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ExpressionError, ExpressionLimitError, ExpressionSyntaxError
from .expression import Expression, parse_expression
from .limits import DEFAULT_LIMITS, Limits
from .references import Reference
from .runtime import EvalState, not_json_error
from .values import JSON_TYPES, JSONValue

OPEN = "${{"
CLOSE = "}}"
_ESCAPED_OPEN = "$" + OPEN
# The expression lexer's whitespace: stripping exactly this keeps offsets consistent.
_WHITESPACE = " \t\r\n"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class Template:
    """A parsed DSL string.

    Attributes:
        text: the original string.
        is_literal: it contains no expressions (``render`` returns the text, unescaped).
        is_single_expression: the whole string, ignoring surrounding whitespace, is one
            ``${{ }}``; ``render`` returns the expression's typed value.
        expressions: ``(offset, expression)`` pairs; ``offset`` is where the expression's
            source starts inside ``text``, so absolute offset = offset + offset in source.
    """

    __slots__ = ("_literal", "_parts", "expressions", "is_literal", "is_single_expression", "text")

    def __init__(self, text: str, parts: list[str | tuple[int, Expression]]) -> None:
        self.text = text
        self._parts = tuple(parts)
        self.expressions: tuple[tuple[int, Expression], ...] = tuple(
            part for part in parts if isinstance(part, tuple)
        )
        self.is_literal = not self.expressions
        self._literal = "".join(part for part in parts if isinstance(part, str))
        self.is_single_expression = len(self.expressions) == 1 and all(
            isinstance(part, tuple) or not part.strip() for part in parts
        )

    def references(self) -> tuple[Reference, ...]:
        """References of all expressions, with offsets absolute within ``text``."""
        return tuple(
            Reference(ref.root, ref.path, offset + ref.offset, ref.text)
            for offset, expression in self.expressions
            for ref in expression.references()
        )

    def render(
        self, context: Mapping[str, JSONValue], *, limits: Limits = DEFAULT_LIMITS
    ) -> JSONValue:
        """Evaluate the expressions and assemble the result (see the module docstring).

        Errors carry offsets absolute within ``text``. All expressions of one render share
        one step budget, and the assembled string is bounded by ``max_result_bytes``.
        """
        if self.is_literal:
            return self._literal
        state = EvalState(context, limits)
        if self.is_single_expression:
            offset, expression = self.expressions[0]
            try:
                return expression._run(state)
            except ExpressionError as error:
                raise error.shifted(offset) from None
        pieces: list[str] = []
        total = 0
        for part in self._parts:
            if isinstance(part, str):
                piece = part
            else:
                offset, expression = part
                try:
                    piece = state.text(expression._run(state), 0)
                except ExpressionError as error:
                    raise error.shifted(offset) from None
            total += len(piece)
            if total > limits.max_result_bytes:
                raise ExpressionLimitError(
                    f"the rendered text is longer than {limits.max_result_bytes} characters",
                    offset=0 if isinstance(part, str) else part[0],
                    hint="insert less data into the text",
                )
            pieces.append(piece)
        return "".join(pieces)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def contains_expression(text: str) -> bool:
    """True if ``text`` has a ``${{`` that is not escaped as ``$${{``."""
    index = text.find(OPEN)
    while index >= 0:
        if index == 0 or text[index - 1] != "$":
            return True
        index = text.find(OPEN, index + len(OPEN))
    return False


def parse_template(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Parse a DSL string. Error offsets are absolute within ``text``.

    ``limits.max_source_length`` applies to each expression; the literal text around them is
    not limited here.
    """
    if not isinstance(text, str):
        raise TypeError(f"template text must be a str, not {type(text).__name__}")
    parts: list[str | tuple[int, Expression]] = []
    literal: list[str] = []
    position = 0
    while True:
        start = text.find(OPEN, position)
        if start < 0:
            literal.append(text[position:])
            break
        if start > 0 and text[start - 1] == "$":
            literal.append(text[position : start - 1])
            literal.append(OPEN)
            position = start + len(OPEN)
            continue
        literal.append(text[position:start])
        close = _find_close(text, start)
        inner_start = start + len(OPEN)
        inner = text[inner_start:close]
        source = inner.strip(_WHITESPACE)
        if not source:
            raise ExpressionSyntaxError(
                "empty expression", offset=start, hint="write a value inside, e.g. ${{ inputs.x }}"
            )
        offset = inner_start + len(inner) - len(inner.lstrip(_WHITESPACE))
        try:
            expression = parse_expression(source, limits=limits)
        except ExpressionError as error:
            raise error.shifted(offset) from None
        joined = "".join(literal)
        if joined:
            parts.append(joined)
        literal = []
        parts.append((offset, expression))
        position = close + len(CLOSE)
    joined = "".join(literal)
    if joined:
        parts.append(joined)
    return Template(text, parts)


def _find_close(text: str, start: int) -> int:
    """Offset of the ``}}`` that ends the expression opened at ``start``."""
    length = len(text)
    depth = 0
    index = start + len(OPEN)
    while index < length:
        char = text[index]
        if char == "'" or char == '"':
            index = _skip_string(text, index, start)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith(CLOSE, index):
                return index
            if depth > 0:
                depth -= 1
        index += 1
    raise ExpressionSyntaxError(
        f"unterminated '{OPEN}': no matching '{CLOSE}'",
        offset=start,
        hint=f"close the expression with {CLOSE}",
    )


def _skip_string(text: str, quote_at: int, start: int) -> int:
    """Offset just after the string literal whose quote is at ``quote_at``."""
    quote = text[quote_at]
    # r'...' has no escapes, as in the lexer.
    raw = (
        quote_at > 0
        and text[quote_at - 1] == "r"
        and (quote_at - 2 < start + len(OPEN) or text[quote_at - 2] not in _NAME_CHARS)
    )
    index = quote_at + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char == quote:
            return index + 1
        index += 2 if char == "\\" and not raw else 1
    if text.find(CLOSE, quote_at) >= 0:
        raise ExpressionSyntaxError(
            "unterminated string literal",
            offset=quote_at,
            hint=f"close the string with {quote} before {CLOSE}",
        )
    raise ExpressionSyntaxError(
        f"unterminated '{OPEN}': no matching '{CLOSE}'",
        offset=start,
        hint=f"close the expression with {CLOSE}",
    )


def render_value(
    value: JSONValue, context: Mapping[str, JSONValue], *, limits: Limits = DEFAULT_LIMITS
) -> JSONValue:
    """Render every string inside ``value`` (lists and maps are walked) as a template.

    Map keys are left as they are. Each string is parsed on every call; callers that render
    the same value repeatedly should keep parsed templates instead. An error carries the
    offset within the failing string and ``details["value_path"]`` saying which string
    (``$.with.prompt``, ``$.items[2]``).
    """
    return _render(value, context, limits, "$", 0)


def _render(
    value: JSONValue, context: Mapping[str, JSONValue], limits: Limits, path: str, depth: int
) -> JSONValue:
    if type(value) is str:
        if OPEN not in value:
            return value
        try:
            return parse_template(value, limits=limits).render(context, limits=limits)
        except ExpressionError as error:
            raise error.with_details(value_path=path) from None
    if depth >= limits.max_value_depth and (type(value) is list or type(value) is dict):
        raise ExpressionLimitError(
            f"the value is nested deeper than {limits.max_value_depth} levels",
            offset=0,
            details={"value_path": path},
        )
    if type(value) is list:
        return [
            _render(item, context, limits, f"{path}[{i}]", depth + 1)
            for i, item in enumerate(value)
        ]
    if type(value) is dict:
        rendered: dict[str, JSONValue] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise not_json_error(key, 0).with_details(value_path=path)
            rendered[key] = _render(item, context, limits, f"{path}.{key}", depth + 1)
        return rendered
    if type(value) not in JSON_TYPES:
        raise not_json_error(value, 0).with_details(value_path=path)
    return value
