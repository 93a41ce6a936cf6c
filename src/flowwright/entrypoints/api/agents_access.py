"""The agents context's view of the caller: grants derived from the principal's role.

Roles and permissions belong to the tenancy context; the agents context only knows its own
grants, so the translation lives here, at the edge.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from flowwright.agents.application.access import Caller, Grant
from flowwright.entrypoints.api.deps import CurrentPrincipal
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission

_GRANTS = (
    (Permission.LLM_READ, Grant.READ),
    (Permission.LLM_USE, Grant.USE),
    (Permission.LLM_MANAGE, Grant.MANAGE),
)


def caller_of(principal: Principal) -> Caller:
    grants = frozenset(grant for permission, grant in _GRANTS if principal.allows(permission))
    return Caller(tenant_id=principal.tenant_id, user_id=principal.user_id, grants=grants)


def get_caller(principal: CurrentPrincipal) -> Caller:
    return caller_of(principal)


CurrentCaller = Annotated[Caller, Depends(get_caller)]
