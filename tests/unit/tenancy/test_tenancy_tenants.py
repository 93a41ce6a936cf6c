from __future__ import annotations

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.adapters.fakes import FakePasswordHasher
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWork,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.members import AddMember, add_member
from flowwright.tenancy.application.tenants import (
    CreateTenant,
    UpdateTenant,
    create_tenant,
    get_tenant,
    list_tenants,
    update_tenant,
)
from flowwright.tenancy.domain.events import MemberAdded, TenantCreated
from flowwright.tenancy.domain.model import Tenant, TenantStatus
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role


class CommitSpyFactory(InMemoryTenancyUnitOfWorkFactory):
    """Records the outbox's event names just before and just after each commit."""

    def __init__(self, store: InMemoryTenancyStore, clock: FixedClock) -> None:
        super().__init__(store, clock)
        self.commits: list[tuple[list[str], list[str]]] = []

    def __call__(self, tenant_id: str | None) -> InMemoryTenancyUnitOfWork:
        spy = self

        class Spy(InMemoryTenancyUnitOfWork):
            async def commit(self) -> None:
                before = self.store.event_names()
                await super().commit()
                spy.commits.append((before, self.store.event_names()))

        return Spy(self.store, tenant_id=tenant_id, clock=self.clock)


# create_tenant


async def test_admin_creates_a_tenant_with_normalized_slug_and_trimmed_name(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    tenant = await create_tenant(
        CreateTenant(slug=" Acme-Corp ", name="  Acme Corp "),
        actor=admin,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert (tenant.slug, tenant.name, tenant.status) == (
        "acme-corp",
        "Acme Corp",
        TenantStatus.ACTIVE,
    )
    assert tenant.created_at == clock.now()
    assert store.tenants == {tenant.id: tenant}
    assert store.memberships == {}
    [created] = store.outbox
    assert (created.name, created.tenant_id) == (TenantCreated.name, tenant.id)
    assert created.payload == {"slug": "acme-corp", "created_by": admin.user_id}


async def test_only_installation_admins_create_tenants(
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    tenants_before = dict(store.tenants)

    with pytest.raises(PermissionDenied):
        await create_tenant(
            CreateTenant(slug="rogue", name="Rogue"),
            actor=acme_team[Role.OWNER],
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )

    assert store.tenants == tenants_before


async def test_duplicate_slug_is_refused_whatever_its_case(
    admin: Principal,
    acme: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    events_before = len(store.outbox)

    with pytest.raises(AlreadyExists, match="acme"):
        await create_tenant(
            CreateTenant(slug="ACME", name="Another"),
            actor=admin,
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )

    assert list(store.tenants) == [acme.id]
    assert len(store.outbox) == events_before


@pytest.mark.parametrize(
    ("slug", "name"), [("ok-slug", "   "), ("ok-slug", "n" * 201), ("9lives", "Fine")]
)
async def test_invalid_slug_or_name_is_refused(
    slug: str,
    name: str,
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(ValidationFailed):
        await create_tenant(
            CreateTenant(slug=slug, name=name),
            actor=admin,
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )

    assert store.tenants == {}


async def test_tenant_with_owner_email_gets_an_owner_membership_and_both_events(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    tenant = await create_tenant(
        CreateTenant(
            slug="acme", name="Acme", owner_email="Boss@Acme.test", owner_password="boss-password"
        ),
        actor=admin,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    [owner] = [u for u in store.users.values() if u.email == "boss@acme.test"]
    assert owner.password_hash is not None
    assert hasher.verify(owner.password_hash, "boss-password")
    assert not owner.is_admin
    [membership] = store.memberships.values()
    assert (membership.tenant_id, membership.user_id, membership.role) == (
        tenant.id,
        owner.id,
        Role.OWNER,
    )
    assert [(e.name, e.tenant_id) for e in store.outbox] == [
        (TenantCreated.name, tenant.id),
        (MemberAdded.name, tenant.id),
    ]
    assert store.outbox[1].payload == {
        "user_id": owner.id,
        "role": "owner",
        "added_by": admin.user_id,
    }


async def test_tenant_events_reach_the_outbox_only_when_their_unit_of_work_commits(
    admin: Principal,
    store: InMemoryTenancyStore,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    spy = CommitSpyFactory(store, clock)

    await create_tenant(
        CreateTenant(slug="acme", name="Acme", owner_email="boss@acme.test"),
        actor=admin,
        uow_factory=spy,
        hasher=hasher,
        clock=clock,
    )

    assert spy.commits == [
        ([], [TenantCreated.name]),
        ([TenantCreated.name], [TenantCreated.name, MemberAdded.name]),
    ]


@pytest.mark.parametrize(
    ("email", "owner_password"), [("not-an-email", "long-enough-pw"), ("boss@acme.test", "short")]
)
async def test_invalid_owner_credentials_create_nothing(
    email: str,
    owner_password: str,
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    cmd = CreateTenant(slug="acme", name="Acme", owner_email=email, owner_password=owner_password)

    with pytest.raises(ValidationFailed):
        await create_tenant(cmd, actor=admin, uow_factory=uow_factory, hasher=hasher, clock=clock)

    assert store.tenants == {}
    assert store.outbox == []
    # The caller can correct the input and try again.
    fixed = CreateTenant(
        slug="acme", name="Acme", owner_email="boss@acme.test", owner_password="long-enough-pw"
    )
    await create_tenant(fixed, actor=admin, uow_factory=uow_factory, hasher=hasher, clock=clock)


async def test_tenant_for_an_existing_user_reuses_that_user(
    admin: Principal,
    acme: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    users_before = len(store.users)

    second = await create_tenant(
        CreateTenant(slug="acme-labs", name="Labs", owner_email="owner@acme.test"),
        actor=admin,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert len(store.users) == users_before
    assert {m.tenant_id for m in store.memberships.values()} == {acme.id, second.id}


# list_tenants and get_tenant


async def test_admin_lists_every_tenant_oldest_first(
    admin: Principal,
    acme: Tenant,
    globex: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    tenants = await list_tenants(actor=admin, uow_factory=uow_factory)

    assert [t.slug for t in tenants] == ["acme", "globex"]


async def test_member_lists_only_their_tenants(
    acme: Tenant,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    tenants = await list_tenants(actor=globex_owner, uow_factory=uow_factory)

    assert [t.slug for t in tenants] == ["globex"]


async def test_member_of_two_tenants_lists_both(
    acme_team: dict[Role, Principal],
    globex_owner: Principal,
    acme: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    await add_member(
        AddMember(email="viewer@acme.test", role=Role.EDITOR),
        actor=globex_owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    tenants = await list_tenants(actor=acme_team[Role.VIEWER], uow_factory=uow_factory)

    assert [t.slug for t in tenants] == ["acme", "globex"]


async def test_admin_gets_any_tenant(
    admin: Principal,
    globex: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    assert await get_tenant(globex.id, actor=admin, uow_factory=uow_factory) == globex


async def test_member_gets_their_own_tenant(
    acme: Tenant,
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    tenant = await get_tenant(acme.id, actor=acme_team[Role.VIEWER], uow_factory=uow_factory)

    assert tenant == acme


async def test_another_tenant_is_not_found_for_a_non_member(
    acme: Tenant,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    with pytest.raises(NotFound):
        await get_tenant(acme.id, actor=globex_owner, uow_factory=uow_factory)


async def test_unknown_tenant_is_not_found(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    with pytest.raises(NotFound):
        await get_tenant(new_id(), actor=admin, uow_factory=uow_factory)


# update_tenant


async def test_owner_renames_their_tenant(
    acme: Tenant,
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    updated = await update_tenant(
        UpdateTenant(tenant_id=acme.id, name="  Acme Inc. "),
        actor=acme_team[Role.OWNER],
        uow_factory=uow_factory,
    )

    assert updated.name == "Acme Inc."
    assert store.tenants[acme.id].name == "Acme Inc."
    assert store.tenants[acme.id].slug == "acme"


async def test_tenant_admin_role_cannot_rename_the_tenant(
    acme: Tenant,
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await update_tenant(
            UpdateTenant(tenant_id=acme.id, name="Mine"),
            actor=acme_team[Role.ADMIN],
            uow_factory=uow_factory,
        )

    assert store.tenants[acme.id].name == "Acme"


async def test_owner_who_is_not_installation_admin_cannot_suspend(
    acme: Tenant,
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await update_tenant(
            UpdateTenant(tenant_id=acme.id, status=TenantStatus.SUSPENDED),
            actor=acme_team[Role.OWNER],
            uow_factory=uow_factory,
        )

    assert store.tenants[acme.id].status is TenantStatus.ACTIVE


async def test_owner_of_another_tenant_gets_not_found(
    acme: Tenant,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(NotFound):
        await update_tenant(
            UpdateTenant(tenant_id=acme.id, name="Hijacked"),
            actor=globex_owner,
            uow_factory=uow_factory,
        )

    assert store.tenants[acme.id].name == "Acme"


async def test_admin_suspends_and_reactivates_any_tenant(
    admin: Principal,
    acme: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    await update_tenant(
        UpdateTenant(tenant_id=acme.id, status=TenantStatus.SUSPENDED),
        actor=admin,
        uow_factory=uow_factory,
    )
    assert store.tenants[acme.id].status is TenantStatus.SUSPENDED

    await update_tenant(
        UpdateTenant(tenant_id=acme.id, status=TenantStatus.ACTIVE),
        actor=admin,
        uow_factory=uow_factory,
    )
    assert store.tenants[acme.id].status is TenantStatus.ACTIVE


async def test_admin_updating_an_unknown_tenant_gets_not_found(
    admin: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    with pytest.raises(NotFound):
        await update_tenant(
            UpdateTenant(tenant_id=new_id(), name="x"), actor=admin, uow_factory=uow_factory
        )


async def test_blank_name_is_refused_and_nothing_changes(
    acme: Tenant,
    acme_team: dict[Role, Principal],
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(ValidationFailed):
        await update_tenant(
            UpdateTenant(tenant_id=acme.id, name="  "),
            actor=acme_team[Role.OWNER],
            uow_factory=uow_factory,
        )

    assert store.tenants[acme.id].name == "Acme"
