from __future__ import annotations

from flowwright.kernel.clock import FixedClock
from flowwright.tenancy.adapters.fakes import FakePasswordHasher, FakeTokenService
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.authentication import (
    Login,
    authenticate_api_key,
    authenticate_token,
    login,
)
from flowwright.tenancy.application.first_run import (
    DEFAULT_OWNER_EMAIL,
    DEFAULT_TENANT,
    ensure_first_run,
)
from flowwright.tenancy.domain.events import ApiKeyCreated, MemberAdded, TenantCreated
from flowwright.tenancy.domain.model import TenantStatus
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role


async def test_first_run_creates_the_default_tenant_and_an_owner_who_is_admin(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    credentials = await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock)

    assert credentials is not None
    [tenant] = store.tenants.values()
    assert (tenant.id, tenant.slug, tenant.status) == (
        credentials.tenant_id,
        DEFAULT_TENANT,
        TenantStatus.ACTIVE,
    )
    [user] = store.users.values()
    assert (user.email, user.display_name, user.is_admin) == (
        DEFAULT_OWNER_EMAIL,
        "Administrator",
        True,
    )
    assert credentials.email == DEFAULT_OWNER_EMAIL
    [membership] = store.memberships.values()
    assert (membership.tenant_id, membership.user_id, membership.role) == (
        tenant.id,
        user.id,
        Role.OWNER,
    )
    assert store.event_names() == [TenantCreated.name, MemberAdded.name, ApiKeyCreated.name]


async def test_first_run_password_logs_in(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
) -> None:
    credentials = await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock)
    assert credentials is not None
    assert len(credentials.password) >= 10

    access = await login(
        Login(email=credentials.email, password=credentials.password),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )
    principal = await authenticate_token(
        access.token, uow_factory=uow_factory, tokens=tokens, clock=clock
    )

    assert (principal.tenant_id, principal.role, principal.is_admin) == (
        credentials.tenant_id,
        Role.OWNER,
        True,
    )


async def test_first_run_api_key_acts_as_the_owner_and_administrator(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    credentials = await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock)
    assert credentials is not None

    principal = await authenticate_api_key(
        credentials.api_key, uow_factory=uow_factory, clock=clock
    )

    [user] = store.users.values()
    [key] = store.api_keys.values()
    assert principal == Principal(
        user_id=user.id,
        tenant_id=credentials.tenant_id,
        role=Role.OWNER,
        is_admin=True,
        via="api_key",
        api_key_id=key.id,
    )
    assert key.expires_at is None


async def test_first_run_uses_the_given_owner_email(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    credentials = await ensure_first_run(
        uow_factory=uow_factory, hasher=hasher, clock=clock, owner_email="Ops@Example.test"
    )

    assert credentials is not None
    assert [u.email for u in store.users.values()] == ["ops@example.test"]


async def test_second_first_run_does_nothing_and_returns_none(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    first = await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock)
    snapshot = (
        dict(store.tenants),
        dict(store.users),
        dict(store.memberships),
        dict(store.api_keys),
        list(store.outbox),
    )

    second = await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock)

    assert first is not None
    assert second is None
    assert (store.tenants, store.users, store.memberships, store.api_keys, store.outbox) == snapshot


async def test_first_run_does_nothing_when_any_user_exists(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    assert await ensure_first_run(uow_factory=uow_factory, hasher=hasher, clock=clock) is None
    assert store.tenants == {}
