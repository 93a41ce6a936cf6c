"""The tenant's model catalog: providers, aliases and prices; and the breakers' states."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from flowwright.agents.application import catalog as use_cases
from flowwright.agents.application.usage_queries import breaker_states
from flowwright.agents.domain.breaker import BreakerState
from flowwright.agents.domain.catalog import (
    DEFAULT_BREAKER_COOLDOWN_SECONDS,
    DEFAULT_BREAKER_THRESHOLD,
    DEFAULT_TIMEOUT_SECONDS,
    Alias,
    Candidate,
    Capabilities,
    Provider,
    ProviderKind,
    RoutingPolicy,
)
from flowwright.agents.domain.pricing import Price, dollars_to_micros
from flowwright.entrypoints.api.agents_access import CurrentCaller
from flowwright.entrypoints.api.deps import ContainerDep

router = APIRouter(prefix="/llm", tags=["llm"])


# --- providers ---------------------------------------------------------------------------------


class ProviderPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ProviderKind = Field(
        description="openai (also any OpenAI-compatible server) or anthropic"
    )
    base_url: str | None = Field(
        default=None,
        max_length=500,
        description="e.g. http://localhost:11434/v1 for Ollama; default: the vendor's API.",
    )
    api_key_secret: str | None = Field(
        default=None, max_length=64, description="Name of the tenant secret holding the API key."
    )
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    breaker_threshold: int = Field(
        default=DEFAULT_BREAKER_THRESHOLD, description="Consecutive failures that open the breaker."
    )
    breaker_cooldown_seconds: float = Field(
        default=DEFAULT_BREAKER_COOLDOWN_SECONDS, description="Open time before one probe call."
    )


class ProviderOut(BaseModel):
    name: str
    kind: ProviderKind
    base_url: str | None
    api_key_secret: str | None
    timeout_seconds: float
    breaker_threshold: int
    breaker_cooldown_seconds: float
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: Provider) -> ProviderOut:
        return cls(
            name=p.name,
            kind=p.kind,
            base_url=p.base_url,
            api_key_secret=p.api_key_secret,
            timeout_seconds=p.timeout_seconds,
            breaker_threshold=p.breaker_threshold,
            breaker_cooldown_seconds=p.breaker_cooldown_seconds,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


@router.put(
    "/providers/{name}",
    response_model=ProviderOut,
    responses={201: {"model": ProviderOut, "description": "Created"}},
    summary="Create or replace a provider (admins)",
)
async def put_provider(
    name: str, body: ProviderPut, response: Response, caller: CurrentCaller, container: ContainerDep
) -> ProviderOut:
    provider, created = await use_cases.put_provider(
        use_cases.ProviderSpec(
            name=name,
            kind=body.kind,
            base_url=body.base_url,
            api_key_secret=body.api_key_secret,
            timeout_seconds=body.timeout_seconds,
            breaker_threshold=body.breaker_threshold,
            breaker_cooldown_seconds=body.breaker_cooldown_seconds,
        ),
        caller=caller,
        uow_factory=container.llm.agents,
        guard=container.llm.guard,
        clock=container.clock,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return ProviderOut.of(provider)


@router.get("/providers", response_model=list[ProviderOut])
async def list_providers(caller: CurrentCaller, container: ContainerDep) -> list[ProviderOut]:
    providers = await use_cases.list_providers(caller=caller, uow_factory=container.llm.agents)
    return [ProviderOut.of(p) for p in providers]


@router.get("/providers/{name}", response_model=ProviderOut)
async def get_provider(name: str, caller: CurrentCaller, container: ContainerDep) -> ProviderOut:
    provider = await use_cases.get_provider(name, caller=caller, uow_factory=container.llm.agents)
    return ProviderOut.of(provider)


@router.delete("/providers/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def remove_provider(name: str, caller: CurrentCaller, container: ContainerDep) -> Response:
    await use_cases.remove_provider(
        name, caller=caller, uow_factory=container.llm.agents, health=container.llm.gateway.health
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- aliases -----------------------------------------------------------------------------------


class CapabilitiesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    json_schema: bool | None = Field(default=None, description="Native JSON-schema output.")
    tools: bool | None = None
    context_window: int | None = Field(default=None, ge=1)


class CandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(max_length=63)
    model: str = Field(max_length=200)
    params: dict[str, Any] = Field(default_factory=dict, description="Default model parameters.")
    weight: float = Field(default=1.0, ge=0, description="For the weighted policy.")
    capabilities: CapabilitiesIn = Field(default_factory=CapabilitiesIn)

    def to_domain(self) -> Candidate:
        caps = self.capabilities
        return Candidate(
            provider=self.provider,
            model=self.model,
            params=self.params,
            weight=self.weight,
            capabilities=Capabilities(caps.json_schema, caps.tools, caps.context_window),
        )


class CandidateOut(BaseModel):
    provider: str
    model: str
    params: dict[str, Any]
    weight: float
    capabilities: dict[str, Any]

    @classmethod
    def of(cls, c: Candidate) -> CandidateOut:
        return cls(
            provider=c.provider,
            model=c.model,
            params=c.params,
            weight=c.weight,
            capabilities={
                "json_schema": c.capabilities.json_schema,
                "tools": c.capabilities.tools,
                "context_window": c.capabilities.context_window,
            },
        )


class AliasPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: RoutingPolicy = RoutingPolicy.PRIORITY
    candidates: list[CandidateIn] = Field(min_length=1, max_length=16)


class AliasOut(BaseModel):
    name: str
    policy: RoutingPolicy
    candidates: list[CandidateOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, a: Alias) -> AliasOut:
        return cls(
            name=a.name,
            policy=a.policy,
            candidates=[CandidateOut.of(c) for c in a.candidates],
            created_at=a.created_at,
            updated_at=a.updated_at,
        )


@router.put(
    "/aliases/{name}",
    response_model=AliasOut,
    responses={201: {"model": AliasOut, "description": "Created"}},
    summary="Create or replace an alias: ordered candidates and a routing policy (admins)",
)
async def put_alias(
    name: str, body: AliasPut, response: Response, caller: CurrentCaller, container: ContainerDep
) -> AliasOut:
    alias, created = await use_cases.put_alias(
        use_cases.AliasSpec(
            name=name, policy=body.policy, candidates=[c.to_domain() for c in body.candidates]
        ),
        caller=caller,
        uow_factory=container.llm.agents,
        clock=container.clock,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return AliasOut.of(alias)


@router.get("/aliases", response_model=list[AliasOut])
async def list_aliases(caller: CurrentCaller, container: ContainerDep) -> list[AliasOut]:
    aliases = await use_cases.list_aliases(caller=caller, uow_factory=container.llm.agents)
    return [AliasOut.of(a) for a in aliases]


@router.get("/aliases/{name}", response_model=AliasOut)
async def get_alias(name: str, caller: CurrentCaller, container: ContainerDep) -> AliasOut:
    alias = await use_cases.get_alias(name, caller=caller, uow_factory=container.llm.agents)
    return AliasOut.of(alias)


@router.delete("/aliases/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def remove_alias(name: str, caller: CurrentCaller, container: ContainerDep) -> Response:
    await use_cases.remove_alias(name, caller=caller, uow_factory=container.llm.agents)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- prices ------------------------------------------------------------------------------------


class PricePut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input_per_million: Decimal = Field(ge=0, description="US dollars per million input tokens.")
    output_per_million: Decimal = Field(ge=0, description="US dollars per million output tokens.")


class PriceOut(BaseModel):
    model: str
    input_per_million: Decimal
    output_per_million: Decimal
    source: str = Field(description="tenant (set here) or default (built-in table)")

    @classmethod
    def of(cls, view: use_cases.PriceView) -> PriceOut:
        return cls(
            model=view.model,
            input_per_million=view.input_usd,
            output_per_million=view.output_usd,
            source=view.source,
        )


@router.put("/prices/{model:path}", response_model=PriceOut, summary="Set a model's price")
async def put_price(
    model: str, body: PricePut, caller: CurrentCaller, container: ContainerDep
) -> PriceOut:
    price = Price(
        dollars_to_micros(body.input_per_million), dollars_to_micros(body.output_per_million)
    )
    view = await use_cases.set_price(
        model, price, caller=caller, uow_factory=container.llm.agents, clock=container.clock
    )
    return PriceOut.of(view)


@router.get(
    "/prices",
    response_model=list[PriceOut],
    summary="The tenant's prices (and, with defaults=true, the built-in table)",
)
async def list_prices(
    caller: CurrentCaller, container: ContainerDep, defaults: bool = False
) -> list[PriceOut]:
    views = await use_cases.list_prices(
        caller=caller, uow_factory=container.llm.agents, include_defaults=defaults
    )
    return [PriceOut.of(v) for v in views]


@router.get("/prices/{model:path}", response_model=PriceOut)
async def get_price(model: str, caller: CurrentCaller, container: ContainerDep) -> PriceOut:
    view = await use_cases.get_price(model, caller=caller, uow_factory=container.llm.agents)
    return PriceOut.of(view)


@router.delete(
    "/prices/{model:path}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def remove_price(model: str, caller: CurrentCaller, container: ContainerDep) -> Response:
    await use_cases.remove_price(model, caller=caller, uow_factory=container.llm.agents)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- breakers ----------------------------------------------------------------------------------


class BreakerOut(BaseModel):
    provider: str
    state: BreakerState = Field(description="closed, half_open or open")
    consecutive_failures: int
    retry_in_seconds: float | None


@router.get(
    "/breakers",
    response_model=list[BreakerOut],
    summary="Circuit breaker of each provider, as this API process sees it",
)
async def list_breakers(caller: CurrentCaller, container: ContainerDep) -> list[BreakerOut]:
    views = await breaker_states(
        caller=caller, uow_factory=container.llm.agents, health=container.llm.gateway.health
    )
    return [
        BreakerOut(
            provider=v.provider,
            state=v.state,
            consecutive_failures=v.consecutive_failures,
            retry_in_seconds=v.retry_in_seconds,
        )
        for v in views
    ]
