"""The SQL repository of tenant secrets (ciphertexts only; values never touch the database)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update

from flowwright.tenancy.adapters.repositories import _Scoped
from flowwright.tenancy.adapters.tables import secrets
from flowwright.tenancy.domain.secrets import SealedValue, Secret


class SqlSecretRepository(_Scoped):
    async def add(self, secret: Secret) -> None:
        if secret.tenant_id != self._tenant_id:
            raise RuntimeError("secret belongs to another tenant")
        await self._session.execute(insert(secrets).values(**_row(secret)))

    async def update(self, secret: Secret) -> None:
        await self._session.execute(
            update(secrets)
            .where(secrets.c.tenant_id == self._tenant_id, secrets.c.name == secret.name)
            .values(**_sealed_row(secret.sealed), updated_at=secret.updated_at)
        )

    async def get(self, name: str) -> Secret | None:
        query = select(secrets).where(
            secrets.c.tenant_id == self._tenant_id, secrets.c.name == name
        )
        row = (await self._session.execute(query)).mappings().first()
        return _secret(row) if row else None

    async def list(self) -> builtins.list[Secret]:
        query = (
            select(secrets).where(secrets.c.tenant_id == self._tenant_id).order_by(secrets.c.name)
        )
        return [_secret(row) for row in (await self._session.execute(query)).mappings()]

    async def delete(self, name: str) -> bool:
        result = await self._session.execute(
            delete(secrets).where(secrets.c.tenant_id == self._tenant_id, secrets.c.name == name)
        )
        return bool(getattr(result, "rowcount", 0))

    async def list_sealed_with_other_key_any_tenant(
        self, key_id: str, *, limit: int
    ) -> builtins.list[Secret]:
        self._require_system()
        query = (
            select(secrets).where(secrets.c.key_id != key_id).order_by(secrets.c.id).limit(limit)
        )
        return [_secret(row) for row in (await self._session.execute(query)).mappings()]

    async def reseal_any_tenant(self, secret_id: str, sealed: SealedValue) -> None:
        self._require_system()
        await self._session.execute(
            update(secrets).where(secrets.c.id == secret_id).values(**_sealed_row(sealed))
        )


def _sealed_row(sealed: SealedValue) -> dict[str, Any]:
    return {"ciphertext": sealed.ciphertext, "nonce": sealed.nonce, "key_id": sealed.key_id}


def _row(secret: Secret) -> dict[str, Any]:
    return {
        "id": secret.id,
        "tenant_id": secret.tenant_id,
        "name": secret.name,
        **_sealed_row(secret.sealed),
        "created_at": secret.created_at,
        "updated_at": secret.updated_at,
        "created_by": secret.created_by,
    }


def _secret(row: RowMapping) -> Secret:
    return Secret(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        sealed=SealedValue(
            ciphertext=bytes(row["ciphertext"]), nonce=bytes(row["nonce"]), key_id=row["key_id"]
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        created_by=row["created_by"],
    )
