"""Use cases on tenant secrets: set, list, delete; reveal for the platform's own use; rotate.

Values go in once and never come out through the API: reads return names and dates. Only the
composition root wires :func:`reveal_secret`, for components that must use a value (the LLM
gateway reading a provider's API key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound
from flowwright.kernel.ids import new_id
from flowwright.tenancy.application.ports import SecretCipher, SecretsUnitOfWorkFactory
from flowwright.tenancy.domain.events import SecretDeleted, SecretSet
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission
from flowwright.tenancy.domain.secrets import (
    Secret,
    associated_data,
    check_secret_name,
    check_secret_value,
)

ROTATION_BATCH = 200


@dataclass(frozen=True)
class SecretInfo:
    """Read model: everything about a secret except its value."""

    name: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None

    @classmethod
    def of(cls, secret: Secret) -> SecretInfo:
        return cls(secret.name, secret.created_at, secret.updated_at, secret.created_by)


async def set_secret(
    name: str,
    value: str,
    *,
    actor: Principal,
    uow_factory: SecretsUnitOfWorkFactory,
    cipher: SecretCipher,
    clock: Clock,
) -> tuple[SecretInfo, bool]:
    """Create or replace a secret; returns it and whether it is new."""
    actor.require(Permission.SECRETS_MANAGE)
    check_secret_name(name)
    check_secret_value(value)
    sealed = cipher.seal(value, associated_data=associated_data(actor.tenant_id, name))
    now = clock.now()
    async with uow_factory(actor.tenant_id) as uow:
        existing = await uow.secrets.get(name)
        if existing is None:
            secret = Secret(
                id=new_id(),
                tenant_id=actor.tenant_id,
                name=name,
                sealed=sealed,
                created_at=now,
                updated_at=now,
                created_by=actor.user_id,
            )
            await uow.secrets.add(secret)
        else:
            secret = existing
            secret.sealed = sealed
            secret.updated_at = now
            await uow.secrets.update(secret)
        uow.emit(
            SecretSet(
                tenant_id=actor.tenant_id,
                secret=name,
                created=existing is None,
                set_by=actor.user_id,
            )
        )
        await uow.commit()
    return SecretInfo.of(secret), existing is None


async def list_secrets(
    *, actor: Principal, uow_factory: SecretsUnitOfWorkFactory
) -> list[SecretInfo]:
    actor.require(Permission.SECRETS_READ)
    async with uow_factory(actor.tenant_id) as uow:
        return [SecretInfo.of(s) for s in await uow.secrets.list()]


async def get_secret_info(
    name: str, *, actor: Principal, uow_factory: SecretsUnitOfWorkFactory
) -> SecretInfo:
    actor.require(Permission.SECRETS_READ)
    async with uow_factory(actor.tenant_id) as uow:
        secret = await uow.secrets.get(name)
    if secret is None:
        raise NotFound(f"secret '{name}' not found")
    return SecretInfo.of(secret)


async def delete_secret(
    name: str, *, actor: Principal, uow_factory: SecretsUnitOfWorkFactory
) -> None:
    actor.require(Permission.SECRETS_MANAGE)
    async with uow_factory(actor.tenant_id) as uow:
        if not await uow.secrets.delete(name):
            raise NotFound(f"secret '{name}' not found")
        uow.emit(SecretDeleted(tenant_id=actor.tenant_id, secret=name, deleted_by=actor.user_id))
        await uow.commit()


async def reveal_secret(
    tenant_id: str,
    name: str,
    *,
    uow_factory: SecretsUnitOfWorkFactory,
    cipher: SecretCipher,
) -> str | None:
    """The value of a tenant's secret, or None when it has none of that name.

    For the platform's own components only; no route or command reveals a value.
    """
    async with uow_factory(tenant_id) as uow:
        secret = await uow.secrets.get(name)
    if secret is None:
        return None
    return cipher.open(secret.sealed, associated_data=associated_data(tenant_id, name))


async def rotate_secrets(*, uow_factory: SecretsUnitOfWorkFactory, cipher: SecretCipher) -> int:
    """Re-encrypt every secret of every tenant under the current key; returns how many.

    Runs in batches, each in its own transaction, so it can be interrupted and run again.
    """
    current = cipher.current_key_id
    rotated = 0
    while True:
        async with uow_factory(None) as uow:
            batch = await uow.secrets.list_sealed_with_other_key_any_tenant(
                current, limit=ROTATION_BATCH
            )
            for secret in batch:
                data = associated_data(secret.tenant_id, secret.name)
                plaintext = cipher.open(secret.sealed, associated_data=data)
                await uow.secrets.reseal_any_tenant(
                    secret.id, cipher.seal(plaintext, associated_data=data)
                )
            await uow.commit()
        rotated += len(batch)
        if len(batch) < ROTATION_BATCH:
            return rotated
