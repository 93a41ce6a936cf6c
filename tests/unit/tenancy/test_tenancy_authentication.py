from __future__ import annotations

from datetime import timedelta

import pytest

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import AuthenticationFailed
from flowwright.tenancy.adapters.fakes import FakePasswordHasher, FakeTokenService
from flowwright.tenancy.adapters.memory import (
    InMemoryTenancyStore,
    InMemoryTenancyUnitOfWorkFactory,
)
from flowwright.tenancy.application.api_keys import (
    CreateApiKey,
    CreatedApiKey,
    create_api_key,
    revoke_api_key,
)
from flowwright.tenancy.application.authentication import (
    BAD_CREDENTIALS,
    Login,
    authenticate_api_key,
    authenticate_token,
    login,
)
from flowwright.tenancy.application.members import (
    AddMember,
    add_member,
    change_role,
    remove_member,
)
from flowwright.tenancy.domain.model import Tenant, TenantStatus
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

Team = dict[Role, Principal]


class CountingHasher(FakePasswordHasher):
    def __init__(self) -> None:
        self.verifications = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return super().verify(password_hash, password)


async def do_login(
    email: str,
    password: str,
    *,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    tenant: str | None = None,
) -> tuple[str, str]:
    """Log in and return the (user id, tenant id) the issued token speaks for."""
    access = await login(
        Login(email=email, password=password, tenant=tenant),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )
    assert access.expires_in == tokens.ttl_seconds
    user_id, tenant_id = tokens.verify(access.token, now=clock.now())
    assert tenant_id == access.tenant_id
    return user_id, tenant_id


def membership_id(store: InMemoryTenancyStore, who: Principal) -> str:
    return next(
        m.id
        for m in store.memberships.values()
        if m.user_id == who.user_id and m.tenant_id == who.tenant_id
    )


@pytest.fixture
async def editor_in_both(
    acme_team: Team,
    globex_owner: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    clock: FixedClock,
) -> Principal:
    """acme's editor, who has since also joined globex as a viewer."""
    await add_member(
        AddMember(email="editor@acme.test", role=Role.VIEWER),
        actor=globex_owner,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )
    return acme_team[Role.EDITOR]


# login


async def test_login_picks_the_first_tenant_the_user_joined(
    editor_in_both: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    password: str,
) -> None:
    signed_in = await do_login(
        " Editor@ACME.test ",
        password,
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )

    assert signed_in == (editor_in_both.user_id, editor_in_both.tenant_id)


async def test_login_skips_suspended_tenants(
    editor_in_both: Principal,
    acme: Tenant,
    globex: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    store.tenants[acme.id].status = TenantStatus.SUSPENDED

    signed_in = await do_login(
        "editor@acme.test",
        password,
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )

    assert signed_in == (editor_in_both.user_id, globex.id)


@pytest.mark.parametrize("choose", ["slug", "id"])
async def test_login_into_a_chosen_tenant_by_slug_or_id(
    choose: str,
    editor_in_both: Principal,
    globex: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    password: str,
) -> None:
    chosen = globex.slug if choose == "slug" else globex.id

    signed_in = await do_login(
        "editor@acme.test",
        password,
        tenant=chosen,
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )

    assert signed_in == (editor_in_both.user_id, globex.id)


async def test_login_into_a_tenant_the_user_is_not_a_member_of_fails(
    acme_team: Team,
    globex: Tenant,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    password: str,
) -> None:
    with pytest.raises(AuthenticationFailed, match="globex"):
        await do_login(
            "viewer@acme.test",
            password,
            tenant="globex",
            uow_factory=uow_factory,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
        )


async def test_login_into_a_suspended_tenant_fails(
    acme: Tenant,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    store.tenants[acme.id].status = TenantStatus.SUSPENDED

    with pytest.raises(AuthenticationFailed, match="active tenant"):
        await do_login(
            "viewer@acme.test",
            password,
            uow_factory=uow_factory,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
        )


async def test_wrong_password_and_unknown_email_fail_alike(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    tokens: FakeTokenService,
    clock: FixedClock,
    password: str,
) -> None:
    hasher = CountingHasher()
    messages = []
    for email, attempt in [
        ("viewer@acme.test", password + "x"),
        ("nobody@acme.test", password),
        ("not an email", password),
    ]:
        with pytest.raises(AuthenticationFailed) as raised:
            await do_login(
                email, attempt, uow_factory=uow_factory, hasher=hasher, tokens=tokens, clock=clock
            )
        messages.append(raised.value.message)

    assert messages == [BAD_CREDENTIALS] * 3
    # The unknown email still costs a hash verification, like a wrong password.
    assert hasher.verifications == 2


async def test_disabled_user_cannot_log_in(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    store.users[acme_team[Role.VIEWER].user_id].disabled = True

    with pytest.raises(AuthenticationFailed) as raised:
        await do_login(
            "viewer@acme.test",
            password,
            uow_factory=uow_factory,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
        )

    assert raised.value.message == BAD_CREDENTIALS


async def test_user_without_a_password_cannot_log_in(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
) -> None:
    await add_member(
        AddMember(email="invitee@acme.test", role=Role.VIEWER),
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )

    with pytest.raises(AuthenticationFailed) as raised:
        await do_login(
            "invitee@acme.test",
            "",
            uow_factory=uow_factory,
            hasher=hasher,
            tokens=tokens,
            clock=clock,
        )

    assert raised.value.message == BAD_CREDENTIALS


# authenticate_token


async def test_token_resolves_to_the_current_membership_role(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    viewer = acme_team[Role.VIEWER]
    access = await login(
        Login(email="viewer@acme.test", password=password),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )

    principal = await authenticate_token(
        access.token, uow_factory=uow_factory, tokens=tokens, clock=clock
    )
    assert principal == Principal(
        user_id=viewer.user_id,
        tenant_id=viewer.tenant_id,
        role=Role.VIEWER,
        is_admin=False,
        via="token",
    )

    await change_role(
        membership_id(store, viewer),
        Role.EDITOR,
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
    )
    principal = await authenticate_token(
        access.token, uow_factory=uow_factory, tokens=tokens, clock=clock
    )
    assert principal.role is Role.EDITOR


async def test_token_of_a_removed_member_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    viewer = acme_team[Role.VIEWER]
    access = await login(
        Login(email="viewer@acme.test", password=password),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )
    await remove_member(
        membership_id(store, viewer),
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
        clock=clock,
    )

    with pytest.raises(AuthenticationFailed):
        await authenticate_token(access.token, uow_factory=uow_factory, tokens=tokens, clock=clock)


async def test_expired_token_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    password: str,
) -> None:
    access = await login(
        Login(email="viewer@acme.test", password=password),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )
    clock.advance(timedelta(seconds=access.expires_in))

    with pytest.raises(AuthenticationFailed, match="expired"):
        await authenticate_token(access.token, uow_factory=uow_factory, tokens=tokens, clock=clock)


@pytest.mark.parametrize("change", ["suspend tenant", "disable user"])
async def test_token_stops_working_when_tenant_is_suspended_or_user_disabled(
    change: str,
    acme: Tenant,
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    hasher: FakePasswordHasher,
    tokens: FakeTokenService,
    clock: FixedClock,
    store: InMemoryTenancyStore,
    password: str,
) -> None:
    access = await login(
        Login(email="viewer@acme.test", password=password),
        uow_factory=uow_factory,
        hasher=hasher,
        tokens=tokens,
        clock=clock,
    )
    if change == "suspend tenant":
        store.tenants[acme.id].status = TenantStatus.SUSPENDED
    else:
        store.users[acme_team[Role.VIEWER].user_id].disabled = True

    with pytest.raises(AuthenticationFailed):
        await authenticate_token(access.token, uow_factory=uow_factory, tokens=tokens, clock=clock)


# authenticate_api_key


async def make_key(
    actor: Principal,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    *,
    role: Role | None = None,
    expires_in: timedelta | None = None,
) -> CreatedApiKey:
    return await create_api_key(
        CreateApiKey(name="ci", role=role, expires_in=expires_in),
        actor=actor,
        uow_factory=uow_factory,
        clock=clock,
    )


async def test_api_key_acts_with_its_own_role_when_lower_than_the_members(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    editor = acme_team[Role.EDITOR]
    created = await make_key(editor, uow_factory, clock, role=Role.OPERATOR)

    principal = await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)

    assert principal == Principal(
        user_id=editor.user_id,
        tenant_id=editor.tenant_id,
        role=Role.OPERATOR,
        is_admin=False,
        via="api_key",
        api_key_id=created.key.id,
    )


async def test_api_key_is_capped_by_the_members_current_role(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    admin_member = acme_team[Role.ADMIN]
    created = await make_key(admin_member, uow_factory, clock)
    await change_role(
        membership_id(store, admin_member),
        Role.VIEWER,
        actor=acme_team[Role.OWNER],
        uow_factory=uow_factory,
    )

    principal = await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)

    assert created.key.role is Role.ADMIN
    assert principal.role is Role.VIEWER


async def test_api_key_carries_the_installation_admin_flag(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    owner = acme_team[Role.OWNER]
    store.users[owner.user_id].is_admin = True
    created = await make_key(owner, uow_factory, clock)

    principal = await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)

    assert principal.is_admin


async def test_revoked_api_key_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    editor = acme_team[Role.EDITOR]
    created = await make_key(editor, uow_factory, clock)
    await revoke_api_key(created.key.id, actor=editor, uow_factory=uow_factory, clock=clock)

    with pytest.raises(AuthenticationFailed, match="revoked or expired"):
        await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)


async def test_expired_api_key_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    created = await make_key(
        acme_team[Role.EDITOR], uow_factory, clock, expires_in=timedelta(days=1)
    )
    clock.advance(timedelta(hours=23))
    await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)

    clock.advance(timedelta(hours=1))
    with pytest.raises(AuthenticationFailed, match="revoked or expired"):
        await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)


async def test_removed_members_api_key_is_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    editor = acme_team[Role.EDITOR]
    created = await make_key(editor, uow_factory, clock)

    await remove_member(
        membership_id(store, editor),
        actor=acme_team[Role.ADMIN],
        uow_factory=uow_factory,
        clock=clock,
    )

    with pytest.raises(AuthenticationFailed):
        await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)


async def test_api_key_without_a_membership_is_refused_even_if_not_revoked(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
    store: InMemoryTenancyStore,
) -> None:
    editor = acme_team[Role.EDITOR]
    created = await make_key(editor, uow_factory, clock)
    del store.memberships[membership_id(store, editor)]

    with pytest.raises(AuthenticationFailed, match="no longer valid"):
        await authenticate_api_key(created.plaintext, uow_factory=uow_factory, clock=clock)


async def test_malformed_unknown_and_tampered_api_keys_are_refused(
    acme_team: Team,
    uow_factory: InMemoryTenancyUnitOfWorkFactory,
    clock: FixedClock,
) -> None:
    created = await make_key(acme_team[Role.EDITOR], uow_factory, clock)
    prefix = created.key.prefix
    tail = created.plaintext[-1]
    tampered = created.plaintext[:-1] + ("A" if tail != "A" else "B")
    unknown = f"fwk_{'z' * 10}_{'a' * 43}" if prefix != "z" * 10 else f"fwk_{'y' * 10}_{'a' * 43}"

    with pytest.raises(AuthenticationFailed, match="malformed"):
        await authenticate_api_key("fwk_nope", uow_factory=uow_factory, clock=clock)
    with pytest.raises(AuthenticationFailed, match="invalid API key"):
        await authenticate_api_key(unknown, uow_factory=uow_factory, clock=clock)
    with pytest.raises(AuthenticationFailed, match="invalid API key"):
        await authenticate_api_key(tampered, uow_factory=uow_factory, clock=clock)
