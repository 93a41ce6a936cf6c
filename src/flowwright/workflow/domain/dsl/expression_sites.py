"""Where a template is evaluated, which decides what it may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flowwright.workflow.domain.dsl.skeleton import Scope, StepNode

#: static: no expression allowed; template: text with ``${{ }}`` parts; expression: exactly
#: one ``${{ }}`` (conditions, foreach items, delay until, trigger filters).
Mode = Literal["static", "template", "expression"]


@dataclass(frozen=True, slots=True)
class Site:
    """The place a template sits: its step (if any) and the roots it may read."""

    description: str
    scope: Scope | None = None
    owner: StepNode | None = None
    allow_steps: bool = True
    allow_secrets: bool = False
    allow_vars: bool = True
    allow_run: bool = True
