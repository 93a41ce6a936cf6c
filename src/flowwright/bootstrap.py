"""The composition root: the one place that builds adapters and wires them to use cases."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from flowwright.agents.adapters.address_guard import AddressGuard
from flowwright.agents.adapters.client_pool import SdkModelClients
from flowwright.agents.adapters.metrics import PrometheusGatewayMetrics
from flowwright.agents.adapters.secret_cache import CachedSecretReader
from flowwright.agents.adapters.unit_of_work import SqlAgentsUnitOfWorkFactory
from flowwright.agents.application.gateway import LLMGateway
from flowwright.conversation.adapters.unit_of_work import SqlConversationUnitOfWorkFactory
from flowwright.conversation.application.designer import DesignerServices
from flowwright.integrations.adapters.safe_http import SafeHttpClient
from flowwright.integrations.domain.address_policy import AddressPolicy
from flowwright.kernel.adapters.database import create_engine, is_sqlite
from flowwright.kernel.adapters.outbox_store import SqlOutboxStore
from flowwright.kernel.clock import Clock, SystemClock
from flowwright.kernel.errors import ValidationFailed
from flowwright.kernel.messagebus import MessageBus
from flowwright.kernel.outbox import OutboxRelay
from flowwright.settings import Settings
from flowwright.tenancy.adapters.credentials import Argon2PasswordHasher, JwtTokenService
from flowwright.tenancy.adapters.secret_cipher import AesGcmSecretCipher, load_keys
from flowwright.tenancy.adapters.unit_of_work import SqlTenancyUnitOfWorkFactory
from flowwright.tenancy.application.ports import SecretCipher, SecretsUnitOfWorkFactory
from flowwright.tenancy.application.secrets import reveal_secret
from flowwright.tenancy.domain.secrets import SecretUnreadable
from flowwright.wiring.designer import (
    GatewayDesignerModel,
    RegistryDesignGuide,
    WorkflowDesignCatalog,
    examples_dir,
)
from flowwright.wiring.language_model import GatewayLanguageModel
from flowwright.workflow.adapters.run_cache import RunCache
from flowwright.workflow.adapters.run_queue import SqlRunQueue
from flowwright.workflow.adapters.sqlite_listener import SqliteWorkListener
from flowwright.workflow.adapters.unit_of_work import SqlWorkflowUnitOfWorkFactory
from flowwright.workflow.adapters.work_listener import PgWorkListener
from flowwright.workflow.application.engine import Engine, EngineSettings
from flowwright.workflow.application.http_step import HttpStepExecutor
from flowwright.workflow.application.llm_step import LlmStepExecutor
from flowwright.workflow.application.ports import StepExecutor, WorkListener
from flowwright.workflow.application.signals import RunSignals
from flowwright.workflow.application.versions import Installation
from flowwright.workflow.application.worker import Worker
from flowwright.workflow.domain.runs.local_steps import LOCAL_TYPES


@dataclass
class LLMServices:
    """The LLM gateway and what its routes need (agents context)."""

    gateway: LLMGateway
    agents: SqlAgentsUnitOfWorkFactory
    guard: AddressGuard


class TenantSecretReader:
    """The tenancy context's secrets, as the agents context's ``SecretReader`` port."""

    def __init__(self, uow_factory: SecretsUnitOfWorkFactory, cipher: SecretCipher) -> None:
        self._uow_factory = uow_factory
        self._cipher = cipher

    async def read(self, tenant_id: str, name: str) -> str | None:
        try:
            return await reveal_secret(
                tenant_id, name, uow_factory=self._uow_factory, cipher=self._cipher
            )
        except SecretUnreadable as exc:
            raise ValidationFailed(f"secret {name} cannot be read: {exc.message}") from exc


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
    workflows: SqlWorkflowUnitOfWorkFactory
    installation: Installation
    run_engine: Engine
    run_queue: SqlRunQueue
    http: SafeHttpClient
    executors: dict[str, StepExecutor]
    secret_cipher: AesGcmSecretCipher
    llm: LLMServices
    metrics: CollectorRegistry
    designer: DesignerServices
    work_listener: WorkListener | None = None  # other processes' new work
    extras: dict[str, object] = field(default_factory=dict)

    def worker(self) -> Worker:
        return Worker(
            self.run_engine,
            self.run_queue,
            self.executors,
            self.clock,
            concurrency=self.settings.worker_concurrency,
            poll_interval=self.settings.worker_poll_seconds,
        )

    async def aclose(self) -> None:
        await self.llm.gateway.aclose()
        await self.http.aclose()
        await self.engine.dispose()


def build_container(settings: Settings, *, clock: Clock | None = None) -> Container:
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    session_factory = async_sessionmaker(engine, expire_on_commit=False)
    role = settings.postgres_app_role
    bus = MessageBus()
    outbox_store = SqlOutboxStore(session_factory, role)
    run_cache = RunCache()  # steps this process committed (adapters/run_cache.py)
    workflows = SqlWorkflowUnitOfWorkFactory(session_factory, clock, role, run_cache)
    http = SafeHttpClient(AddressPolicy(allowed_hosts=settings.http_allowed_hosts))
    executors: dict[str, StepExecutor] = {"http": HttpStepExecutor(http)}
    engine_settings = EngineSettings(
        lease_ms=int(settings.lease_seconds * 1000),
        tenant_run_cap=settings.tenant_max_active_runs,
        tenant_step_cap=settings.tenant_max_running_steps,
        max_output_bytes=settings.max_step_output_bytes,
    )
    run_engine = Engine(
        workflows, clock, RunSignals(), engine_settings, remote_types=frozenset(executors)
    )
    tenancy = SqlTenancyUnitOfWorkFactory(session_factory, clock, role)
    keys = settings.secrets_keys.get_secret_value() if settings.secrets_keys else None
    secret_cipher = AesGcmSecretCipher(load_keys(keys, settings.data_dir))
    metrics = CollectorRegistry()
    agents = SqlAgentsUnitOfWorkFactory(session_factory, clock, role)
    llm_guard = AddressGuard(settings.llm_allowed_hosts)
    llm = LLMServices(
        gateway=LLMGateway(
            uow_factory=agents,
            clients=SdkModelClients(),
            secrets=CachedSecretReader(
                TenantSecretReader(tenancy, secret_cipher), ttl_seconds=settings.llm_cache_seconds
            ),
            guard=llm_guard,
            clock=clock,
            metrics=PrometheusGatewayMetrics(metrics),
            cache_seconds=settings.llm_cache_seconds,
        ),
        agents=agents,
        guard=llm_guard,
    )
    agents.on_commit = llm.gateway.committed
    # The llm step reaches models only through the gateway (a port filled here, so the
    # workflow and agents contexts stay independent).
    executors["llm"] = LlmStepExecutor(GatewayLanguageModel(llm.gateway))
    run_engine.remote_types = frozenset(executors)
    # A step type is publishable only if this installation can run it.
    installation = Installation(
        available_step_types=LOCAL_TYPES | {"subworkflow"} | frozenset(executors)
    )
    # The designer reaches the compiler, versions and models through ports filled here.
    designer = DesignerServices(
        uow_factory=SqlConversationUnitOfWorkFactory(session_factory, clock, role),
        model=GatewayDesignerModel(llm.gateway, settings.designer_model_alias),
        catalog=WorkflowDesignCatalog(workflows, installation, clock),
        guide=RegistryDesignGuide(examples_dir(settings.designer_examples_dir)),
        clock=clock,
        repair_rounds=settings.designer_repair_rounds,
    )
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        session_factory=session_factory,
        bus=bus,
        outbox_store=outbox_store,
        relay=OutboxRelay(outbox_store, bus, clock),
        tenancy=tenancy,
        hasher=Argon2PasswordHasher(),
        tokens=JwtTokenService(
            settings.jwt_secret or _local_secret(settings.data_dir / "jwt-secret"),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.jwt_ttl_seconds,
        ),
        workflows=workflows,
        installation=installation,
        run_engine=run_engine,
        run_queue=SqlRunQueue(session_factory, role, run_cache),
        work_listener=(
            SqliteWorkListener(settings.resolved_database_url, clock)
            if is_sqlite(settings.resolved_database_url)
            else PgWorkListener(settings.resolved_database_url)
        ),
        http=http,
        executors=executors,
        secret_cipher=secret_cipher,
        llm=llm,
        metrics=metrics,
        designer=designer,
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
