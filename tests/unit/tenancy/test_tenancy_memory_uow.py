"""The in-memory unit of work behaves like the SQL one: scoping, staging, outbox on commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.events import DomainEvent
from flowwright.kernel.ids import new_id
from flowwright.kernel.memory import InMemoryOutboxStore
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
    IntegrityViolation,
)
from flowwright.tenancy.application.ports import TenancyUnitOfWork, TenancyUnitOfWorkFactory
from flowwright.tenancy.domain.model import ApiKey, Membership, Tenant, TenantStatus, User
from flowwright.tenancy.domain.roles import Role


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    name: ClassVar[str] = "test.Pinged"
    value: int


def tenant(clock: FixedClock, slug: str) -> Tenant:
    return Tenant(id=new_id(), slug=slug, name=slug, created_at=clock.now())


def user(clock: FixedClock, email: str) -> User:
    return User(id=new_id(), email=email, display_name=email, created_at=clock.now())


def membership(clock: FixedClock, t: Tenant, u: User, role: Role = Role.EDITOR) -> Membership:
    return Membership(id=new_id(), tenant_id=t.id, user_id=u.id, role=role, created_at=clock.now())


def api_key(clock: FixedClock, t: Tenant, u: User, prefix: str) -> ApiKey:
    return ApiKey(
        id=new_id(),
        tenant_id=t.id,
        user_id=u.id,
        name="k",
        prefix=prefix,
        secret_hash="0" * 64,
        role=Role.VIEWER,
        created_at=clock.now(),
    )


@pytest.fixture
async def seeded(
    uow_factory: InMemoryTenancyUnitOfWorkFactory, clock: FixedClock
) -> tuple[Tenant, Tenant, User]:
    """Tenants a and b, and one user who is an editor of both with a key in each."""
    a, b, u = tenant(clock, "aa"), tenant(clock, "bb"), user(clock, "u@x.test")
    async with uow_factory(None) as uow:
        await uow.tenants.add(a)
        await uow.tenants.add(b)
        await uow.users.add(u)
        await uow.commit()
    for t, prefix in ((a, "aaaaaaaaaa"), (b, "bbbbbbbbbb")):
        async with uow_factory(t.id) as uow:
            await uow.memberships.add(membership(clock, t, u))
            await uow.api_keys.add(api_key(clock, t, u, prefix))
            await uow.commit()
    return a, b, u


def test_fakes_conform_to_the_ports(uow_factory: InMemoryTenancyUnitOfWorkFactory) -> None:
    factory: TenancyUnitOfWorkFactory = uow_factory
    uow: TenancyUnitOfWork = factory(None)

    assert uow is not None


async def test_changes_are_visible_inside_the_unit_of_work_and_elsewhere_only_after_commit(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    t = tenant(clock, "acme")
    async with uow_factory(None) as writer, uow_factory(None) as reader:
        await writer.tenants.add(t)
        assert await writer.tenants.get(t.id) == t
        assert await reader.tenants.get(t.id) is None
        assert store.tenants == {}

        await writer.commit()

        assert await reader.tenants.get(t.id) == t
        assert store.tenants == {t.id: t}


async def test_leaving_without_commit_discards_the_changes(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    async with uow_factory(None) as uow:
        await uow.tenants.add(tenant(clock, "acme"))
        await uow.users.add(user(clock, "a@b.test"))

    assert store.tenants == {}
    assert store.users == {}


async def test_an_error_inside_the_unit_of_work_discards_the_changes(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    with pytest.raises(ZeroDivisionError):
        async with uow_factory(None) as uow:
            await uow.tenants.add(tenant(clock, "acme"))
            uow.emit(Pinged(value=1))
            _ = 1 / 0

    assert store.tenants == {}
    assert store.outbox == []


async def test_rollback_discards_changes_and_events_but_the_unit_of_work_stays_usable(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    kept = tenant(clock, "kept")
    async with uow_factory(None) as uow:
        await uow.tenants.add(tenant(clock, "dropped"))
        uow.emit(Pinged(value=1))
        await uow.rollback()
        await uow.tenants.add(kept)
        uow.emit(Pinged(value=2))
        await uow.commit()

    assert list(store.tenants) == [kept.id]
    assert [e.payload for e in store.outbox] == [{"value": 2}]


async def test_events_reach_the_outbox_on_commit_only_with_the_scope_tenant_and_clock_time(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, b, _ = seeded
    async with uow_factory(a.id) as uow:
        uow.emit(Pinged(value=1))
        uow.emit(Pinged(tenant_id=b.id, value=2))
        assert store.outbox == []
        clock.advance(timedelta(minutes=5))
        await uow.commit()

    assert [(e.name, e.tenant_id, e.payload) for e in store.outbox] == [
        ("test.Pinged", a.id, {"value": 1}),
        ("test.Pinged", b.id, {"value": 2}),
    ]
    assert {e.occurred_at for e in store.outbox} == {clock.now()}
    assert store.event_names() == ["test.Pinged", "test.Pinged"]


async def test_committed_events_are_handed_to_the_outbox_store_when_one_is_attached(
    clock: FixedClock,
) -> None:
    outbox = InMemoryOutboxStore()
    factory = InMemoryTenancyUnitOfWorkFactory(InMemoryTenancyStore(outbox_store=outbox), clock)
    async with factory(None) as uow:
        uow.emit(Pinged(value=7))
        await uow.commit()

    claimed = await outbox.claim_pending(now=clock.now(), limit=10)
    assert [p.envelope.payload for p in claimed] == [{"value": 7}]


async def test_tenant_owned_repositories_see_only_their_tenant(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, b, u = seeded
    async with uow_factory(a.id) as uow:
        memberships = await uow.memberships.list()
        keys = await uow.api_keys.list()
        assert [m.tenant_id for m in memberships] == [a.id]
        assert [k.tenant_id for k in keys] == [a.id]
        assert await uow.memberships.count_with_role("editor") == 1

    async with uow_factory(b.id) as uow:
        assert await uow.memberships.get(memberships[0].id) is None
        assert await uow.api_keys.get(keys[0].id) is None
        assert (await uow.memberships.get_for_user(u.id)) is not None
        await uow.memberships.delete(memberships[0].id)  # another tenant's row: nothing happens
        await uow.commit()

    async with uow_factory(a.id) as uow:
        assert await uow.memberships.get(memberships[0].id) is not None


async def test_tenant_owned_repositories_refuse_rows_of_another_tenant(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, b, u = seeded
    async with uow_factory(a.id) as uow:
        with pytest.raises(RuntimeError, match="another tenant"):
            await uow.memberships.add(membership(clock, b, u))
        with pytest.raises(RuntimeError, match="another tenant"):
            await uow.api_keys.add(api_key(clock, b, u, "cccccccccc"))


async def test_tenant_owned_repositories_refuse_the_system_scope(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    async with uow_factory(None) as uow:
        with pytest.raises(RuntimeError, match="tenant-scoped"):
            await uow.memberships.list()
        with pytest.raises(RuntimeError, match="tenant-scoped"):
            await uow.api_keys.list()


async def test_any_tenant_lookups_need_the_system_scope(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, b, u = seeded
    async with uow_factory(a.id) as uow:
        with pytest.raises(RuntimeError, match="system scope"):
            await uow.memberships.list_for_user_any_tenant(u.id)
        with pytest.raises(RuntimeError, match="system scope"):
            await uow.api_keys.get_by_prefix_any_tenant("aaaaaaaaaa")

    async with uow_factory(None) as uow:
        found = await uow.memberships.list_for_user_any_tenant(u.id)
        key = await uow.api_keys.get_by_prefix_any_tenant("bbbbbbbbbb")
    assert sorted(m.tenant_id for m in found) == sorted([a.id, b.id])
    assert key is not None
    assert key.tenant_id == b.id


async def test_repositories_refuse_use_outside_the_unit_of_work(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    uow = uow_factory(None)
    with pytest.raises(RuntimeError, match="not open"):
        await uow.users.count()
    async with uow:
        assert await uow.users.count() == 0
    with pytest.raises(RuntimeError, match="not open"):
        await uow.commit()


async def test_rows_are_copies_until_updated(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, _, _ = seeded
    async with uow_factory(None) as uow:
        loaded = await uow.tenants.get(a.id)
        assert loaded is not None
        loaded.name = "Renamed"
        assert store.tenants[a.id].name == "aa"
        loaded.status = TenantStatus.SUSPENDED
        await uow.tenants.update(loaded)
        await uow.commit()

    assert store.tenants[a.id].name == "Renamed"
    assert store.tenants[a.id].status is TenantStatus.SUSPENDED


async def test_membership_and_key_updates_write_only_their_mutable_columns(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, _, _ = seeded
    async with uow_factory(a.id) as uow:
        [m] = await uow.memberships.list()
        [k] = await uow.api_keys.list()
        m.role, m.user_id = Role.ADMIN, "someone-else"
        k.revoked_at, k.role, k.name = clock.now(), Role.OWNER, "renamed"
        await uow.memberships.update(m)
        await uow.api_keys.update(k)
        await uow.commit()

    assert store.memberships[m.id].role is Role.ADMIN
    assert store.memberships[m.id].user_id != "someone-else"
    assert store.api_keys[k.id].revoked_at == clock.now()
    assert store.api_keys[k.id].name == "renamed"
    assert store.api_keys[k.id].role is Role.VIEWER


async def test_updating_or_deleting_a_missing_row_does_nothing(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    async with uow_factory(None) as uow:
        await uow.tenants.update(tenant(clock, "ghost"))
        await uow.users.update(user(clock, "ghost@x.test"))
        await uow.commit()

    assert store.tenants == {}
    assert store.users == {}


async def test_unique_and_foreign_key_constraints_are_enforced(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    seeded: tuple[Tenant, Tenant, User],
) -> None:
    a, _, u = seeded
    async with uow_factory(None) as uow:
        with pytest.raises(IntegrityViolation, match="slug"):
            await uow.tenants.add(tenant(clock, "aa"))
    async with uow_factory(None) as uow:
        with pytest.raises(IntegrityViolation, match="email"):
            await uow.users.add(user(clock, "u@x.test"))
    async with uow_factory(a.id) as uow:
        with pytest.raises(IntegrityViolation, match="tenant_id, user_id"):
            await uow.memberships.add(membership(clock, a, u))
    async with uow_factory(a.id) as uow:
        with pytest.raises(IntegrityViolation, match="prefix"):
            await uow.api_keys.add(api_key(clock, a, u, "bbbbbbbbbb"))
    async with uow_factory(a.id) as uow:
        with pytest.raises(IntegrityViolation, match="no user"):
            await uow.memberships.add(membership(clock, a, user(clock, "nobody@x.test")))


async def test_commit_rechecks_constraints_against_concurrent_commits(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
    clock: FixedClock,
) -> None:
    first, second = tenant(clock, "same"), tenant(clock, "same")
    async with uow_factory(None) as one, uow_factory(None) as two:
        await one.tenants.add(first)
        await two.tenants.add(second)
        await one.commit()
        with pytest.raises(IntegrityViolation):
            await two.commit()

    assert list(store.tenants) == [first.id]


async def test_lists_are_ordered_by_id(
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    made = [tenant(clock, f"t{i}") for i in range(5)]
    async with uow_factory(None) as uow:
        for t in reversed(made):
            await uow.tenants.add(t)
        await uow.commit()
        assert [t.id for t in await uow.tenants.list()] == [t.id for t in made]
        subset = await uow.tenants.list(ids=[made[3].id, made[1].id, "missing"])
        assert [t.id for t in subset] == [made[1].id, made[3].id]
        assert await uow.tenants.list(ids=[]) == []
