from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.tenancy.application import api_keys as use_cases
from flowwright.tenancy.domain.api_key_secret import display_prefix
from flowwright.tenancy.domain.model import ApiKey
from flowwright.tenancy.domain.roles import Role

router = APIRouter(tags=["api-keys"])


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The visible start of the key, e.g. fwk_ab12cd34ef.")
    role: Role
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=display_prefix(key.prefix),
            role=key.role,
            user_id=key.user_id,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only in this response.")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    role: Role | None = Field(default=None, description="Defaults to your own role.")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="Create an API key for the current tenant (shown once)",
)
async def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, container: ContainerDep
) -> ApiKeyCreated:
    created = await use_cases.create_api_key(
        use_cases.CreateApiKey(
            name=body.name,
            role=body.role,
            expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
        ),
        actor=principal,
        uow_factory=container.tenancy,
        clock=container.clock,
    )
    return ApiKeyCreated(**ApiKeyOut.of(created.key).model_dump(), key=created.plaintext)


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    summary="API keys: all of the tenant for admins, your own otherwise",
)
async def list_api_keys(principal: CurrentPrincipal, container: ContainerDep) -> list[ApiKeyOut]:
    keys = await use_cases.list_api_keys(actor=principal, uow_factory=container.tenancy)
    return [ApiKeyOut.of(k) for k in keys]


@router.get("/api-keys/{key_id}", response_model=ApiKeyOut)
async def get_api_key(
    key_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> ApiKeyOut:
    key = await use_cases.get_api_key(key_id, actor=principal, uow_factory=container.tenancy)
    return ApiKeyOut.of(key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
async def revoke_api_key(
    key_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> ApiKeyOut:
    key = await use_cases.revoke_api_key(
        key_id, actor=principal, uow_factory=container.tenancy, clock=container.clock
    )
    return ApiKeyOut.of(key)
