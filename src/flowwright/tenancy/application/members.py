"""Use cases on the members of a tenant: users and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AlreadyExists, NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.application.ports import (
    PasswordHasher,
    TenancyUnitOfWork,
    TenancyUnitOfWorkFactory,
)
from flowwright.tenancy.domain.events import MemberAdded, MemberRemoved, MemberRoleChanged
from flowwright.tenancy.domain.model import (
    Membership,
    User,
    check_password_strength,
    normalize_email,
)
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission, Role


@dataclass(frozen=True)
class AddMember:
    email: str
    role: Role
    password: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Member:
    """Read model: a membership with the user's public fields."""

    membership_id: str
    user_id: str
    email: str
    display_name: str
    role: Role
    created_at: str


def _check_can_grant(actor: Principal, role: Role) -> None:
    actor.require(Permission.MEMBERS_MANAGE)
    if not actor.role.at_least(role):
        raise PermissionDenied(f"a {actor.role} cannot grant the role '{role}'")


async def add_member(
    cmd: AddMember,
    *,
    actor: Principal,
    uow_factory: TenancyUnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: Clock,
) -> Member:
    _check_can_grant(actor, cmd.role)
    return await add_member_in(
        actor.tenant_id,
        cmd,
        added_by=actor.user_id,
        uow_factory=uow_factory,
        hasher=hasher,
        clock=clock,
    )


async def add_member_in(
    tenant_id: str,
    cmd: AddMember,
    *,
    added_by: str | None,
    uow_factory: TenancyUnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: Clock,
) -> Member:
    """Add a member to ``tenant_id``, creating the user when the email is new."""
    email = normalize_email(cmd.email)
    if cmd.password is not None:
        check_password_strength(cmd.password)
    display_name = (cmd.display_name or email.split("@", 1)[0]).strip()[:200]
    password_hash = hasher.hash(cmd.password) if cmd.password else None
    async with uow_factory(tenant_id) as uow:
        user = await uow.users.get_by_email(email)
        if user is None:
            user = User(
                id=new_id(),
                email=email,
                display_name=display_name,
                created_at=clock.now(),
                password_hash=password_hash,
            )
            await uow.users.add(user)
        elif await uow.memberships.get_for_user(user.id) is not None:
            raise AlreadyExists(f"{email} is already a member of this tenant")
        membership = Membership(
            id=new_id(), tenant_id=tenant_id, user_id=user.id, role=cmd.role, created_at=clock.now()
        )
        await uow.memberships.add(membership)
        uow.emit(
            MemberAdded(tenant_id=tenant_id, user_id=user.id, role=str(cmd.role), added_by=added_by)
        )
        await uow.commit()
    return _member(membership, user)


async def list_members(*, actor: Principal, uow_factory: TenancyUnitOfWorkFactory) -> list[Member]:
    actor.require(Permission.MEMBERS_READ)
    async with uow_factory(actor.tenant_id) as uow:
        members = []
        for membership in await uow.memberships.list():
            user = await uow.users.get(membership.user_id)
            if user is not None:
                members.append(_member(membership, user))
        return members


async def get_member(
    membership_id: str, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory
) -> Member:
    actor.require(Permission.MEMBERS_READ)
    async with uow_factory(actor.tenant_id) as uow:
        membership = await uow.memberships.get(membership_id)
        user = await uow.users.get(membership.user_id) if membership else None
        if membership is None or user is None:
            raise NotFound("member not found")
        return _member(membership, user)


async def change_role(
    membership_id: str,
    role: Role,
    *,
    actor: Principal,
    uow_factory: TenancyUnitOfWorkFactory,
) -> Member:
    _check_can_grant(actor, role)
    async with uow_factory(actor.tenant_id) as uow:
        membership = await uow.memberships.get(membership_id)
        user = await uow.users.get(membership.user_id) if membership else None
        if membership is None or user is None:
            raise NotFound("member not found")
        if not actor.role.at_least(membership.role):
            raise PermissionDenied(f"a {actor.role} cannot change the role of a {membership.role}")
        if membership.role is Role.OWNER and role is not Role.OWNER:
            await _keep_an_owner(uow)
        membership.role = role
        await uow.memberships.update(membership)
        uow.emit(
            MemberRoleChanged(
                tenant_id=actor.tenant_id, user_id=user.id, role=str(role), changed_by=actor.user_id
            )
        )
        await uow.commit()
        return _member(membership, user)


async def remove_member(
    membership_id: str, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory, clock: Clock
) -> None:
    actor.require(Permission.MEMBERS_MANAGE)
    async with uow_factory(actor.tenant_id) as uow:
        membership = await uow.memberships.get(membership_id)
        if membership is None:
            raise NotFound("member not found")
        if not actor.role.at_least(membership.role):
            raise PermissionDenied(f"a {actor.role} cannot remove a {membership.role}")
        if membership.role is Role.OWNER:
            await _keep_an_owner(uow)
        await uow.memberships.delete(membership.id)
        # Keys act for their user in this tenant; they stop working with the membership.
        for key in await uow.api_keys.list(user_id=membership.user_id):
            if key.revoked_at is None:
                key.revoked_at = clock.now()
                await uow.api_keys.update(key)
        uow.emit(
            MemberRemoved(
                tenant_id=actor.tenant_id, user_id=membership.user_id, removed_by=actor.user_id
            )
        )
        await uow.commit()


async def _keep_an_owner(uow: TenancyUnitOfWork) -> None:
    if await uow.memberships.count_with_role(Role.OWNER.value) <= 1:
        raise ValidationFailed("a tenant must keep at least one owner")


def _member(membership: Membership, user: User) -> Member:
    return Member(
        membership_id=membership.id,
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=membership.role,
        created_at=membership.created_at.isoformat(),
    )
