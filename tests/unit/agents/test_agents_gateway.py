"""The gateway's use of its ports: failover, breakers, Retry-After, budgets, recorded answers,
structured output and streaming, with every port faked in memory."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_fakes import AllowAll, DictSecrets, ManualMonotonic, ScriptedClients, answer

from flowwright.agents.adapters.memory import InMemoryAgentsUnitOfWorkFactory
from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.budgets import BudgetSpec, set_budget
from flowwright.agents.application.catalog import AliasSpec, ProviderSpec, put_alias, put_provider
from flowwright.agents.application.gateway import LLMGateway
from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.application.ports import ProviderCallFailed
from flowwright.agents.domain.catalog import Candidate, ProviderKind, RoutingPolicy
from flowwright.agents.domain.errors import (
    LLMNotConfigured,
    LLMRequestRejected,
    LLMUnavailable,
    StructuredOutputInvalid,
)
from flowwright.agents.domain.messages import (
    ChatMessage,
    ChatRequest,
    EmbeddingRequest,
    MessageRole,
    StreamEnd,
    TextDelta,
)
from flowwright.agents.domain.usage import CallContext, Outcome
from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import PermissionDenied, QuotaExceeded

TENANT = "tenant-1"
ADMIN = Caller(TENANT, "admin", frozenset(Grant))


@dataclass
class World:
    gateway: LLMGateway
    clients: ScriptedClients
    uow: InMemoryAgentsUnitOfWorkFactory
    clock: FixedClock
    monotonic: ManualMonotonic
    secrets: DictSecrets

    async def provider(self, name: str, **fields: Any) -> None:
        spec = ProviderSpec(name=name, kind=fields.pop("kind", ProviderKind.OPENAI), **fields)
        await put_provider(
            spec, caller=ADMIN, uow_factory=self.uow, guard=AllowAll(), clock=self.clock
        )

    async def alias(self, name: str, *candidates: str, policy: str = "priority") -> None:
        items = [Candidate(*c.split(":", 1)) for c in candidates]
        await put_alias(
            AliasSpec(name, RoutingPolicy(policy), items),
            caller=ADMIN,
            uow_factory=self.uow,
            clock=self.clock,
        )

    async def records(self) -> list[tuple[str, str]]:
        state = self.uow.store.state(TENANT)
        return [(r.provider, r.outcome.value) for r in state.usage]


@pytest.fixture
def world() -> World:
    clients, uow, clock = (
        ScriptedClients(),
        InMemoryAgentsUnitOfWorkFactory(),
        FixedClock(datetime(2026, 5, 10, tzinfo=UTC)),
    )
    monotonic, secrets = ManualMonotonic(), DictSecrets()
    gateway = LLMGateway(
        uow_factory=uow,
        clients=clients,
        secrets=secrets,
        guard=AllowAll(),
        clock=clock,
        health=ProviderHealth(monotonic=monotonic),
        rng=random.Random(3),
    )
    return World(gateway, clients, uow, clock, monotonic, secrets)


def ask(alias: str = "fast", text: str = "hello") -> ChatRequest:
    return ChatRequest(alias, (ChatMessage(MessageRole.USER, text),))


def down(status: int = 500) -> ProviderCallFailed:
    return ProviderCallFailed(Outcome.ERROR, "server error", status=status)


async def _complete(world: World, **context: Any) -> Any:
    return await world.gateway.complete(ask(), tenant_id=TENANT, context=CallContext(**context))


async def test_nothing_configured_fails_with_the_setup_instructions(world: World) -> None:
    with pytest.raises(LLMNotConfigured, match="flowwright llm provider add openai"):
        await _complete(world)


async def test_fails_over_in_order_and_records_every_attempt(world: World) -> None:
    await world.provider("a")
    await world.provider("b")
    await world.alias("fast", "a:m1", "b:m2")
    world.clients["a"].script.append(down())

    result = await _complete(world)

    assert (result.outcome.provider, result.content) == ("b", "ok")
    assert [(a.provider, a.outcome) for a in result.outcome.attempts] == [
        ("a", "error"),
        ("b", "ok"),
    ]
    assert await world.records() == [("a", "error"), ("b", "ok")]


async def test_a_rejected_request_stops_failover(world: World) -> None:
    await world.provider("a")
    await world.provider("b")
    await world.alias("fast", "a:m", "b:m")
    world.clients["a"].script.append(ProviderCallFailed(Outcome.REJECTED, "bad", status=422))

    with pytest.raises(LLMRequestRejected):
        await _complete(world)
    assert world.clients["b"].calls == []
    assert await world.records() == [("a", "rejected")]


async def test_retry_after_pauses_the_candidate_until_then(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:m")
    world.clients["a"].script.append(
        ProviderCallFailed(Outcome.RATE_LIMITED, "slow down", status=429, retry_after_seconds=30)
    )
    with pytest.raises(LLMUnavailable) as first:
        await _complete(world)
    with pytest.raises(LLMUnavailable) as second:
        await _complete(world)
    assert first.value.retry_after_seconds == 30
    assert len(world.clients["a"].calls) == 1
    assert "cooling_down" in second.value.message
    world.monotonic.now += 30
    assert (await _complete(world)).content == "ok"


async def test_breaker_opens_half_opens_and_closes(world: World) -> None:
    await world.provider("a", breaker_threshold=2, breaker_cooldown_seconds=10)
    await world.provider("b")
    await world.alias("fast", "a:m", "b:m")
    world.clients["a"].default = down()

    await _complete(world)
    await _complete(world)
    skipped = await _complete(world)
    assert skipped.outcome.attempts[0].outcome == "breaker_open"
    assert len(world.clients["a"].calls) == 2

    world.monotonic.now += 10
    world.clients["a"].default = answer("recovered")
    assert (await _complete(world)).content == "recovered"
    provider = world.uow.store.state(TENANT).providers["a"]
    assert world.gateway.health.breakers(TENANT, [provider])[0].state.value == "closed"


async def test_a_missing_api_key_secret_names_the_command_to_set_it(world: World) -> None:
    await world.provider("a", api_key_secret="OPENAI_API_KEY")
    await world.alias("fast", "a:m")
    with pytest.raises(LLMNotConfigured, match="flowwright secret set OPENAI_API_KEY"):
        await _complete(world)
    world.secrets.values[(TENANT, "OPENAI_API_KEY")] = "sk-1"
    await _complete(world)
    assert world.clients.api_keys["a"] == "sk-1"


async def test_budget_stops_before_the_provider_and_warns_once(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:m")
    await set_budget(
        BudgetSpec(token_limit=40, warn_percent=50),
        caller=ADMIN,
        uow_factory=world.uow,
        clock=world.clock,
    )
    for _ in range(3):
        await _complete(world)  # 15 tokens each
    with pytest.raises(QuotaExceeded) as stopped:
        await _complete(world)
    with pytest.raises(QuotaExceeded):
        await _complete(world)

    assert len(world.clients["a"].calls) == 3
    assert stopped.value.retry_after_seconds is not None
    assert len(world.uow.store.events_named("agents.BudgetWarning")) == 1
    assert len(world.uow.store.events_named("agents.QuotaExceeded")) == 1


async def test_a_recorded_answer_is_returned_without_calling_the_model(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:m")
    first = await _complete(world, idempotency_key="run/step/1")
    again = await _complete(world, idempotency_key="run/step/1")
    assert len(world.clients["a"].calls) == 1
    assert (first.outcome.replayed, again.outcome.replayed) == (False, True)
    assert again.content == first.content
    with pytest.raises(Exception, match="was used for a chat call"):
        await world.gateway.embed(
            EmbeddingRequest("fast", ("x",)),
            tenant_id=TENANT,
            context=CallContext(idempotency_key="run/step/1"),
        )


async def test_structured_output_repairs_once(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:local-model")
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    world.clients["a"].script.extend([answer('{"n": "two"}'), answer('{"n": 2}')])

    result = await world.gateway.structured(ask(), schema, tenant_id=TENANT)

    assert result.parsed == {"n": 2}
    repair = world.clients["a"].calls[1].messages
    assert repair[-2].content == '{"n": "two"}'
    assert "'two' is not of type 'integer'" in repair[-1].content
    # The model has no native schema support: the first call asked for JSON in words.
    assert world.clients["a"].calls[0].output_schema is None
    assert "JSON Schema" in world.clients["a"].calls[0].messages[0].content


async def test_structured_output_gives_up_after_one_repair(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:gpt-4o-mini")
    world.clients["a"].default = answer("{}")
    schema = {"type": "object", "required": ["n"]}
    with pytest.raises(StructuredOutputInvalid, match="'n' is a required property"):
        await world.gateway.structured(ask(), schema, tenant_id=TENANT)
    assert len(world.clients["a"].calls) == 2
    assert world.clients["a"].calls[0].output_schema == schema  # native JSON-schema output


async def test_streams_deltas_then_the_accounted_result(world: World) -> None:
    await world.provider("a")
    await world.alias("fast", "a:m")
    world.clients["a"].script.append(answer("streamed text", 4, 6))
    events = [e async for e in world.gateway.stream(ask(), tenant_id=TENANT)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "streamed text"
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.result.outcome.usage.total_tokens == 10
    assert await world.records() == [("a", "ok")]


async def test_anthropic_candidates_are_skipped_for_embeddings(world: World) -> None:
    await world.provider("claude", kind=ProviderKind.ANTHROPIC)
    await world.provider("local")
    await world.alias("embed", "claude:c", "local:nomic-embed-text")
    result = await world.gateway.embed(EmbeddingRequest("embed", ("ab", "c")), tenant_id=TENANT)
    assert result.vectors == ((2.0,), (1.0,))
    assert world.clients["claude"].calls == []


@pytest.mark.parametrize(
    ("grants", "action"),
    [
        (frozenset({Grant.READ}), "use"),
        (frozenset({Grant.READ, Grant.USE}), "manage"),
    ],
)
async def test_grants_guard_use_and_management(
    world: World, grants: frozenset[Grant], action: str
) -> None:
    from flowwright.agents.application import calls

    caller = Caller(TENANT, "u", grants)
    attempt: Callable[[], Awaitable[object]]
    if action == "use":

        async def attempt() -> object:
            return await calls.chat(
                ask(), caller=caller, gateway=world.gateway, context=CallContext()
            )
    else:

        async def attempt() -> object:
            return await put_provider(
                ProviderSpec("x", ProviderKind.OPENAI),
                caller=caller,
                uow_factory=world.uow,
                guard=AllowAll(),
                clock=world.clock,
            )

    with pytest.raises(PermissionDenied):
        await attempt()
