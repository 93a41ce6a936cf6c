from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.tenancy.application.authentication import Login, login
from flowwright.tenancy.domain.roles import permissions_of

public_router = APIRouter(tags=["auth"])
router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    tenant: str | None = Field(default=None, max_length=63, description="Tenant slug or id.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_in: int
    tenant_id: str


class MeResponse(BaseModel):
    user_id: str
    tenant_id: str
    role: str
    is_admin: bool
    via: str
    permissions: list[str]


@public_router.post(
    "/auth/login", response_model=TokenResponse, summary="Exchange a password for a token"
)
async def post_login(body: LoginRequest, container: ContainerDep) -> TokenResponse:
    token = await login(
        Login(email=body.email, password=body.password, tenant=body.tenant),
        uow_factory=container.tenancy,
        hasher=container.hasher,
        tokens=container.tokens,
        clock=container.clock,
    )
    return TokenResponse(
        access_token=token.token, expires_in=token.expires_in, tenant_id=token.tenant_id
    )


@router.get("/me", response_model=MeResponse, summary="Who the credentials speak for")
async def get_me(principal: CurrentPrincipal) -> MeResponse:
    return MeResponse(
        user_id=principal.user_id,
        tenant_id=principal.tenant_id,
        role=principal.role.value,
        is_admin=principal.is_admin,
        via=principal.via,
        permissions=sorted(p.value for p in permissions_of(principal.role)),
    )
