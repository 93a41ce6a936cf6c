"""What the caller tells the compiler about its installation and tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CompileLimits:
    """Bounds that keep compilation fast and runs predictable.

    Every limit is reported with ``value-too-large``, ``too-many-steps`` or
    ``nesting-too-deep`` rather than by failing.
    """

    max_source_bytes: int = 1_000_000
    max_string_length: int = 64 * 1024
    max_steps: int = 1_000
    #: Containers (parallel, foreach) inside containers; top-level steps are depth 1.
    max_nesting_depth: int = 8
    #: Mappings and lists inside each other anywhere in the document.
    max_data_depth: int = 64
    #: Scalars, mappings and lists in the whole document (a 1,000-step workflow has ~30,000).
    max_values: int = 100_000
    #: After this many diagnostics the compiler stops reporting; the first ones matter most.
    max_diagnostics: int = 200


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CompileOptions:
    """Installation and tenant facts the compiler checks against.

    ``None`` for a set means "do not check": the compiler then only checks syntax.
    """

    #: Step types this installation can run; ``None`` means every registered type.
    available_step_types: frozenset[str] | None = None
    #: Names of the tenant's secrets; ``None`` means existence is not checked.
    known_secrets: frozenset[str] | None = None
    #: Webhook paths already used by the tenant's other workflows: path -> workflow name.
    taken_webhook_paths: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: Names of the tenant's workflows, for subworkflow targets; ``None`` skips the check.
    known_workflows: frozenset[str] | None = None
    limits: CompileLimits = field(default_factory=CompileLimits)
