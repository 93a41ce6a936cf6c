"""Use cases on tenants: installation administrators create and suspend them."""

from __future__ import annotations

from dataclasses import dataclass

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AlreadyExists, NotFound, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.application.members import AddMember, add_member_in
from flowwright.tenancy.application.ports import PasswordHasher, TenancyUnitOfWorkFactory
from flowwright.tenancy.domain.events import TenantCreated
from flowwright.tenancy.domain.model import (
    Tenant,
    TenantStatus,
    check_password_strength,
    normalize_email,
    normalize_slug,
)
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission, Role


@dataclass(frozen=True)
class CreateTenant:
    slug: str
    name: str
    owner_email: str | None = None
    owner_password: str | None = None


@dataclass(frozen=True)
class UpdateTenant:
    tenant_id: str
    name: str | None = None
    status: TenantStatus | None = None


async def create_tenant(
    cmd: CreateTenant,
    *,
    actor: Principal | None,
    uow_factory: TenancyUnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: Clock,
) -> Tenant:
    """Create a tenant, and its first owner when an email is given. ``actor`` None = first run."""
    if actor is not None:
        actor.require_admin()
    slug = normalize_slug(cmd.slug)
    name = cmd.name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("tenant name must have 1-200 characters", details={"field": "name"})
    if cmd.owner_email:
        # The owner is added after the tenant commits: check their input first, so that a bad
        # email or password does not leave an ownerless tenant holding the slug.
        normalize_email(cmd.owner_email)
        if cmd.owner_password is not None:
            check_password_strength(cmd.owner_password)
    tenant = Tenant(id=new_id(), slug=slug, name=name, created_at=clock.now())
    async with uow_factory(None) as uow:
        if await uow.tenants.get_by_slug(slug) is not None:
            raise AlreadyExists(f"a tenant with slug '{slug}' already exists")
        await uow.tenants.add(tenant)
        uow.emit(
            TenantCreated(
                tenant_id=tenant.id, slug=slug, created_by=actor.user_id if actor else None
            )
        )
        await uow.commit()
    if cmd.owner_email:
        await add_member_in(
            tenant.id,
            AddMember(email=cmd.owner_email, role=Role.OWNER, password=cmd.owner_password),
            added_by=actor.user_id if actor else None,
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )
    return tenant


async def list_tenants(*, actor: Principal, uow_factory: TenancyUnitOfWorkFactory) -> list[Tenant]:
    """Administrators see every tenant; other users see the tenants they belong to."""
    async with uow_factory(None) as uow:
        if actor.is_admin:
            return await uow.tenants.list()
        memberships = await uow.memberships.list_for_user_any_tenant(actor.user_id)
        return await uow.tenants.list(ids=[m.tenant_id for m in memberships])


async def get_tenant(
    tenant_id: str, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory
) -> Tenant:
    async with uow_factory(None) as uow:
        tenant = await uow.tenants.get(tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        if actor.is_admin:
            return tenant
        memberships = await uow.memberships.list_for_user_any_tenant(actor.user_id)
        if all(m.tenant_id != tenant_id for m in memberships):
            raise NotFound("tenant not found")
        return tenant


async def update_tenant(
    cmd: UpdateTenant, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory
) -> Tenant:
    """Admins may rename or suspend any tenant; an owner may rename their current tenant."""
    if not actor.is_admin:
        if cmd.tenant_id != actor.tenant_id:
            raise NotFound("tenant not found")
        actor.require(Permission.TENANT_MANAGE)
        if cmd.status is not None:
            actor.require_admin()
    async with uow_factory(None) as uow:
        tenant = await uow.tenants.get(cmd.tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        if cmd.name is not None:
            name = cmd.name.strip()
            if not 1 <= len(name) <= 200:
                raise ValidationFailed(
                    "tenant name must have 1-200 characters", details={"field": "name"}
                )
            tenant.name = name
        if cmd.status is not None:
            tenant.status = cmd.status
        await uow.tenants.update(tenant)
        await uow.commit()
    return tenant
