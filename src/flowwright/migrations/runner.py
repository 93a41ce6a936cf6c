"""Run migrations from code: upgrade, downgrade, and ask whether the schema is current.

Alembic's environment drives its own event loop, so from async code call these through
``asyncio.to_thread``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from flowwright.migrations.rls import DEFAULT_APP_ROLE

_HERE = Path(__file__).parent


def alembic_config(database_url: str, *, app_role: str = DEFAULT_APP_ROLE) -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["app_role"] = app_role
    return config


def upgrade(database_url: str, revision: str = "head", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    command.upgrade(alembic_config(database_url, app_role=app_role), revision)


def downgrade(
    database_url: str, revision: str = "base", *, app_role: str = DEFAULT_APP_ROLE
) -> None:
    command.downgrade(alembic_config(database_url, app_role=app_role), revision)


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def is_current(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
