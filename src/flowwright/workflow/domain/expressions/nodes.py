"""The syntax tree. Every node knows the source span it came from (``start``, ``end``).

Two shapes keep the tree shallow, which matters because evaluation recurses over it:

* ``Path`` holds a whole access chain (``steps.a.output[0].text``) as one node with a flat
  tuple of segments, so long chains do not nest.
* ``Chain`` holds a run of same-precedence binary operators (``a + b - c + d``) as one node,
  so long sums do not nest either.

Nesting depth is therefore real nesting (parentheses, operands of tighter operators, arguments)
and the parser bounds it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Literal:
    """``null``, ``true``, ``false``, a number or a string."""

    value: bool | int | float | str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name:
    """A free identifier, resolved against the evaluation context."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One step of a ``Path``: ``.name``, ``["key"]``, ``[0]`` (static) or ``[expr]`` (dynamic).

    Exactly one of ``key`` and ``expr`` is set. ``start`` is the offset of the name after the
    dot, or of the opening bracket.
    """

    key: str | int | None
    expr: Node | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Path:
    """``base`` followed by one or more member or index segments."""

    base: Node
    segments: tuple[Segment, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ListNode:
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MapEntry:
    """``key: value``. Static keys (bare names, string literals) are in ``key``."""

    key: str | None
    key_expr: Node | None
    value: Node
    start: int


@dataclass(frozen=True, slots=True)
class MapNode:
    entries: tuple[MapEntry, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``!x`` (``not x``)."""

    op: str
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Chain:
    """``operands[0] ops[0] operands[1] ops[1] ...`` for one precedence level.

    The level is one of: ``+ -``, ``* / %``, ``&&``, ``||``, ``??``. Evaluated left to right
    (``&&``, ``||`` and ``??`` stop early).
    """

    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    op_offsets: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare:
    """``== != < <= > >= in`` and ``not in``; never chained."""

    op: str
    left: Node
    right: Node
    op_offset: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Conditional:
    """``condition ? then : otherwise``."""

    condition: Node
    then: Node
    otherwise: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a whitelisted function; ``start`` is the offset of its name."""

    name: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Literal | Name | Path | ListNode | MapNode | Unary | Chain | Compare | Conditional | Call


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions of ``node``, in source order."""
    if isinstance(node, Path):
        return (node.base, *(s.expr for s in node.segments if s.expr is not None))
    if isinstance(node, ListNode):
        return node.items
    if isinstance(node, MapNode):
        found: list[Node] = []
        for entry in node.entries:
            if entry.key_expr is not None:
                found.append(entry.key_expr)
            found.append(entry.value)
        return tuple(found)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Chain):
        return node.operands
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Conditional):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.args
    return ()
