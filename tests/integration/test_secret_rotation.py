"""Key rotation re-encrypts every tenant's secrets with the current key; old keys still decrypt
until then, and a removed key makes its secrets unreadable (never silently wrong)."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from flowwright.kernel.adapters.database import create_engine
from flowwright.kernel.clock import SystemClock
from flowwright.migrations import runner
from flowwright.tenancy.adapters.credentials import Argon2PasswordHasher
from flowwright.tenancy.adapters.secret_cipher import AesGcmSecretCipher, parse_keys
from flowwright.tenancy.adapters.unit_of_work import SqlTenancyUnitOfWorkFactory
from flowwright.tenancy.application.secrets import reveal_secret, rotate_secrets, set_secret
from flowwright.tenancy.application.tenants import CreateTenant, create_tenant
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role
from flowwright.tenancy.domain.secrets import SecretUnreadable
from llm_helpers import query
from testkit import EmptyDatabase


def _key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _cipher(*items: str) -> AesGcmSecretCipher:
    return AesGcmSecretCipher(parse_keys(",".join(items)))


async def _seed(url: str, cipher: AesGcmSecretCipher) -> list[str]:
    """Two tenants with secrets sealed under ``cipher``; returns the tenant ids."""
    engine = create_engine(url)
    try:
        clock = SystemClock()
        factory = SqlTenancyUnitOfWorkFactory(async_sessionmaker(engine), clock, "flowwright_app")
        tenant_ids = []
        for slug in ("rot-a", "rot-b"):
            tenant = await create_tenant(
                CreateTenant(slug=slug, name=slug),
                actor=None,
                uow_factory=factory,
                hasher=Argon2PasswordHasher(),
                clock=clock,
            )
            owner = Principal(
                user_id="u", tenant_id=tenant.id, role=Role.OWNER, is_admin=False, via="token"
            )
            for name in ("API_KEY", "TOKEN"):
                await set_secret(
                    name,
                    f"{slug}-{name}-value",
                    actor=owner,
                    uow_factory=factory,
                    cipher=cipher,
                    clock=clock,
                )
            tenant_ids.append(tenant.id)
        return tenant_ids
    finally:
        await engine.dispose()


async def _reveal(url: str, cipher: AesGcmSecretCipher, tenant_id: str, name: str) -> str | None:
    engine = create_engine(url)
    try:
        factory = SqlTenancyUnitOfWorkFactory(
            async_sessionmaker(engine), SystemClock(), "flowwright_app"
        )
        return await reveal_secret(tenant_id, name, uow_factory=factory, cipher=cipher)
    finally:
        await engine.dispose()


async def _rotate(url: str, cipher: AesGcmSecretCipher) -> int:
    engine = create_engine(url)
    try:
        factory = SqlTenancyUnitOfWorkFactory(
            async_sessionmaker(engine), SystemClock(), "flowwright_app"
        )
        return await rotate_secrets(uow_factory=factory, cipher=cipher)
    finally:
        await engine.dispose()


def test_rotation_reencrypts_every_secret_under_the_current_key(
    empty_database: EmptyDatabase,
) -> None:
    url = empty_database.url
    runner.upgrade(url)
    old, new = _key("old"), _key("new")
    tenant_a, _ = asyncio.run(_seed(url, _cipher(old)))

    both = _cipher(new, old)
    assert asyncio.run(_reveal(url, both, tenant_a, "API_KEY")) == "rot-a-API_KEY-value"
    assert asyncio.run(_rotate(url, both)) == 4
    assert asyncio.run(_rotate(url, both)) == 0  # nothing left to do: safe to run again

    assert {row["key_id"] for row in query(url, "SELECT key_id FROM secrets")} == {"new"}
    only_new = _cipher(new)
    assert asyncio.run(_reveal(url, only_new, tenant_a, "TOKEN")) == "rot-a-TOKEN-value"
    with pytest.raises(SecretUnreadable):
        asyncio.run(_reveal(url, _cipher(old), tenant_a, "TOKEN"))


def test_rotate_key_command_adds_a_key_file_key_and_reencrypts(
    empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    url = empty_database.url
    runner.upgrade(url)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = _key("local-first")
    (data_dir / "secrets.key").write_text(first + "\n")
    asyncio.run(_seed(url, _cipher(first)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    env.update({"FLOWWRIGHT_DATABASE_URL": url, "FLOWWRIGHT_DATA_DIR": str(data_dir)})

    result = subprocess.run(
        [sys.executable, "-m", "flowwright", "secrets", "rotate-key", "--new-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "re-encrypted 4 secret(s)" in result.stdout
    lines = (data_dir / "secrets.key").read_text().splitlines()
    assert len(lines) == 2 and lines[1] == first  # the old key stays, to decrypt
    new_id = lines[0].split(":", 1)[0]
    assert {row["key_id"] for row in query(url, "SELECT key_id FROM secrets")} == {new_id}
    assert oct((data_dir / "secrets.key").stat().st_mode & 0o777) == "0o600"
