"""What the work queue hands out: leases of steps, and things that fell due."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lease:
    tenant_id: str
    run_id: str
    step_row_id: str
    key: str
    step_id: str
    step_type: str
    attempt: int
    fencing: int
    owner: str


@dataclass(frozen=True)
class Due:
    tenant_id: str
    run_id: str
    key: str | None = None
    # The token of the lease found expired: recovery takes back that lease, never a newer one.
    fencing: int | None = None
