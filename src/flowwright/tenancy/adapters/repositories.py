"""SQLAlchemy repositories of the tenancy context.

Every query on a tenant-owned table filters on the unit of work's tenant; the methods named
``*_any_tenant`` refuse to run outside the system scope.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flowwright.kernel.adapters.database import Scope
from flowwright.tenancy.adapters.tables import api_keys, memberships, tenants, users
from flowwright.tenancy.domain.model import ApiKey, Membership, Tenant, TenantStatus, User
from flowwright.tenancy.domain.roles import Role


class _Scoped:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self._session = session
        self._scope = scope

    @property
    def _tenant_id(self) -> str:
        if self._scope.tenant_id is None:
            raise RuntimeError("tenant-owned data needs a tenant-scoped unit of work")
        return self._scope.tenant_id

    def _require_system(self) -> None:
        if self._scope.tenant_id is not None:
            raise RuntimeError("cross-tenant lookups need the system scope")


class SqlTenantRepository(_Scoped):
    async def add(self, tenant: Tenant) -> None:
        await self._session.execute(insert(tenants).values(**_tenant_row(tenant)))

    async def get(self, tenant_id: str) -> Tenant | None:
        row = (
            (await self._session.execute(select(tenants).where(tenants.c.id == tenant_id)))
            .mappings()
            .first()
        )
        return _tenant(row) if row else None

    async def get_by_slug(self, slug: str) -> Tenant | None:
        row = (
            (await self._session.execute(select(tenants).where(tenants.c.slug == slug)))
            .mappings()
            .first()
        )
        return _tenant(row) if row else None

    async def list(self, *, ids: Sequence[str] | None = None) -> builtins.list[Tenant]:
        query = select(tenants).order_by(tenants.c.id)
        if ids is not None:
            query = query.where(tenants.c.id.in_(list(ids)))
        return [_tenant(row) for row in (await self._session.execute(query)).mappings()]

    async def update(self, tenant: Tenant) -> None:
        await self._session.execute(
            update(tenants).where(tenants.c.id == tenant.id).values(**_tenant_row(tenant))
        )


class SqlUserRepository(_Scoped):
    async def add(self, user: User) -> None:
        await self._session.execute(insert(users).values(**_user_row(user)))

    async def get(self, user_id: str) -> User | None:
        row = (
            (await self._session.execute(select(users).where(users.c.id == user_id)))
            .mappings()
            .first()
        )
        return _user(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        row = (
            (await self._session.execute(select(users).where(users.c.email == email)))
            .mappings()
            .first()
        )
        return _user(row) if row else None

    async def count(self) -> int:
        return int(
            (await self._session.execute(select(func.count()).select_from(users))).scalar_one()
        )

    async def update(self, user: User) -> None:
        await self._session.execute(
            update(users).where(users.c.id == user.id).values(**_user_row(user))
        )


class SqlMembershipRepository(_Scoped):
    async def add(self, membership: Membership) -> None:
        if membership.tenant_id != self._tenant_id:
            raise RuntimeError("membership belongs to another tenant")
        await self._session.execute(insert(memberships).values(**_membership_row(membership)))

    async def get(self, membership_id: str) -> Membership | None:
        query = select(memberships).where(
            memberships.c.id == membership_id, memberships.c.tenant_id == self._tenant_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _membership(row) if row else None

    async def get_for_user(self, user_id: str) -> Membership | None:
        query = select(memberships).where(
            memberships.c.user_id == user_id, memberships.c.tenant_id == self._tenant_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _membership(row) if row else None

    async def list(self) -> builtins.list[Membership]:
        query = (
            select(memberships)
            .where(memberships.c.tenant_id == self._tenant_id)
            .order_by(memberships.c.id)
        )
        return [_membership(row) for row in (await self._session.execute(query)).mappings()]

    async def count_with_role(self, role: str) -> int:
        query = select(func.count()).where(
            memberships.c.tenant_id == self._tenant_id, memberships.c.role == role
        )
        return int((await self._session.execute(query)).scalar_one())

    async def update(self, membership: Membership) -> None:
        await self._session.execute(
            update(memberships)
            .where(memberships.c.id == membership.id, memberships.c.tenant_id == self._tenant_id)
            .values(role=membership.role.value)
        )

    async def delete(self, membership_id: str) -> None:
        await self._session.execute(
            delete(memberships).where(
                memberships.c.id == membership_id, memberships.c.tenant_id == self._tenant_id
            )
        )

    async def list_for_user_any_tenant(self, user_id: str) -> builtins.list[Membership]:
        self._require_system()
        query = (
            select(memberships).where(memberships.c.user_id == user_id).order_by(memberships.c.id)
        )
        return [_membership(row) for row in (await self._session.execute(query)).mappings()]


class SqlApiKeyRepository(_Scoped):
    async def add(self, key: ApiKey) -> None:
        if key.tenant_id != self._tenant_id:
            raise RuntimeError("API key belongs to another tenant")
        await self._session.execute(insert(api_keys).values(**_key_row(key)))

    async def get(self, key_id: str) -> ApiKey | None:
        query = select(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.tenant_id == self._tenant_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _key(row) if row else None

    async def list(self, *, user_id: str | None = None) -> builtins.list[ApiKey]:
        query = select(api_keys).where(api_keys.c.tenant_id == self._tenant_id)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        query = query.order_by(api_keys.c.id)
        return [_key(row) for row in (await self._session.execute(query)).mappings()]

    async def update(self, key: ApiKey) -> None:
        await self._session.execute(
            update(api_keys)
            .where(api_keys.c.id == key.id, api_keys.c.tenant_id == self._tenant_id)
            .values(revoked_at=key.revoked_at, last_used_at=key.last_used_at, name=key.name)
        )

    async def get_by_prefix_any_tenant(self, prefix: str) -> ApiKey | None:
        self._require_system()
        row = (
            (await self._session.execute(select(api_keys).where(api_keys.c.prefix == prefix)))
            .mappings()
            .first()
        )
        return _key(row) if row else None


def _tenant_row(t: Tenant) -> dict[str, Any]:
    return {
        "id": t.id,
        "slug": t.slug,
        "name": t.name,
        "status": t.status.value,
        "created_at": t.created_at,
    }


def _tenant(row: RowMapping) -> Tenant:
    return Tenant(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        status=TenantStatus(row["status"]),
        created_at=row["created_at"],
    )


def _user_row(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "password_hash": u.password_hash,
        "is_admin": u.is_admin,
        "disabled": u.disabled,
        "created_at": u.created_at,
    }


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        is_admin=bool(row["is_admin"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


def _membership_row(m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "tenant_id": m.tenant_id,
        "user_id": m.user_id,
        "role": m.role.value,
        "created_at": m.created_at,
    }


def _membership(row: RowMapping) -> Membership:
    return Membership(
        id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        role=Role(row["role"]),
        created_at=row["created_at"],
    )


def _key_row(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.id,
        "tenant_id": k.tenant_id,
        "user_id": k.user_id,
        "name": k.name,
        "prefix": k.prefix,
        "secret_hash": k.secret_hash,
        "role": k.role.value,
        "created_at": k.created_at,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "last_used_at": k.last_used_at,
    }


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        name=row["name"],
        prefix=row["prefix"],
        secret_hash=row["secret_hash"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )
