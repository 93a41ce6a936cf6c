"""Ports of the agents context: storage, secrets, model clients, the address guard, metrics."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flowwright.agents.domain.breaker import BreakerState
from flowwright.agents.domain.budget import Budget
from flowwright.agents.domain.catalog import Alias, Provider
from flowwright.agents.domain.messages import (
    ChatMessage,
    TokenUsage,
    ToolCall,
    ToolChoice,
    ToolSpec,
)
from flowwright.agents.domain.pricing import Price
from flowwright.agents.domain.usage import Outcome, UsageGroup, UsageRecord
from flowwright.kernel.errors import FlowwrightError
from flowwright.kernel.unit_of_work import UnitOfWork

# --- secrets (provided by the tenancy context, adapted in the composition root) ----------------


class SecretReader(Protocol):
    async def read(self, tenant_id: str, name: str) -> str | None:
        """The value of the tenant's secret ``name``, or None when it has none of that name."""
        ...


# --- storage -----------------------------------------------------------------------------------


class ProviderRepository(Protocol):
    """Providers of the unit of work's tenant."""

    async def add(self, provider: Provider) -> None: ...
    async def update(self, provider: Provider) -> None: ...
    async def get(self, name: str) -> Provider | None: ...
    async def list(self) -> builtins.list[Provider]: ...
    async def delete(self, name: str) -> None: ...


class AliasRepository(Protocol):
    async def add(self, alias: Alias) -> None: ...
    async def update(self, alias: Alias) -> None: ...
    async def get(self, name: str) -> Alias | None: ...
    async def list(self) -> builtins.list[Alias]: ...
    async def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class PriceEntry:
    model: str
    price: Price
    updated_at: datetime


class PriceRepository(Protocol):
    async def set(self, model: str, price: Price, *, at: datetime) -> None: ...
    async def list(self) -> builtins.list[PriceEntry]: ...
    async def delete(self, model: str) -> bool: ...


class BudgetRepository(Protocol):
    async def get(self) -> Budget | None: ...
    async def save(self, budget: Budget) -> None:
        """Insert or replace the tenant's budget (limits and counters)."""
        ...

    async def delete(self) -> bool: ...
    async def claim_warning(self, period: str) -> bool:
        """Mark the month as warned; True only for the one caller that marked it."""
        ...

    async def claim_stop_notice(self, period: str) -> bool:
        """Mark the month's stop as announced; True only for the one caller that marked it."""
        ...


class UsageRepository(Protocol):
    async def add(self, records: Sequence[UsageRecord]) -> None: ...
    async def get(self, record_id: str) -> UsageRecord | None: ...
    async def list(
        self,
        *,
        since: datetime,
        until: datetime,
        run_id: str | None = None,
        limit: int = 100,
    ) -> builtins.list[UsageRecord]: ...
    async def aggregate(
        self, *, group_by: str, since: datetime, until: datetime
    ) -> builtins.list[UsageGroup]:
        """Sums per day, model, workflow or run (``group_by``) of records in [since, until)."""
        ...

    async def totals(self, *, since: datetime, until: datetime) -> tuple[int, int]:
        """(tokens, micro-dollars) of the records in [since, until)."""
        ...


@dataclass(frozen=True)
class StoredResult:
    idempotency_key: str
    kind: str  # chat | structured | stream | embedding
    payload: dict[str, Any]
    created_at: datetime


class CallResultRepository(Protocol):
    async def get(self, idempotency_key: str) -> StoredResult | None: ...
    async def put(self, result: StoredResult) -> None:
        """Store a result; a key stored already keeps its first result."""
        ...

    async def list(self, *, limit: int = 100) -> builtins.list[StoredResult]: ...
    async def delete(self, idempotency_key: str) -> bool: ...


class AgentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def providers(self) -> ProviderRepository: ...
    @property
    def aliases(self) -> AliasRepository: ...
    @property
    def prices(self) -> PriceRepository: ...
    @property
    def budgets(self) -> BudgetRepository: ...
    @property
    def usage(self) -> UsageRepository: ...
    @property
    def results(self) -> CallResultRepository: ...


@dataclass(frozen=True)
class BudgetCharge:
    """What a call adds to its tenant's budget counters of ``period`` (YYYY-MM)."""

    period: str
    tokens: int
    micros: int


class UsageLedger(Protocol):
    """Where the gateway records what each model call used: one short write per call."""

    async def record(
        self,
        tenant_id: str,
        records: Sequence[UsageRecord],
        *,
        stored: StoredResult | None = None,
        charge: BudgetCharge | None = None,
    ) -> Budget | None:
        """In one transaction: add the records, keep ``stored`` (a key stored already keeps its
        first result) and add ``charge`` to the budget counters, atomically, restarting them when
        its period is a new month.

        Returns the budget as the charge left it; None without a charge or without a budget.
        """
        ...


class AgentsUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> AgentsUnitOfWork:
        """A unit of work scoped to one tenant."""
        ...

    @property
    def ledger(self) -> UsageLedger: ...


# --- model clients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCall:
    """One request to one model, already shaped for the chosen candidate."""

    model: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    output_schema: dict[str, Any] | None = None  # ask the provider to constrain the output


@dataclass(frozen=True)
class ModelReply:
    content: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    usage: TokenUsage


@dataclass(frozen=True)
class EmbeddingReply:
    vectors: tuple[tuple[float, ...], ...]
    usage: TokenUsage


class ProviderCallFailed(FlowwrightError):
    """A model client's verdict on a failed call, translated from the vendor's error.

    Internal to the gateway: it decides from ``outcome`` whether to fail over.
    """

    code = "llm_provider_failed"

    def __init__(
        self,
        outcome: Outcome,
        message: str,
        *,
        status: int | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message, details={"outcome": outcome.value, "status": status})
        self.outcome = outcome
        self.status = status
        self.retry_after_seconds = retry_after_seconds


class ModelClient(Protocol):
    """One provider endpoint. Every method raises ProviderCallFailed on failure."""

    async def complete(self, call: ModelCall) -> ModelReply: ...

    def stream(self, call: ModelCall) -> AsyncIterator[str | ModelReply]:
        """Text pieces as they arrive, then exactly one ModelReply (the whole answer)."""
        ...

    async def embed(
        self, model: str, inputs: Sequence[str], *, dimensions: int | None
    ) -> EmbeddingReply: ...


class ModelClients(Protocol):
    """Builds (and may reuse) the client of a provider record with its API key."""

    def client_for(self, provider: Provider, api_key: str | None) -> ModelClient: ...

    async def aclose(self) -> None: ...


class EndpointGuard(Protocol):
    async def check(self, url: str) -> None:
        """Raise ValidationFailed when ``url`` may not be called (e.g. a private address)."""
        ...


class GatewayMetrics(Protocol):
    def observe_call(
        self, *, provider: str, model: str, outcome: str, latency_seconds: float
    ) -> None: ...

    def breaker_changed(self, *, tenant_id: str, provider: str, state: BreakerState) -> None: ...
