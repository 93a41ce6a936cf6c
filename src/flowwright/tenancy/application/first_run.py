"""First run: make the installation usable with one command."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flowwright.kernel.clock import Clock
from flowwright.tenancy.application.api_keys import CreateApiKey, create_api_key
from flowwright.tenancy.application.members import AddMember, add_member_in
from flowwright.tenancy.application.ports import PasswordHasher, TenancyUnitOfWorkFactory
from flowwright.tenancy.application.tenants import CreateTenant, create_tenant
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

DEFAULT_TENANT = "default"
DEFAULT_OWNER_EMAIL = "admin@flowwright.local"


@dataclass(frozen=True)
class FirstRunCredentials:
    tenant_id: str
    email: str
    password: str
    api_key: str


async def ensure_first_run(
    *,
    uow_factory: TenancyUnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: Clock,
    owner_email: str = DEFAULT_OWNER_EMAIL,
) -> FirstRunCredentials | None:
    """On an installation without users, create the default tenant, its owner and a CLI key.

    The owner is also an installation administrator. Returns the one-time credentials, or None
    when the installation already has users.
    """
    async with uow_factory(None) as uow:
        if await uow.users.count() > 0:
            return None
    password = secrets.token_urlsafe(18)
    tenant = await create_tenant(
        CreateTenant(slug=DEFAULT_TENANT, name="Default"),
        actor=None,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )
    member = await add_member_in(
        tenant.id,
        AddMember(
            email=owner_email, role=Role.OWNER, password=password, display_name="Administrator"
        ),
        added_by=None,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )
    async with uow_factory(None) as uow:
        user = await uow.users.get(member.user_id)
        assert user is not None
        user.is_admin = True
        await uow.users.update(user)
        await uow.commit()
    owner = Principal(
        user_id=member.user_id, tenant_id=tenant.id, role=Role.OWNER, is_admin=True, via="first_run"
    )
    created = await create_api_key(
        CreateApiKey(name="cli (first run)"), actor=owner, uow_factory=uow_factory, clock=clock
    )
    return FirstRunCredentials(
        tenant_id=tenant.id, email=owner_email, password=password, api_key=created.plaintext
    )
