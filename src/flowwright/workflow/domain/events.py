"""Events of the workflow context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flowwright.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class WorkflowVersionPublished(DomainEvent):
    name: ClassVar[str] = "workflow.WorkflowVersionPublished"
    workflow: str
    version: int
    content_hash: str
    published_by: str | None


@dataclass(frozen=True, kw_only=True)
class RunFinished(DomainEvent):
    name: ClassVar[str] = "workflow.RunFinished"
    run_id: str
    workflow: str
    version: int
    status: str
    reason: str | None
