"""Installation settings: ``FLOWWRIGHT_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLOWWRIGHT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path(".flowwright"), description="Where local state lives.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; defaults to a SQLite file in the data directory.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8420, ge=1, le=65535)
    public_url: str | None = Field(default=None, description="URL printed for people and the CLI.")

    jwt_secret: str | None = Field(
        default=None, description="HS256 signing key; generated into the data directory if unset."
    )
    jwt_issuer: str = "flowwright"
    jwt_audience: str = "flowwright-api"
    jwt_ttl_seconds: int = Field(default=3600 * 12, ge=60)

    max_request_bytes: int = Field(default=1_048_576, ge=1024, description="Largest accepted body.")
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")
    log_level: str = "INFO"

    postgres_app_role: str = Field(
        default="flowwright_app",
        description="Role assumed per transaction on PostgreSQL so row-level security applies.",
    )
    outbox_retention_hours: int = Field(default=72, ge=1)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'flowwright.db').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
