"""Use cases on API keys: shown once, stored hashed, scoped to a tenant and a role, revocable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from flowwright.kernel.ids import new_id
from flowwright.tenancy.application.ports import TenancyUnitOfWorkFactory
from flowwright.tenancy.domain.api_key_secret import issue_secret
from flowwright.tenancy.domain.events import ApiKeyCreated, ApiKeyRevoked
from flowwright.tenancy.domain.model import ApiKey
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission, Role

MAX_KEY_LIFETIME = timedelta(days=3650)

_KeyGetter = Callable[[str], Awaitable[ApiKey | None]]


@dataclass(frozen=True)
class CreateApiKey:
    name: str
    role: Role | None = None  # None = the creator's own role
    expires_in: timedelta | None = None


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    plaintext: str  # returned once, never stored


async def create_api_key(
    cmd: CreateApiKey,
    *,
    actor: Principal,
    uow_factory: TenancyUnitOfWorkFactory,
    clock: Clock,
) -> CreatedApiKey:
    actor.require(Permission.API_KEYS_OWN)
    role = cmd.role or actor.role
    if not actor.role.at_least(role):
        raise PermissionDenied(f"a {actor.role} cannot create a key with the role '{role}'")
    name = cmd.name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("key name must have 1-100 characters", details={"field": "name"})
    if cmd.expires_in is not None and not timedelta(0) < cmd.expires_in <= MAX_KEY_LIFETIME:
        raise ValidationFailed(
            "expiry must be in the future and within 10 years", details={"field": "expires_in_days"}
        )
    now = clock.now()
    secret = issue_secret()
    key = ApiKey(
        id=new_id(),
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        name=name,
        prefix=secret.prefix,
        secret_hash=secret.digest,
        role=role,
        created_at=now,
        expires_at=now + cmd.expires_in if cmd.expires_in else None,
    )
    async with uow_factory(actor.tenant_id) as uow:
        await uow.api_keys.add(key)
        uow.emit(
            ApiKeyCreated(
                tenant_id=actor.tenant_id,
                api_key_id=key.id,
                prefix=key.prefix,
                role=str(role),
                created_by=actor.user_id,
            )
        )
        await uow.commit()
    return CreatedApiKey(key=key, plaintext=secret.plaintext)


async def list_api_keys(*, actor: Principal, uow_factory: TenancyUnitOfWorkFactory) -> list[ApiKey]:
    """Admins see every key of the tenant; others see their own."""
    actor.require(Permission.API_KEYS_OWN)
    manage_all = actor.allows(Permission.API_KEYS_MANAGE)
    async with uow_factory(actor.tenant_id) as uow:
        return await uow.api_keys.list(user_id=None if manage_all else actor.user_id)


async def get_api_key(
    key_id: str, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory
) -> ApiKey:
    actor.require(Permission.API_KEYS_OWN)
    async with uow_factory(actor.tenant_id) as uow:
        return await _visible_key(key_id, actor, uow.api_keys.get)


async def revoke_api_key(
    key_id: str, *, actor: Principal, uow_factory: TenancyUnitOfWorkFactory, clock: Clock
) -> ApiKey:
    actor.require(Permission.API_KEYS_OWN)
    async with uow_factory(actor.tenant_id) as uow:
        key = await _visible_key(key_id, actor, uow.api_keys.get)
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            await uow.api_keys.update(key)
            uow.emit(
                ApiKeyRevoked(
                    tenant_id=actor.tenant_id, api_key_id=key.id, revoked_by=actor.user_id
                )
            )
            await uow.commit()
        return key


async def _visible_key(key_id: str, actor: Principal, get: _KeyGetter) -> ApiKey:
    key = await get(key_id)
    if key is None:
        raise NotFound("API key not found")
    if key.user_id != actor.user_id and not actor.allows(Permission.API_KEYS_MANAGE):
        # Other members' keys are invisible, not forbidden: existence leaks nothing.
        raise NotFound("API key not found")
    return key
