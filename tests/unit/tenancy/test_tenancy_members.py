from __future__ import annotations

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.adapters.fakes import FakePasswordHasher
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.api_keys import CreateApiKey, create_api_key
from flowwright.tenancy.application.members import (
    AddMember,
    add_member,
    change_role,
    get_member,
    list_members,
    remove_member,
)
from flowwright.tenancy.domain.events import MemberAdded, MemberRemoved, MemberRoleChanged
from flowwright.tenancy.domain.model import Tenant
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

Team = dict[Role, Principal]


def membership_id(store: InMemoryTenancyStore, who: Principal) -> str:
    return next(
        m.id
        for m in store.memberships.values()
        if m.user_id == who.user_id and m.tenant_id == who.tenant_id
    )


# add_member


async def test_admin_adds_a_new_user_as_member(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    actor = acme_team[Role.ADMIN]

    member = await add_member(
        AddMember(email=" New.Person@Acme.test ", role=Role.EDITOR, password="new-person-pw"),
        actor=actor,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert (member.email, member.display_name, member.role) == (
        "new.person@acme.test",
        "new.person",
        Role.EDITOR,
    )
    assert member.created_at == clock.now().isoformat()
    user = store.users[member.user_id]
    assert user.password_hash is not None
    assert hasher.verify(user.password_hash, "new-person-pw")
    assert store.memberships[member.membership_id].tenant_id == actor.tenant_id
    event = store.outbox[-1]
    assert (event.name, event.tenant_id) == (MemberAdded.name, actor.tenant_id)
    assert event.payload == {"user_id": member.user_id, "role": "editor", "added_by": actor.user_id}


async def test_member_without_password_or_with_display_name(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    member = await add_member(
        AddMember(email="invitee@acme.test", role=Role.VIEWER, display_name="  Ivy Invitee "),
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert member.display_name == "Ivy Invitee"
    assert store.users[member.user_id].password_hash is None


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.OPERATOR, Role.VIEWER])
async def test_admin_may_grant_roles_up_to_admin(
    role: Role,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    member = await add_member(
        AddMember(email="x@acme.test", role=role),
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert member.role is role


async def test_admin_cannot_grant_owner(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    users_before = len(store.users)

    with pytest.raises(PermissionDenied, match="owner"):
        await add_member(
            AddMember(email="boss2@acme.test", role=Role.OWNER),
            actor=acme_team[Role.ADMIN],
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )

    assert len(store.users) == users_before


async def test_owner_may_grant_owner(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    member = await add_member(
        AddMember(email="boss2@acme.test", role=Role.OWNER),
        actor=acme_team[Role.OWNER],
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert member.role is Role.OWNER


@pytest.mark.parametrize("role", [Role.EDITOR, Role.OPERATOR, Role.VIEWER])
async def test_members_below_admin_cannot_add_members(
    role: Role,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    with pytest.raises(PermissionDenied):
        await add_member(
            AddMember(email="x@acme.test", role=Role.VIEWER),
            actor=acme_team[role],
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )


async def test_adding_an_existing_member_again_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    memberships_before = len(store.memberships)

    with pytest.raises(AlreadyExists):
        await add_member(
            AddMember(email="EDITOR@acme.test", role=Role.VIEWER),
            actor=acme_team[Role.ADMIN],
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )

    assert len(store.memberships) == memberships_before


async def test_existing_user_joins_a_second_tenant_as_the_same_user(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    editor = acme_team[Role.EDITOR]
    users_before = len(store.users)

    member = await add_member(
        AddMember(email="editor@acme.test", role=Role.VIEWER, password="a-different-password"),
        actor=globex_owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    assert member.user_id == editor.user_id
    assert len(store.users) == users_before
    assert sorted(
        (m.tenant_id, m.role) for m in store.memberships.values() if m.user_id == editor.user_id
    ) == sorted([(editor.tenant_id, Role.EDITOR), (globex_owner.tenant_id, Role.VIEWER)])
    # Another tenant cannot reset an existing user's password by adding them.
    stored = store.users[editor.user_id].password_hash
    assert stored is not None
    assert hasher.verify(stored, password)


@pytest.mark.parametrize(("email", "new_password"), [("nope", None), ("ok@acme.test", "short")])
async def test_invalid_email_or_weak_password_is_refused(
    email: str,
    new_password: str | None,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> None:
    with pytest.raises(ValidationFailed):
        await add_member(
            AddMember(email=email, role=Role.VIEWER, password=new_password),
            actor=acme_team[Role.ADMIN],
            uow_factory=uow_factory,
            hasher=hasher,
            clock=clock,
        )


# list_members and get_member


async def test_members_are_listed_for_the_actors_tenant_only(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
) -> None:
    members = await list_members(actor=acme_team[Role.VIEWER], uow_factory=uow_factory)

    assert [(m.email, m.role) for m in members] == [
        ("owner@acme.test", Role.OWNER),
        ("admin@acme.test", Role.ADMIN),
        ("editor@acme.test", Role.EDITOR),
        ("operator@acme.test", Role.OPERATOR),
        ("viewer@acme.test", Role.VIEWER),
    ]
    globex_members = await list_members(actor=globex_owner, uow_factory=uow_factory)
    assert [m.email for m in globex_members] == ["owner@globex.test"]


async def test_get_member_of_own_tenant(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    editor = acme_team[Role.EDITOR]

    member = await get_member(
        membership_id(store, editor), actor=acme_team[Role.VIEWER], uow_factory=uow_factory
    )

    assert (member.user_id, member.role) == (editor.user_id, Role.EDITOR)


async def test_member_of_another_tenant_is_not_found(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(NotFound):
        await get_member(
            membership_id(store, acme_team[Role.EDITOR]),
            actor=globex_owner,
            uow_factory=uow_factory,
        )
    with pytest.raises(NotFound):
        await get_member(new_id(), actor=globex_owner, uow_factory=uow_factory)


# change_role


async def test_admin_promotes_a_viewer_to_editor(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    viewer, actor = acme_team[Role.VIEWER], acme_team[Role.ADMIN]

    member = await change_role(
        membership_id(store, viewer), Role.EDITOR, actor=actor, uow_factory=uow_factory
    )

    assert member.role is Role.EDITOR
    assert store.memberships[membership_id(store, viewer)].role is Role.EDITOR
    event = store.outbox[-1]
    assert event.name == MemberRoleChanged.name
    assert event.payload == {
        "user_id": viewer.user_id,
        "role": "editor",
        "changed_by": actor.user_id,
    }


async def test_admin_cannot_promote_anyone_to_owner(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    target = membership_id(store, acme_team[Role.VIEWER])

    with pytest.raises(PermissionDenied):
        await change_role(target, Role.OWNER, actor=acme_team[Role.ADMIN], uow_factory=uow_factory)

    assert store.memberships[target].role is Role.VIEWER


async def test_admin_cannot_demote_an_owner(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    target = membership_id(store, acme_team[Role.OWNER])

    with pytest.raises(PermissionDenied):
        await change_role(target, Role.VIEWER, actor=acme_team[Role.ADMIN], uow_factory=uow_factory)

    assert store.memberships[target].role is Role.OWNER


async def test_editor_cannot_change_roles(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await change_role(
            membership_id(store, acme_team[Role.VIEWER]),
            Role.VIEWER,
            actor=acme_team[Role.EDITOR],
            uow_factory=uow_factory,
        )


async def test_last_owner_cannot_step_down(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    owner = acme_team[Role.OWNER]
    events_before = len(store.outbox)

    with pytest.raises(ValidationFailed, match="at least one owner"):
        await change_role(
            membership_id(store, owner), Role.ADMIN, actor=owner, uow_factory=uow_factory
        )

    assert store.memberships[membership_id(store, owner)].role is Role.OWNER
    assert len(store.outbox) == events_before


async def test_an_owner_may_step_down_when_another_owner_remains(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    owner = acme_team[Role.OWNER]
    await add_member(
        AddMember(email="boss2@acme.test", role=Role.OWNER),
        actor=owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    member = await change_role(
        membership_id(store, owner), Role.ADMIN, actor=owner, uow_factory=uow_factory
    )

    assert member.role is Role.ADMIN


async def test_changing_a_member_of_another_tenant_is_not_found(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    store: InMemoryTenancyStore,
) -> None:
    target = membership_id(store, acme_team[Role.VIEWER])

    with pytest.raises(NotFound):
        await change_role(target, Role.ADMIN, actor=globex_owner, uow_factory=uow_factory)

    assert store.memberships[target].role is Role.VIEWER


# remove_member


async def test_removing_a_member_revokes_their_keys_in_that_tenant_only(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    editor, actor = acme_team[Role.EDITOR], acme_team[Role.ADMIN]
    acme_key = await create_api_key(
        CreateApiKey(name="ci"), actor=editor, uow_factory=uow_factory, clock=clock
    )
    await add_member(
        AddMember(email="editor@acme.test", role=Role.EDITOR),
        actor=globex_owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )
    in_globex = Principal(
        user_id=editor.user_id,
        tenant_id=globex_owner.tenant_id,
        role=Role.EDITOR,
        is_admin=False,
        via="token",
    )
    globex_key = await create_api_key(
        CreateApiKey(name="ci"), actor=in_globex, uow_factory=uow_factory, clock=clock
    )
    target = membership_id(store, editor)

    await remove_member(target, actor=actor, uow_factory=uow_factory, clock=clock)

    assert target not in store.memberships
    assert editor.user_id in store.users
    assert store.api_keys[acme_key.key.id].revoked_at == clock.now()
    assert store.api_keys[globex_key.key.id].revoked_at is None
    event = store.outbox[-1]
    assert (event.name, event.tenant_id) == (MemberRemoved.name, editor.tenant_id)
    assert event.payload == {"user_id": editor.user_id, "removed_by": actor.user_id}


async def test_last_owner_cannot_be_removed(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    owner = acme_team[Role.OWNER]

    with pytest.raises(ValidationFailed, match="at least one owner"):
        await remove_member(
            membership_id(store, owner), actor=owner, uow_factory=uow_factory, clock=clock
        )

    assert membership_id(store, owner) in store.memberships


async def test_an_owner_may_be_removed_while_another_owner_remains(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    owner = acme_team[Role.OWNER]
    second = await add_member(
        AddMember(email="boss2@acme.test", role=Role.OWNER),
        actor=owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    await remove_member(second.membership_id, actor=owner, uow_factory=uow_factory, clock=clock)

    assert second.membership_id not in store.memberships


async def test_admin_cannot_remove_an_owner(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await remove_member(
            membership_id(store, acme_team[Role.OWNER]),
            actor=acme_team[Role.ADMIN],
            uow_factory=uow_factory,
            clock=clock,
        )


async def test_editor_cannot_remove_members(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await remove_member(
            membership_id(store, acme_team[Role.VIEWER]),
            actor=acme_team[Role.EDITOR],
            uow_factory=uow_factory,
            clock=clock,
        )


async def test_removing_a_member_of_another_tenant_is_not_found(
    acme: Tenant,
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    target = membership_id(store, acme_team[Role.VIEWER])

    with pytest.raises(NotFound):
        await remove_member(target, actor=globex_owner, uow_factory=uow_factory, clock=clock)
    with pytest.raises(NotFound):
        await remove_member(new_id(), actor=globex_owner, uow_factory=uow_factory, clock=clock)

    assert target in store.memberships
