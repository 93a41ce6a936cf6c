"""Hard bounds on parsing and evaluation.

Expressions run on shared workers for many tenants, so every one of them is bounded in source
length, nesting depth, work done and memory produced, whatever the data looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

# The parser recurses up to five Python frames per nesting level and the evaluator two. Keeping
# the depth well under Python's default recursion limit (1000), with room for the caller's own
# stack, means a deep expression ends in an ExpressionLimitError raised by the depth check.
MAX_DEPTH_CEILING = 100


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied by ``parse_*`` (source length, depth) and by evaluation (the rest).

    Attributes:
        max_source_length: characters in one expression (each ``${{ }}`` of a template counts
            on its own; the literal text around them does not).
        max_depth: nesting of sub-expressions (parentheses, operands, arguments, items).
            At most ``MAX_DEPTH_CEILING``.
        max_steps: evaluation budget. Every node of the expression costs one step; functions
            and operators that walk data cost one step per element (or per 64 characters).
        max_result_bytes: size of any string, list or map the expression builds or returns,
            measured as the approximate length of its compact JSON form.
        max_value_depth: nesting of data values that are returned, compared or serialized.
    """

    max_source_length: int = 4096
    max_depth: int = 64
    max_steps: int = 10_000
    max_result_bytes: int = 1_000_000
    max_value_depth: int = 128

    def __post_init__(self) -> None:
        for name in (
            "max_source_length",
            "max_depth",
            "max_steps",
            "max_result_bytes",
            "max_value_depth",
        ):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")
        if self.max_depth > MAX_DEPTH_CEILING:
            raise ValueError(
                f"Limits.max_depth must be at most {MAX_DEPTH_CEILING}, got {self.max_depth}"
            )


DEFAULT_LIMITS = Limits()
