"""In-memory tenancy for the use-case tests: the fakes, an installation admin and two tenants.

``acme`` has one member per role (see ``acme_team``); ``globex`` has only its owner. Every member
created here has the password returned by the ``password`` fixture.
"""

from __future__ import annotations

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.ids import new_id
from flowwright.tenancy.adapters.fakes import FakePasswordHasher, FakeTokenService
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.members import AddMember, add_member_in
from flowwright.tenancy.application.tenants import CreateTenant, create_tenant
from flowwright.tenancy.domain.model import Tenant, User
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> InMemoryTenancyStore:
    return InMemoryTenancyStore()


@pytest.fixture
def uow_factory(store: InMemoryTenancyStore, clock: FixedClock) -> InMemoryTenancyUnitOfWorkFactory:
    return InMemoryTenancyUnitOfWorkFactory(store, clock)


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def tokens() -> FakeTokenService:
    return FakeTokenService(ttl_seconds=900)


@pytest.fixture
def password() -> str:
    return "correct-horse-battery"


@pytest.fixture
def admin(store: InMemoryTenancyStore, clock: FixedClock) -> Principal:
    """An installation administrator who is a member of no tenant."""
    user = User(
        id=new_id(),
        email="root@flowwright.test",
        display_name="root",
        created_at=clock.now(),
        is_admin=True,
    )
    store.users[user.id] = user
    return Principal(
        user_id=user.id, tenant_id=new_id(), role=Role.VIEWER, is_admin=True, via="token"
    )


async def _tenant_with_owner(
    slug: str,
    *,
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    password: str,
) -> Tenant:
    return await create_tenant(
        CreateTenant(
            slug=slug, name=slug.title(), owner_email=f"owner@{slug}.test", owner_password=password
        ),
        actor=admin,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )


def _principal_of(store: InMemoryTenancyStore, tenant: Tenant, email: str) -> Principal:
    user = next(u for u in store.users.values() if u.email == email)
    membership = next(
        m for m in store.memberships.values() if m.user_id == user.id and m.tenant_id == tenant.id
    )
    return Principal(
        user_id=user.id,
        tenant_id=tenant.id,
        role=membership.role,
        is_admin=user.is_admin,
        via="token",
    )


@pytest.fixture
async def acme(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    password: str,
) -> Tenant:
    return await _tenant_with_owner(
        "acme", admin=admin, uow_factory=uow_factory, hasher=hasher, clock=clock, password=password
    )


@pytest.fixture
async def acme_team(
    acme: Tenant,
    store: InMemoryTenancyStore,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    password: str,
) -> dict[Role, Principal]:
    """One principal per role in acme; the owner is ``owner@acme.test``, others ``<role>@...``."""
    team = {Role.OWNER: _principal_of(store, acme, "owner@acme.test")}
    for role in (Role.ADMIN, Role.EDITOR, Role.OPERATOR, Role.VIEWER):
        await add_member_in(
            acme.id,
            AddMember(email=f"{role}@acme.test", role=role, password=password),
            added_by=None,
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )
        team[role] = _principal_of(store, acme, f"{role}@acme.test")
    return team


@pytest.fixture
async def globex(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    password: str,
) -> Tenant:
    return await _tenant_with_owner(
        "globex",
        admin=admin,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
        password=password,
    )


@pytest.fixture
def globex_owner(globex: Tenant, store: InMemoryTenancyStore) -> Principal:
    return _principal_of(store, globex, "owner@globex.test")
