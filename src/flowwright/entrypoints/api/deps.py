"""FastAPI dependencies: the container, and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from flowwright.bootstrap import Container
from flowwright.kernel.errors import AuthenticationFailed
from flowwright.tenancy.application.authentication import (
    authenticate_api_key,
    authenticate_token,
)
from flowwright.tenancy.domain.principal import Principal
from flowwright.workflow.domain.caller import Caller


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_principal(request: Request, container: ContainerDep) -> Principal:
    """Resolve ``Authorization: Bearer <token or API key>`` or ``X-API-Key`` to a principal."""
    credential = _presented_credential(request)
    if credential is None:
        raise AuthenticationFailed("authentication required: send 'Authorization: Bearer ...'")
    if credential.startswith("fwk_"):
        return await authenticate_api_key(
            credential, uow_factory=container.tenancy, clock=container.clock
        )
    return await authenticate_token(
        credential, uow_factory=container.tenancy, tokens=container.tokens, clock=container.clock
    )


def _presented_credential(request: Request) -> str | None:
    api_key = request.headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationFailed("unsupported authorization scheme: use 'Bearer'")
    return value.strip()


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def caller_of(principal: Principal) -> Caller:
    """The workflow context's view of the principal (permissions are checked at this edge)."""
    return Caller(
        tenant_id=principal.tenant_id, user_id=principal.user_id, role=principal.role.value
    )
