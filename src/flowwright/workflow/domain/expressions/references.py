"""The static walk: which context data an expression reads.

The DSL compiler uses it to check, before anything runs, that every ``steps.X`` is upstream of
the step using it, that ``secrets.Y`` exist, that ``item`` appears only inside loops, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .nodes import Name, Node, Path, children


@dataclass(frozen=True, slots=True)
class Reference:
    """One use of a free name, with the static part of the access chain that follows it.

    Attributes:
        root: the name, e.g. ``"steps"``.
        path: member and index keys after the root, up to the first dynamic index:
            ``steps.classify.output["a"][0]`` gives ``("classify", "output", "a", 0)``.
        offset: offset of the root name in the source given to ``parse_*``.
        text: the source text of the root and ``path``, e.g. ``"steps.classify.output"``.
    """

    root: str
    path: tuple[str | int, ...]
    offset: int
    text: str


def collect_references(tree: Node, source: str) -> tuple[Reference, ...]:
    """Every free name in ``tree`` (not function names, not map keys), in source order."""
    found: list[Reference] = []
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.append(Reference(node.name, (), node.start, node.name))
        elif (
            isinstance(node, Path)
            and isinstance(node.base, Name)
            and node.start == node.base.start  # not parenthesized: (a).b reads a
        ):
            static: list[str | int] = []
            end = node.base.end
            for segment in node.segments:
                if segment.key is None:
                    break
                static.append(segment.key)
                end = segment.end
            text = source[node.start : end]
            found.append(Reference(node.base.name, tuple(static), node.start, text))
            stack.extend(s.expr for s in node.segments if s.expr is not None)
        else:
            stack.extend(children(node))
    found.sort(key=lambda reference: reference.offset)
    return tuple(found)
