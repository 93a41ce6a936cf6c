"""Turns expression source into tokens, each with its exact start and end offset.

Deliberately narrow: ASCII identifiers, decimal numbers, quoted strings and a fixed set of
operators. Things often tried from other languages get a targeted hint instead of a bare
"unexpected character": ``**``, ``=``, ``&``, ``?.``, f-strings and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import ExpressionSyntaxError
from .values import INT_MAX

# Token kinds.
INT: Final = "int"
FLOAT: Final = "float"
STRING: Final = "string"
NAME: Final = "name"
OP: Final = "op"
EOF: Final = "eof"

_WHITESPACE = frozenset(" \t\r\n")
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | _DIGITS

_TWO_CHAR_OPS = frozenset({"==", "!=", "<=", ">=", "&&", "||", "??"})
_ONE_CHAR_OPS = frozenset("()[]{},:.?!<>+-*/%")

# Character sequences that are not operators here but are in languages people know.
_MISTAKES: dict[str, tuple[str, str]] = {
    "===": ("'===' is not an operator", "use '==' (there is no separate strict equality)"),
    "!==": ("'!==' is not an operator", "use '!='"),
    "**": ("'**' is not an operator", "there is no exponentiation; multiply explicitly"),
    "//": ("'//' is not an operator", "there is no integer division; use int(a / b)"),
    "?.": ("'?.' is not an operator", "use a.b ?? default, or has(a.b)"),
    "=>": ("'=>' is not an operator", "there are no lambdas"),
    "=": ("'=' is not an operator", "use '==' to compare; there is no assignment"),
    "&": ("'&' is not an operator", "use '&&' or 'and'"),
    "|": ("'|' is not an operator", "use '||' or 'or'"),
    "$": (
        "'$' cannot appear in an expression",
        "${{ }} cannot be nested; write the inner expression directly",
    ),
    "`": ("backticks are not string quotes", "use '...' or \"...\""),
    "#": ("'#' is not allowed", "there are no comments in expressions"),
    ";": ("';' is not allowed", "an expression is a single value, not statements"),
}

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "0": "\0",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One token. ``text`` is the source text; ``value`` the literal value for literals."""

    kind: str
    text: str
    start: int
    end: int
    value: int | float | str | None = None


def _error(message: str, offset: int, hint: str | None = None) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, offset=offset, hint=hint)


def tokenize(source: str) -> list[Token]:
    """All tokens of ``source``, ending with an EOF token. Raises ExpressionSyntaxError."""
    tokens: list[Token] = []
    length = len(source)
    pos = 0
    while True:
        while pos < length and source[pos] in _WHITESPACE:
            pos += 1
        if pos >= length:
            tokens.append(Token(EOF, "", length, length))
            return tokens
        char = source[pos]
        if char in _NAME_START:
            end = pos + 1
            while end < length and source[end] in _NAME_CHARS:
                end += 1
            word = source[pos:end]
            if end < length and source[end] in "'\"":
                if word == "r":
                    token = _raw_string(source, end, pos)
                    tokens.append(token)
                    pos = token.end
                    continue
                if word in ("f", "b", "u", "rb", "br", "fr", "rf"):
                    raise _error(
                        f"'{word}' string prefixes are not supported",
                        pos,
                        "use a template like 'a ${{ x }} b' or join strings with +"
                        if "f" in word
                        else "write a plain string",
                    )
            tokens.append(Token(NAME, word, pos, end))
            pos = end
        elif char in _DIGITS:
            token = _number(source, pos)
            tokens.append(token)
            pos = token.end
        elif char == "'" or char == '"':
            token = _string(source, pos)
            tokens.append(token)
            pos = token.end
        else:
            three = source[pos : pos + 3]
            two = source[pos : pos + 2]
            if three in _MISTAKES:
                message, hint = _MISTAKES[three]
                raise _error(message, pos, hint)
            if two in _TWO_CHAR_OPS:
                tokens.append(Token(OP, two, pos, pos + 2))
                pos += 2
            elif two in _MISTAKES:
                message, hint = _MISTAKES[two]
                raise _error(message, pos, hint)
            elif char in _ONE_CHAR_OPS:
                tokens.append(Token(OP, char, pos, pos + 1))
                pos += 1
            elif char in _MISTAKES:
                message, hint = _MISTAKES[char]
                raise _error(message, pos, hint)
            else:
                raise _unexpected_character(char, pos)


def _unexpected_character(char: str, pos: int) -> ExpressionSyntaxError:
    if char.isspace():
        return _error(
            f"unexpected whitespace character U+{ord(char):04X}",
            pos,
            "use plain spaces, tabs or newlines",
        )
    if char.isidentifier():
        return _error(
            f"unexpected character {char!r}",
            pos,
            "names are ASCII letters, digits and '_'; use a['key'] for other keys",
        )
    if char.isprintable():
        return _error(f"unexpected character {char!r}", pos)
    return _error(f"unexpected character U+{ord(char):04X}", pos)


def _number(source: str, start: int) -> Token:
    length = len(source)
    pos = start
    while pos < length and source[pos] in _DIGITS:
        pos += 1
    is_float = False
    if pos + 1 < length and source[pos] == "." and source[pos + 1] in _DIGITS:
        is_float = True
        pos += 1
        while pos < length and source[pos] in _DIGITS:
            pos += 1
    if pos < length and source[pos] in "eE":
        exponent = pos + 1
        if exponent < length and source[exponent] in "+-":
            exponent += 1
        if exponent >= length or source[exponent] not in _DIGITS:
            raise _error("malformed number: the exponent has no digits", start)
        is_float = True
        pos = exponent
        while pos < length and source[pos] in _DIGITS:
            pos += 1
    text = source[start:pos]
    if pos < length and source[pos] in _NAME_CHARS:
        hint = "only decimal numbers are supported" if text == "0" else None
        raise _error(f"malformed number {source[start : pos + 1]!r}", start, hint)
    integer_part = text.split(".")[0].split("e")[0].split("E")[0]
    if len(integer_part) > 1 and integer_part[0] == "0":
        raise _error(
            f"malformed number {text!r}: leading zeros are not allowed",
            start,
            "write the number without leading zeros",
        )
    if is_float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise _error(f"number {text!r} is out of range", start)
        return Token(FLOAT, text, start, pos, value)
    # Checked on the digit count first: int() of a huge digit string is slow and, past 4300
    # digits, refused by Python.
    if len(text) > 19 or int(text) > INT_MAX:
        raise _error(
            f"integer {text[:30]}{'...' if len(text) > 30 else ''} is out of range",
            start,
            "integers are 64-bit; use a float (e.g. 1e20) for larger numbers",
        )
    return Token(INT, text, start, pos, int(text))


def _string(source: str, start: int) -> Token:
    quote = source[start]
    length = len(source)
    pos = start + 1
    parts: list[str] = []
    chunk_start = pos
    while True:
        if pos >= length:
            raise _error("unterminated string literal", start, f"close the string with {quote}")
        char = source[pos]
        if char == quote:
            parts.append(source[chunk_start:pos])
            return Token(STRING, source[start : pos + 1], start, pos + 1, "".join(parts))
        if char != "\\":
            pos += 1
            continue
        parts.append(source[chunk_start:pos])
        if pos + 1 >= length:
            raise _error("unterminated string literal", start, f"close the string with {quote}")
        code = source[pos + 1]
        if code == "u":
            decoded, pos = _unicode_escape(source, pos)
            parts.append(decoded)
        elif code in _ESCAPES:
            parts.append(_ESCAPES[code])
            pos += 2
        else:
            raise _error(
                f"unknown escape sequence '\\{code}'",
                pos,
                "write '\\\\' for a backslash, or use a raw string r'...' (handy for regexes)",
            )
        chunk_start = pos


def _hex4(source: str, pos: int) -> int | None:
    digits = source[pos : pos + 4]
    if len(digits) == 4 and all(c in _HEX_DIGITS for c in digits):
        return int(digits, 16)
    return None


def _unicode_escape(source: str, pos: int) -> tuple[str, int]:
    """Decode ``\\uXXXX`` at ``pos`` (a backslash); surrogate pairs become one character."""
    value = _hex4(source, pos + 2)
    if value is None:
        raise _error("'\\u' must be followed by exactly four hex digits", pos)
    end = pos + 6
    if 0xD800 <= value <= 0xDBFF:
        low = _hex4(source, end + 2) if source[end : end + 2] == "\\u" else None
        if low is None or not 0xDC00 <= low <= 0xDFFF:
            raise _error("unpaired surrogate in '\\u' escape", pos, "strings must be valid Unicode")
        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        end += 6
    elif 0xDC00 <= value <= 0xDFFF:
        raise _error("unpaired surrogate in '\\u' escape", pos, "strings must be valid Unicode")
    return chr(value), end


def _raw_string(source: str, quote_pos: int, start: int) -> Token:
    quote = source[quote_pos]
    end = source.find(quote, quote_pos + 1)
    if end < 0:
        raise _error("unterminated string literal", start, f"close the string with {quote}")
    return Token(STRING, source[start : end + 1], start, end + 1, source[quote_pos + 1 : end])
