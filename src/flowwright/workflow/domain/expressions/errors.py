"""Errors raised while parsing or evaluating expressions.

Every error carries a stable ``code``, a 0-based character ``offset`` into the source that was
parsed and an optional ``hint`` that says how to fix it. The DSL compiler turns the offset into
a line and column; the hint says what to change to repair the workflow.

::

    ValidationFailed
    └── ExpressionError                 EXPR_*
        ├── ExpressionSyntaxError       EXPR_SYNTAX
        ├── ExpressionForbiddenError    EXPR_FORBIDDEN
        │   └── UnknownFunctionError    EXPR_UNKNOWN_FUNCTION
        ├── ExpressionLimitError        EXPR_LIMIT
        └── EvaluationError             EXPR_EVAL
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from flowwright.kernel.errors import ValidationFailed

# Keys of ``details`` that the constructor fills in itself.
_OWN_DETAILS = frozenset({"code", "offset", "hint"})


class ExpressionError(ValidationFailed):
    """Base of every expression error.

    Attributes:
        code: stable machine-readable code, e.g. ``"EXPR_SYNTAX"``.
        message: one sentence saying what is wrong.
        offset: 0-based character offset into the source given to ``parse_*``.
        hint: how to fix it, or ``None``.
        details: ``code``, ``offset`` and ``hint`` plus anything the raiser added.
    """

    code: ClassVar[str] = "EXPR_ERROR"

    def __init__(
        self,
        message: str,
        *,
        offset: int,
        hint: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        merged: dict[str, Any] = {"code": self.code, "offset": offset}
        if hint is not None:
            merged["hint"] = hint
        if details:
            merged.update({k: v for k, v in details.items() if k not in _OWN_DETAILS})
        super().__init__(message, details=merged)
        self.offset = offset
        self.hint = hint

    def shifted(self, delta: int) -> Self:
        """The same error with ``offset`` moved by ``delta``.

        Used to turn an offset inside an embedded expression into one inside the text that
        contains it (a template, a YAML scalar).
        """
        return self.with_details(offset=self.offset + delta)

    def with_details(self, *, offset: int | None = None, **extra: Any) -> Self:
        """A copy with ``extra`` merged into ``details`` (and optionally a new offset)."""
        details = {k: v for k, v in self.details.items() if k not in _OWN_DETAILS}
        details.update(extra)
        return type(self)(
            self.message,
            offset=self.offset if offset is None else offset,
            hint=self.hint,
            details=details,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor arguments defeat Exception's default pickling, and errors
        # cross process boundaries on their way to the run log.
        return (_rebuild, (type(self), self.message, self.offset, self.hint, self.details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, offset={self.offset})"


def _rebuild(
    cls: type[ExpressionError],
    message: str,
    offset: int,
    hint: str | None,
    details: Mapping[str, Any],
) -> ExpressionError:
    return cls(message, offset=offset, hint=hint, details=details)


class ExpressionSyntaxError(ExpressionError):
    """The source is not a well-formed expression (or template)."""

    code = "EXPR_SYNTAX"


class ExpressionForbiddenError(ExpressionError):
    """The source names something the language does not allow, e.g. ``__class__``."""

    code = "EXPR_FORBIDDEN"


class UnknownFunctionError(ExpressionForbiddenError):
    """A call to a function that is not in ``FUNCTIONS``."""

    code = "EXPR_UNKNOWN_FUNCTION"


class ExpressionLimitError(ExpressionError):
    """A bound was hit: source length, nesting depth, evaluation steps or result size."""

    code = "EXPR_LIMIT"


class EvaluationError(ExpressionError):
    """Evaluation failed: missing key, wrong type, division by zero, bad index and so on."""

    code = "EXPR_EVAL"
