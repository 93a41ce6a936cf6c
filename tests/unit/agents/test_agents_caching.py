"""A process reuses a tenant's catalog and API keys for a while: its own changes apply at once,
other processes' changes within the cache time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from gateway_fakes import AllowAll, DictSecrets, ManualMonotonic, ScriptedClients

from flowwright.agents.adapters.memory import (
    InMemoryAgentsUnitOfWork,
    InMemoryAgentsUnitOfWorkFactory,
)
from flowwright.agents.adapters.secret_cache import CachedSecretReader
from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.budgets import BudgetSpec, set_budget
from flowwright.agents.application.catalog import AliasSpec, ProviderSpec, put_alias, put_provider
from flowwright.agents.application.gateway import LLMGateway
from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.domain.catalog import Alias, Candidate, ProviderKind, RoutingPolicy
from flowwright.agents.domain.messages import ChatMessage, ChatRequest, MessageRole
from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import QuotaExceeded

TENANT = "t"
ADMIN = Caller(TENANT, "admin", frozenset(Grant))
ASK = ChatRequest("fast", (ChatMessage(MessageRole.USER, "hi"),))
CLOCK = FixedClock(datetime(2026, 5, 1, tzinfo=UTC))


def _gateway(
    uow: InMemoryAgentsUnitOfWorkFactory, monotonic: ManualMonotonic, clients: ScriptedClients
) -> LLMGateway:
    gateway = LLMGateway(
        uow_factory=uow,
        clients=clients,
        secrets=DictSecrets(),
        guard=AllowAll(),
        clock=CLOCK,
        health=ProviderHealth(monotonic=monotonic),
        rng=random.Random(1),
        cache_seconds=5,
    )
    uow.on_commit = gateway.committed
    return gateway


async def _setup(uow: InMemoryAgentsUnitOfWorkFactory, *models: str) -> None:
    for name in ("a", "b"):
        await put_provider(
            ProviderSpec(name, ProviderKind.OPENAI),
            caller=ADMIN,
            uow_factory=uow,
            guard=AllowAll(),
            clock=CLOCK,
        )
    candidates = [Candidate(*m.split(":")) for m in models]
    await put_alias(
        AliasSpec("fast", RoutingPolicy.PRIORITY, candidates),
        caller=ADMIN,
        uow_factory=uow,
        clock=CLOCK,
    )


async def test_changes_made_through_this_process_apply_to_the_next_call() -> None:
    uow, monotonic, clients = (
        InMemoryAgentsUnitOfWorkFactory(),
        ManualMonotonic(),
        ScriptedClients(),
    )
    gateway = _gateway(uow, monotonic, clients)
    await _setup(uow, "a:m")
    assert (await gateway.complete(ASK, tenant_id=TENANT)).outcome.provider == "a"

    await put_alias(
        AliasSpec("fast", RoutingPolicy.PRIORITY, [Candidate("b", "m")]),
        caller=ADMIN,
        uow_factory=uow,
        clock=CLOCK,
    )

    assert (await gateway.complete(ASK, tenant_id=TENANT)).outcome.provider == "b"


async def test_changes_by_another_process_apply_after_the_cache_time() -> None:
    uow, monotonic, clients = (
        InMemoryAgentsUnitOfWorkFactory(),
        ManualMonotonic(),
        ScriptedClients(),
    )
    gateway = _gateway(uow, monotonic, clients)
    await _setup(uow, "a:m")
    await gateway.complete(ASK, tenant_id=TENANT)
    # Another process rewrites the alias: this one hears nothing of it.
    state = uow.store.state(TENANT)
    old = state.aliases["fast"]
    state.aliases["fast"] = Alias(
        old.id,
        TENANT,
        "fast",
        RoutingPolicy.PRIORITY,
        [Candidate("b", "m")],
        old.created_at,
        old.updated_at,
    )

    assert (await gateway.complete(ASK, tenant_id=TENANT)).outcome.provider == "a"
    monotonic.now += 5
    assert (await gateway.complete(ASK, tenant_id=TENANT)).outcome.provider == "b"


class CountingUnitsOfWork(InMemoryAgentsUnitOfWorkFactory):
    def __init__(self) -> None:
        super().__init__()
        self.opened = 0

    def __call__(self, tenant_id: str) -> InMemoryAgentsUnitOfWork:
        self.opened += 1
        return super().__call__(tenant_id)


async def test_budget_counters_follow_this_processes_calls_without_rereading() -> None:
    uow, monotonic, clients = CountingUnitsOfWork(), ManualMonotonic(), ScriptedClients()
    gateway = _gateway(uow, monotonic, clients)
    await _setup(uow, "a:m")
    await set_budget(BudgetSpec(token_limit=45), caller=ADMIN, uow_factory=uow, clock=CLOCK)
    await gateway.complete(ASK, tenant_id=TENANT)  # reads the catalog and budget once
    opened, writes = uow.opened, uow.ledger.writes

    await gateway.complete(ASK, tenant_id=TENANT)
    # The call wrote its usage once and learnt the counters from that write: nothing was read.
    assert (uow.opened, uow.ledger.writes) == (opened, writes + 1)
    await gateway.complete(ASK, tenant_id=TENANT)  # 45 tokens: the limit
    with pytest.raises(QuotaExceeded):
        await gateway.complete(ASK, tenant_id=TENANT)
    assert len(clients["a"].calls) == 3


async def test_the_budget_warning_is_emitted_once_after_the_usage_that_made_it_due() -> None:
    uow, monotonic, clients = (
        InMemoryAgentsUnitOfWorkFactory(),
        ManualMonotonic(),
        ScriptedClients(),
    )
    gateway = _gateway(uow, monotonic, clients)
    await _setup(uow, "a:m")
    spec = BudgetSpec(token_limit=100, warn_percent=20)
    await set_budget(spec, caller=ADMIN, uow_factory=uow, clock=CLOCK)
    await gateway.complete(ASK, tenant_id=TENANT)  # 15 tokens: below 20
    assert uow.store.events_named("agents.BudgetWarning") == []

    await gateway.complete(ASK, tenant_id=TENANT)  # 30 tokens
    await gateway.complete(ASK, tenant_id=TENANT)
    warnings = uow.store.events_named("agents.BudgetWarning")
    assert len(warnings) == 1
    assert warnings[0].payload()["used_tokens"] == 30
    budget = uow.store.state(TENANT).budget
    assert budget is not None and (budget.used_tokens, budget.warned_period) == (45, "2026-05")


async def test_api_keys_are_reused_for_a_while_but_missing_ones_are_asked_again() -> None:
    inner, monotonic = DictSecrets(), ManualMonotonic()
    reader = CachedSecretReader(inner, ttl_seconds=5, monotonic=monotonic)
    assert await reader.read(TENANT, "KEY") is None
    inner.values[(TENANT, "KEY")] = "one"
    assert await reader.read(TENANT, "KEY") == "one"  # a miss was not kept
    inner.values[(TENANT, "KEY")] = "two"
    assert await reader.read(TENANT, "KEY") == "one"
    monotonic.now += 5
    assert await reader.read(TENANT, "KEY") == "two"
