"""Workflows and their immutable versions.

A version is a compiled definition, identified by its number and its content hash (the hash of the
normalized definition, so reformatting the YAML or reordering keys changes nothing). Pushing a
definition whose hash equals the latest version's makes no new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class Workflow:
    id: str
    tenant_id: str
    name: str
    description: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None


@dataclass(frozen=True)
class WorkflowVersion:
    id: str
    tenant_id: str
    workflow_id: str
    version: int
    content_hash: str
    source: str
    definition: dict[str, Any]
    created_at: datetime
    created_by: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class VersionRef:
    """Which version a name (and optional number) points to, without its source."""

    workflow_id: str
    workflow_name: str
    version_id: str
    version: int
    active_runs: int | None = None  # the tenant's running and waiting runs, when asked for
