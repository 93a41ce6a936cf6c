"""The LLM gateway: the one way agents, ``llm`` steps and the designer reach models.

Each call names an alias of the tenant's catalog. The gateway plans the call (catalog, budget,
candidate order), stops it before any provider is contacted when the month's budget is used up,
fails over between candidates, records every attempt's usage and cost, and, given an idempotency
key, keeps the final answer so that the same call made again is answered from the record without
contacting a model.

Nothing here ever makes up an answer: without a provider and an alias, calls fail with
``LLMNotConfigured`` saying what to set up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Coroutine
from dataclasses import replace
from typing import Any

from flowwright.agents.application import shaping
from flowwright.agents.application.accounting import Accountant
from flowwright.agents.application.failover import AttemptLog, Failover, Route, Routed
from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.application.planning import CallPlan, Planner
from flowwright.agents.application.ports import (
    AgentsUnitOfWorkFactory,
    EmbeddingReply,
    EndpointGuard,
    GatewayMetrics,
    ModelClients,
    ModelReply,
    ProviderCallFailed,
    SecretReader,
)
from flowwright.agents.application.replay import (
    chat_record,
    embedding_record,
    replayed_chat,
    replayed_embedding,
)
from flowwright.agents.application.structured import (
    compile_schema,
    read_answer,
    repair_request,
)
from flowwright.agents.domain.errors import LLMUnavailable, StructuredOutputInvalid
from flowwright.agents.domain.events import CATALOG_EVENTS
from flowwright.agents.domain.messages import (
    ChatMessage,
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    MessageRole,
    StreamEnd,
    StreamEvent,
    TextDelta,
    check_request,
)
from flowwright.agents.domain.routing import Needs
from flowwright.agents.domain.usage import CallContext, Outcome
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import FlowwrightError, ValidationFailed
from flowwright.kernel.ids import new_id

MAX_EMBEDDING_INPUTS = 2048
_Pieces = AsyncIterator[str | ModelReply]
_NO_CONTEXT = CallContext()


class LLMGateway:
    def __init__(
        self,
        *,
        uow_factory: AgentsUnitOfWorkFactory,
        clients: ModelClients,
        secrets: SecretReader,
        guard: EndpointGuard,
        clock: Clock,
        health: ProviderHealth | None = None,
        metrics: GatewayMetrics | None = None,
        rng: random.Random | None = None,
        cache_seconds: float = 0.0,
    ) -> None:
        self.health = health or ProviderHealth(metrics=metrics)
        self._planner = Planner(
            uow_factory,
            self.health,
            rng or random.Random(),  # noqa: S311  (routing, not security)
            cache_seconds=cache_seconds,
            monotonic=self.health.monotonic,
        )
        self._failover = Failover(
            health=self.health, clients=clients, secrets=secrets, guard=guard, metrics=metrics
        )
        self._accountant = Accountant(uow_factory, clock, budget_seen=self._planner.budget_seen)
        self._uow_factory = uow_factory
        self._clients = clients
        self._clock = clock
        self._background: set[asyncio.Task[None]] = set()

    def committed(self, tenant_id: str, event_names: frozenset[str]) -> None:
        """Told by the unit of work after each commit: catalog changes apply to the next call."""
        if event_names & CATALOG_EVENTS:
            self._planner.forget(tenant_id)

    async def aclose(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self._clients.aclose()

    # --- chat ----------------------------------------------------------------------------------

    async def complete(
        self, request: ChatRequest, *, tenant_id: str, context: CallContext = _NO_CONTEXT
    ) -> ChatResult:
        """One chat completion (text and/or normalized tool calls)."""
        check_request(request)
        return await self._chat(request, tenant_id, context, kind="chat", lookup=True, keep=True)

    async def structured(
        self,
        request: ChatRequest,
        schema: dict[str, Any],
        *,
        tenant_id: str,
        context: CallContext = _NO_CONTEXT,
    ) -> ChatResult:
        """A JSON value matching ``schema`` (in ``parsed``), with one repair attempt."""
        check_request(request)
        if request.tools:
            raise ValidationFailed("structured output cannot be combined with tools")
        validator = compile_schema(schema)
        first = await self._chat(
            request, tenant_id, context, kind="structured", lookup=True, keep=False, schema=schema
        )
        if first.outcome.replayed:
            return first
        value, error = read_answer(first.content, validator)
        answer = first
        if error is not None:
            repair = replace(
                request,
                messages=(
                    *request.messages,
                    ChatMessage(MessageRole.ASSISTANT, first.content),
                    ChatMessage(MessageRole.USER, repair_request(error)),
                ),
            )
            answer = await self._chat(
                repair,
                tenant_id,
                context,
                kind="structured",
                lookup=False,
                keep=False,
                schema=schema,
            )
            value, error = read_answer(answer.content, validator)
        if error is not None:
            raise StructuredOutputInvalid(
                f"the model's answer does not match the output schema, also after one repair "
                f"attempt: {error}",
                details={"validation_error": error, "alias": request.alias},
            )
        result = replace(answer, parsed=value)
        if context.idempotency_key is not None:
            record = chat_record(context.idempotency_key, "structured", result, self._clock.now())
            async with self._uow_factory(tenant_id) as uow:
                await uow.results.put(record)
                await uow.commit()
        return result

    async def _chat(
        self,
        request: ChatRequest,
        tenant_id: str,
        context: CallContext,
        *,
        kind: str,
        lookup: bool,
        keep: bool,
        schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        key = context.idempotency_key
        planned = await self._planner.plan(
            tenant_id,
            request.alias,
            needs=shaping.needs(request),
            idempotency_key=key if lookup else None,
        )
        if planned.recorded is not None:
            return replayed_chat(planned.recorded, kind)
        plan = planned.plan
        assert plan is not None
        await self._accountant.enforce_budget(plan)
        routed: Routed[ModelReply] = await self._failover.run(
            plan, lambda route: route.client.complete(shaping.shape(route, request, schema))
        )
        if routed.value is None:
            await self._accountant.record(
                plan, operation=kind, attempts=routed.attempts, context=context
            )
            raise _error_of(routed)
        reply = routed.value
        attempts = shaping.with_usage(routed.attempts, reply.usage)
        usage_id = new_id()
        result = ChatResult(
            content=reply.content,
            tool_calls=reply.tool_calls,
            finish_reason=reply.finish_reason,
            outcome=shaping.outcome(plan, attempts, usage_id),
        )
        stored = chat_record(key, kind, result, self._clock.now()) if keep and key else None
        await self._accountant.record(
            plan,
            operation=kind,
            attempts=attempts,
            context=context,
            ok_usage_id=usage_id,
            stored=stored,
        )
        return result

    # --- streaming ----------------------------------------------------------------------------

    async def stream(
        self, request: ChatRequest, *, tenant_id: str, context: CallContext = _NO_CONTEXT
    ) -> AsyncIterator[StreamEvent]:
        """Text deltas as they arrive, then one StreamEnd with the answer and its accounting.

        Failover happens until the first piece of text; after that the stream is committed to
        its candidate, and a break raises ``LLMUnavailable``.
        """
        check_request(request)
        key = context.idempotency_key
        planned = await self._planner.plan(
            tenant_id, request.alias, needs=shaping.needs(request), idempotency_key=key
        )
        if planned.recorded is not None:
            recorded = replayed_chat(planned.recorded, "chat")
            if recorded.content:
                yield TextDelta(recorded.content)
            yield StreamEnd(recorded)
            return
        plan = planned.plan
        assert plan is not None
        await self._accountant.enforce_budget(plan)

        async def open_stream(
            route: Route,
        ) -> tuple[AsyncIterator[str | ModelReply], str | ModelReply]:
            pieces = route.client.stream(shaping.shape(route, request, None))
            try:
                return pieces, await anext(pieces)
            except StopAsyncIteration:
                raise ProviderCallFailed(
                    Outcome.ERROR, "the stream ended without an answer"
                ) from None
            except BaseException:
                await _close(pieces)
                raise

        routed = await self._failover.run(plan, open_stream)
        if routed.value is None or routed.route is None:
            await self._accountant.record(
                plan, operation="stream", attempts=routed.attempts, context=context
            )
            raise _error_of(routed)
        pieces, item = routed.value
        route = routed.route
        try:
            while not isinstance(item, ModelReply):
                yield TextDelta(item)
                item = await anext(pieces)
        except ProviderCallFailed as failure:
            self._failover.failed(tenant_id, route.candidate, route.provider, failure)
            broken = shaping.replace_last(
                routed.attempts, outcome=failure.outcome, detail=failure.message
            )
            await self._accountant.record(
                plan, operation="stream", attempts=broken, context=context
            )
            raise LLMUnavailable(
                f"the stream from {route.candidate.key} broke off: {failure.message}",
                details={"alias": plan.alias.name},
            ) from failure
        except BaseException:
            # The consumer went away mid-stream: close the provider's stream and record what
            # is known, off this (possibly cancelled) task.
            gone = shaping.replace_last(
                routed.attempts, outcome=Outcome.CANCELLED, detail="closed by the caller"
            )
            self._spawn(self._abandon(plan, pieces, gone, context))
            raise
        await _close(pieces)
        attempts = shaping.with_usage(routed.attempts, item.usage)
        usage_id = new_id()
        result = ChatResult(
            content=item.content,
            tool_calls=item.tool_calls,
            finish_reason=item.finish_reason,
            outcome=shaping.outcome(plan, attempts, usage_id),
        )
        stored = chat_record(key, "chat", result, self._clock.now()) if key else None
        await self._accountant.record(
            plan,
            operation="stream",
            attempts=attempts,
            context=context,
            ok_usage_id=usage_id,
            stored=stored,
        )
        yield StreamEnd(result)

    async def _abandon(
        self,
        plan: CallPlan,
        pieces: AsyncIterator[str | ModelReply],
        attempts: list[AttemptLog],
        context: CallContext,
    ) -> None:
        await _close(pieces)
        await self._accountant.record(plan, operation="stream", attempts=attempts, context=context)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- embeddings ---------------------------------------------------------------------------

    async def embed(
        self, request: EmbeddingRequest, *, tenant_id: str, context: CallContext = _NO_CONTEXT
    ) -> EmbeddingResult:
        """Vectors for ``inputs`` (OpenAI-compatible providers only; Anthropic has none)."""
        if not 1 <= len(request.inputs) <= MAX_EMBEDDING_INPUTS:
            raise ValidationFailed(f"embeddings need 1-{MAX_EMBEDDING_INPUTS} inputs")
        key = context.idempotency_key
        planned = await self._planner.plan(
            tenant_id, request.alias, needs=Needs(), idempotency_key=key, embeddings=True
        )
        if planned.recorded is not None:
            return replayed_embedding(planned.recorded)
        plan = planned.plan
        assert plan is not None
        await self._accountant.enforce_budget(plan)
        routed: Routed[EmbeddingReply] = await self._failover.run(
            plan,
            lambda route: route.client.embed(
                route.candidate.model, request.inputs, dimensions=request.dimensions
            ),
        )
        if routed.value is None:
            await self._accountant.record(
                plan, operation="embedding", attempts=routed.attempts, context=context
            )
            raise _error_of(routed)
        attempts = shaping.with_usage(routed.attempts, routed.value.usage)
        usage_id = new_id()
        result = EmbeddingResult(
            vectors=routed.value.vectors, outcome=shaping.outcome(plan, attempts, usage_id)
        )
        stored = embedding_record(key, result, self._clock.now()) if key else None
        await self._accountant.record(
            plan,
            operation="embedding",
            attempts=attempts,
            context=context,
            ok_usage_id=usage_id,
            stored=stored,
        )
        return result


def _error_of(routed: Routed[Any]) -> FlowwrightError:
    assert routed.error is not None
    return routed.error


async def _close(pieces: AsyncIterator[Any]) -> None:
    close = getattr(pieces, "aclose", None)
    if close is not None:
        await close()
