"""Who acts on workflows and runs, as the workflow context needs to know it.

Authentication and permissions belong to tenancy; the entrypoints check permissions and hand the
workflow context this small value, so the contexts stay independent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str | None
    role: str
