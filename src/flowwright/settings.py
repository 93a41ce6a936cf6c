"""Installation settings: ``FLOWWRIGHT_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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

    http_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Internal hosts (host or host:port) that http steps may call; all others "
        "on loopback, private, link-local or metadata addresses are refused.",
    )
    worker_concurrency: int = Field(default=16, ge=1, le=1000)
    worker_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="How often a worker looks for work it was not told of (timers, SQLite).",
    )
    lease_seconds: float = Field(default=30.0, ge=1.0, description="Step lease duration.")
    tenant_max_active_runs: int = Field(default=100, ge=1)
    tenant_max_running_steps: int = Field(default=32, ge=1)
    max_step_output_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)

    secrets_keys: SecretStr | None = Field(
        default=None,
        description="Keys for tenant secrets: 'key_id:base64key' separated by commas, the first "
        "one current; unset = a key generated once into the data directory.",
    )
    llm_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Internal hosts (host or host:port, comma-separated) that LLM provider base "
        "URLs may reach, e.g. a local Ollama; all other private addresses are refused.",
    )

    llm_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process reuses a tenant's model catalog, budget counters and "
        "provider API keys; changes made through the same process apply at once.",
    )

    designer_model_alias: str = Field(
        default="designer",
        description="The model alias the workflow designer asks (map it with `llm alias set`).",
    )
    designer_repair_rounds: int = Field(
        default=3,
        ge=0,
        le=10,
        description="How many times the designer may repair a draft the compiler rejected.",
    )
    designer_examples_dir: Path | None = Field(
        default=None,
        description="Example workflows the designer learns from; defaults to those shipped "
        "with the package.",
    )

    @field_validator("llm_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'flowwright.db').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
