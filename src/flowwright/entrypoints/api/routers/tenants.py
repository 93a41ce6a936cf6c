from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.tenancy.application import tenants as use_cases
from flowwright.tenancy.domain.model import Tenant, TenantStatus

router = APIRouter(tags=["tenants"])


class TenantOut(BaseModel):
    id: str
    slug: str
    name: str
    status: TenantStatus
    created_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            status=tenant.status,
            created_at=tenant.created_at,
        )


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=63)
    name: str = Field(max_length=200)
    owner_email: str | None = Field(
        default=None, max_length=320, description="Creates the tenant's first owner."
    )
    owner_password: str | None = Field(default=None, max_length=1024)


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    status: TenantStatus | None = None


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantOut,
    summary="Create a tenant (installation administrators)",
)
async def create_tenant(
    body: TenantCreate, principal: CurrentPrincipal, container: ContainerDep
) -> TenantOut:
    tenant = await use_cases.create_tenant(
        use_cases.CreateTenant(
            slug=body.slug,
            name=body.name,
            owner_email=body.owner_email,
            owner_password=body.owner_password,
        ),
        actor=principal,
        uow_factory=container.tenancy,
        hasher=container.hasher,
        clock=container.clock,
    )
    return TenantOut.of(tenant)


@router.get(
    "/tenants",
    response_model=list[TenantOut],
    summary="Tenants: all for administrators, your own otherwise",
)
async def list_tenants(principal: CurrentPrincipal, container: ContainerDep) -> list[TenantOut]:
    tenants = await use_cases.list_tenants(actor=principal, uow_factory=container.tenancy)
    return [TenantOut.of(t) for t in tenants]


@router.get("/tenants/{tenant_id}", response_model=TenantOut)
async def get_tenant(
    tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> TenantOut:
    tenant = await use_cases.get_tenant(tenant_id, actor=principal, uow_factory=container.tenancy)
    return TenantOut.of(tenant)


@router.patch(
    "/tenants/{tenant_id}",
    response_model=TenantOut,
    summary="Rename (owners, administrators) or suspend (administrators)",
)
async def update_tenant(
    tenant_id: str, body: TenantUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> TenantOut:
    tenant = await use_cases.update_tenant(
        use_cases.UpdateTenant(tenant_id=tenant_id, name=body.name, status=body.status),
        actor=principal,
        uow_factory=container.tenancy,
    )
    return TenantOut.of(tenant)
