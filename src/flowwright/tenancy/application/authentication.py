"""Authentication: password login, access tokens and API keys, each resolved to a Principal.

Roles are read from the current membership on every request, never trusted from the token, so a
changed role or a removed member takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AuthenticationFailed
from flowwright.tenancy.application.ports import (
    PasswordHasher,
    TenancyUnitOfWork,
    TenancyUnitOfWorkFactory,
    TokenService,
)
from flowwright.tenancy.domain import api_key_secret
from flowwright.tenancy.domain.model import TenantStatus, normalize_email
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

# Verified against when the email is unknown, so both paths cost one hash verification and response
# time does not reveal which emails exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$btE6nDrR+gtYU2JP4NjwNw$"
    "9kmmCKJ75w0zOZqLkBlSk5aDxwKcGWhSqS546MfCq3o"
)

BAD_CREDENTIALS = "invalid email or password"


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    tenant: str | None = None  # slug or id; None = the user's first tenant


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    tenant_id: str


async def login(
    cmd: Login,
    *,
    uow_factory: TenancyUnitOfWorkFactory,
    hasher: PasswordHasher,
    tokens: TokenService,
    clock: Clock,
) -> AccessToken:
    try:
        email = normalize_email(cmd.email)
    except Exception as exc:
        raise AuthenticationFailed(BAD_CREDENTIALS) from exc
    async with uow_factory(None) as uow:
        user = await uow.users.get_by_email(email)
        stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
        valid = hasher.verify(stored, cmd.password)
        if user is None or user.disabled or user.password_hash is None or not valid:
            raise AuthenticationFailed(BAD_CREDENTIALS)
        memberships = await uow.memberships.list_for_user_any_tenant(user.id)
        for membership in memberships:
            tenant = await uow.tenants.get(membership.tenant_id)
            if tenant is None or tenant.status is not TenantStatus.ACTIVE:
                continue
            if cmd.tenant in (None, tenant.slug, tenant.id):
                token, ttl = tokens.issue(user_id=user.id, tenant_id=tenant.id, now=clock.now())
                return AccessToken(token=token, expires_in=ttl, tenant_id=tenant.id)
    if cmd.tenant is not None:
        raise AuthenticationFailed(f"you are not a member of an active tenant '{cmd.tenant}'")
    raise AuthenticationFailed("you are not a member of any active tenant")


async def authenticate_token(
    token: str, *, uow_factory: TenancyUnitOfWorkFactory, tokens: TokenService, clock: Clock
) -> Principal:
    user_id, tenant_id = tokens.verify(token, now=clock.now())
    async with uow_factory(None) as uow:
        role, is_admin = await _current_role(uow, user_id, tenant_id)
    return Principal(
        user_id=user_id, tenant_id=tenant_id, role=role, is_admin=is_admin, via="token"
    )


async def authenticate_api_key(
    plaintext: str, *, uow_factory: TenancyUnitOfWorkFactory, clock: Clock
) -> Principal:
    parts = api_key_secret.split_key(plaintext)
    if parts is None:
        raise AuthenticationFailed("malformed API key")
    prefix, secret = parts
    now = clock.now()
    async with uow_factory(None) as uow:
        key = await uow.api_keys.get_by_prefix_any_tenant(prefix)
        if key is None or not api_key_secret.matches(secret, key.secret_hash):
            raise AuthenticationFailed("invalid API key")
        if not key.is_usable(now):
            raise AuthenticationFailed("API key revoked or expired")
        role, is_admin = await _current_role(uow, key.user_id, key.tenant_id)
    return Principal(
        user_id=key.user_id,
        tenant_id=key.tenant_id,
        role=Role.lowest(role, key.role),
        is_admin=is_admin,
        via="api_key",
        api_key_id=key.id,
    )


async def _current_role(uow: TenancyUnitOfWork, user_id: str, tenant_id: str) -> tuple[Role, bool]:
    user = await uow.users.get(user_id)
    tenant = await uow.tenants.get(tenant_id)
    if user is None or user.disabled or tenant is None or tenant.status is not TenantStatus.ACTIVE:
        raise AuthenticationFailed("credentials no longer valid")
    memberships = await uow.memberships.list_for_user_any_tenant(user_id)
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership.role, user.is_admin
    raise AuthenticationFailed("credentials no longer valid")
