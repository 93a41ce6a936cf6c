"""Who calls the agents context's use cases, and what they may do here.

The tenancy context decides roles and permissions; this context does not import it. The edge
(HTTP router, worker) translates the authenticated principal into a :class:`Caller` with the
grants below, from the permissions of its role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flowwright.kernel.errors import PermissionDenied


class Grant(StrEnum):
    READ = "llm.read"  # see providers, aliases, prices, budget, breakers and usage
    USE = "llm.use"  # call models (chat, structured output, embeddings)
    MANAGE = "llm.manage"  # change providers, aliases, prices and budgets


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str | None
    grants: frozenset[Grant]

    def require(self, grant: Grant) -> None:
        if grant not in self.grants:
            raise PermissionDenied(
                f"this role lacks permission '{grant.value}'", details={"permission": grant.value}
            )
