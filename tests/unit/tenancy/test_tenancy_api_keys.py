from __future__ import annotations

from datetime import timedelta

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.api_keys import (
    CreateApiKey,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)
from flowwright.tenancy.domain import api_key_secret
from flowwright.tenancy.domain.events import ApiKeyCreated, ApiKeyRevoked
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

Team = dict[Role, Principal]


async def new_key(
    actor: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    *,
    name: str = "ci",
    role: Role | None = None,
) -> str:
    created = await create_api_key(
        CreateApiKey(name=name, role=role), actor=actor, uow_factory=uow_factory, clock=clock
    )
    return created.key.id


# create_api_key


@pytest.mark.parametrize("role", list(Role))
async def test_key_gets_the_creators_role_by_default(
    role: Role,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    actor = acme_team[role]

    created = await create_api_key(
        CreateApiKey(name="  laptop "), actor=actor, uow_factory=uow_factory, clock=clock
    )

    stored = store.api_keys[created.key.id]
    assert (stored.role, stored.name, stored.user_id, stored.tenant_id) == (
        role,
        "laptop",
        actor.user_id,
        actor.tenant_id,
    )
    assert stored.expires_at is None
    assert stored.revoked_at is None


async def test_plaintext_is_returned_once_and_only_its_digest_is_stored(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    actor = acme_team[Role.EDITOR]

    created = await create_api_key(
        CreateApiKey(name="ci"), actor=actor, uow_factory=uow_factory, clock=clock
    )

    parts = api_key_secret.split_key(created.plaintext)
    assert parts is not None
    prefix, secret = parts
    stored = store.api_keys[created.key.id]
    assert stored.prefix == prefix
    assert api_key_secret.matches(secret, stored.secret_hash)
    assert secret not in repr(stored)
    event = store.outbox[-1]
    assert (event.name, event.tenant_id) == (ApiKeyCreated.name, actor.tenant_id)
    assert event.payload == {
        "api_key_id": stored.id,
        "prefix": prefix,
        "role": "editor",
        "created_by": actor.user_id,
    }


async def test_key_may_have_a_lower_role_than_its_creator(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    key_id = await new_key(acme_team[Role.EDITOR], uow_factory, clock, role=Role.VIEWER)

    assert store.api_keys[key_id].role is Role.VIEWER


@pytest.mark.parametrize(
    ("creator", "requested"),
    [(Role.EDITOR, Role.ADMIN), (Role.VIEWER, Role.OPERATOR), (Role.ADMIN, Role.OWNER)],
)
async def test_key_cannot_exceed_its_creators_role(
    creator: Role,
    requested: Role,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    with pytest.raises(PermissionDenied):
        await new_key(acme_team[creator], uow_factory, clock, role=requested)

    assert store.api_keys == {}


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
async def test_key_name_must_have_1_to_100_characters(
    name: str,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    with pytest.raises(ValidationFailed):
        await new_key(acme_team[Role.EDITOR], uow_factory, clock, name=name)


async def test_key_expires_after_the_requested_lifetime(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    created = await create_api_key(
        CreateApiKey(name="ci", expires_in=timedelta(days=30)),
        actor=acme_team[Role.EDITOR],
        uow_factory=uow_factory,
        clock=clock,
    )

    assert created.key.expires_at == clock.now() + timedelta(days=30)


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(seconds=-1), timedelta(days=3651)])
async def test_expiry_must_be_in_the_future_and_within_ten_years(
    expires_in: timedelta,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    with pytest.raises(ValidationFailed):
        await create_api_key(
            CreateApiKey(name="ci", expires_in=expires_in),
            actor=acme_team[Role.EDITOR],
            uow_factory=uow_factory,
            clock=clock,
        )


# list_api_keys and get_api_key


async def test_members_below_admin_list_only_their_own_keys(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    mine = await new_key(acme_team[Role.EDITOR], uow_factory, clock)
    await new_key(acme_team[Role.VIEWER], uow_factory, clock)
    await new_key(acme_team[Role.OWNER], uow_factory, clock)

    keys = await list_api_keys(actor=acme_team[Role.EDITOR], uow_factory=uow_factory)

    assert [k.id for k in keys] == [mine]


async def test_admins_list_every_key_of_their_tenant_only(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    acme_keys = [
        await new_key(acme_team[role], uow_factory, clock)
        for role in (Role.EDITOR, Role.VIEWER, Role.OWNER)
    ]
    await new_key(globex_owner, uow_factory, clock)

    keys = await list_api_keys(actor=acme_team[Role.ADMIN], uow_factory=uow_factory)

    assert [k.id for k in keys] == acme_keys


async def test_another_members_key_is_invisible_to_an_editor(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    theirs = await new_key(acme_team[Role.VIEWER], uow_factory, clock)

    with pytest.raises(NotFound):
        await get_api_key(theirs, actor=acme_team[Role.EDITOR], uow_factory=uow_factory)
    with pytest.raises(NotFound):
        await revoke_api_key(
            theirs, actor=acme_team[Role.EDITOR], uow_factory=uow_factory, clock=clock
        )


async def test_admin_sees_and_owner_sees_any_key_of_their_tenant(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    theirs = await new_key(acme_team[Role.VIEWER], uow_factory, clock)

    for role in (Role.ADMIN, Role.OWNER):
        key = await get_api_key(theirs, actor=acme_team[role], uow_factory=uow_factory)
        assert key.id == theirs


async def test_key_of_another_tenant_is_not_found(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    acme_key = await new_key(acme_team[Role.VIEWER], uow_factory, clock)

    with pytest.raises(NotFound):
        await get_api_key(acme_key, actor=globex_owner, uow_factory=uow_factory)
    with pytest.raises(NotFound):
        await revoke_api_key(acme_key, actor=globex_owner, uow_factory=uow_factory, clock=clock)
    with pytest.raises(NotFound):
        await get_api_key(new_id(), actor=globex_owner, uow_factory=uow_factory)


# revoke_api_key


async def test_revoking_is_idempotent_and_emits_one_event(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    actor = acme_team[Role.EDITOR]
    key_id = await new_key(actor, uow_factory, clock)
    revoked_at = clock.now()

    first = await revoke_api_key(key_id, actor=actor, uow_factory=uow_factory, clock=clock)
    clock.advance(timedelta(hours=1))
    second = await revoke_api_key(key_id, actor=actor, uow_factory=uow_factory, clock=clock)

    assert first.revoked_at == second.revoked_at == revoked_at
    assert store.api_keys[key_id].revoked_at == revoked_at
    revocations = store.events_named(ApiKeyRevoked.name)
    assert [e.payload for e in revocations] == [{"api_key_id": key_id, "revoked_by": actor.user_id}]


async def test_admin_revokes_another_members_key(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    theirs = await new_key(acme_team[Role.VIEWER], uow_factory, clock)

    await revoke_api_key(theirs, actor=acme_team[Role.ADMIN], uow_factory=uow_factory, clock=clock)

    assert store.api_keys[theirs].revoked_at == clock.now()
    assert store.events_named(ApiKeyRevoked.name)[0].payload["revoked_by"] == (
        acme_team[Role.ADMIN].user_id
    )
