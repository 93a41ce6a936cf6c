"""The composition root: the one place that builds adapters and wires them to use cases."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flowwright.kernel.adapters.database import create_engine
from flowwright.kernel.adapters.outbox_store import SqlOutboxStore
from flowwright.kernel.clock import Clock, SystemClock
from flowwright.kernel.messagebus import MessageBus
from flowwright.kernel.outbox import OutboxRelay
from flowwright.settings import Settings
from flowwright.tenancy.adapters.credentials import Argon2PasswordHasher, JwtTokenService
from flowwright.tenancy.adapters.unit_of_work import SqlTenancyUnitOfWorkFactory


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bus: MessageBus
    outbox_store: SqlOutboxStore
    relay: OutboxRelay
    tenancy: SqlTenancyUnitOfWorkFactory
    hasher: Argon2PasswordHasher
    tokens: JwtTokenService
    extras: dict[str, object] = field(default_factory=dict)

    async def aclose(self) -> None:
        await self.engine.dispose()


def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    session_factory = async_sessionmaker(engine, expire_on_commit=False)
    role = settings.postgres_app_role
    bus = MessageBus()
    outbox_store = SqlOutboxStore(session_factory, role)
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        session_factory=session_factory,
        bus=bus,
        outbox_store=outbox_store,
        relay=OutboxRelay(outbox_store, bus, clock),
        tenancy=SqlTenancyUnitOfWorkFactory(session_factory, clock, role),
        hasher=Argon2PasswordHasher(),
        tokens=JwtTokenService(
            settings.jwt_secret or _local_secret(settings.data_dir / "jwt-secret"),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.jwt_ttl_seconds,
        ),
    )


def _local_secret(path: Path) -> str:
    """The signing key of a single-node installation, made once and kept in the data directory."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another role of this installation made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
