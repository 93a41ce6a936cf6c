"""Use cases on the model catalog: providers, aliases and prices (admins change, all read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.health import ProviderHealth
from flowwright.agents.application.ports import (
    AgentsUnitOfWorkFactory,
    EndpointGuard,
    PriceEntry,
)
from flowwright.agents.domain.catalog import (
    DEFAULT_BREAKER_COOLDOWN_SECONDS,
    DEFAULT_BREAKER_THRESHOLD,
    DEFAULT_TIMEOUT_SECONDS,
    MODEL_NAME_MAX,
    Alias,
    Candidate,
    Provider,
    ProviderKind,
    RoutingPolicy,
    check_alias_name,
    check_candidates,
    check_provider_name,
    check_secret_reference,
)
from flowwright.agents.domain.events import (
    AliasConfigured,
    AliasRemoved,
    PriceChanged,
    ProviderConfigured,
    ProviderRemoved,
)
from flowwright.agents.domain.pricing import DEFAULT_MODELS, Price
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound, ValidationFailed
from flowwright.kernel.ids import new_id


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    kind: ProviderKind
    base_url: str | None = None
    api_key_secret: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    breaker_threshold: int = DEFAULT_BREAKER_THRESHOLD
    breaker_cooldown_seconds: float = DEFAULT_BREAKER_COOLDOWN_SECONDS


@dataclass(frozen=True)
class AliasSpec:
    name: str
    policy: RoutingPolicy
    candidates: list[Candidate] = field(default_factory=list)


# --- providers ---------------------------------------------------------------------------------


async def put_provider(
    spec: ProviderSpec,
    *,
    caller: Caller,
    uow_factory: AgentsUnitOfWorkFactory,
    guard: EndpointGuard,
    clock: Clock,
) -> tuple[Provider, bool]:
    """Create or replace a provider; returns it and whether it is new."""
    caller.require(Grant.MANAGE)
    check_provider_name(spec.name)
    check_secret_reference(spec.api_key_secret)
    base_url = _check_base_url(spec.base_url)
    if base_url is not None:
        await guard.check(base_url)
    if not 0.1 <= spec.timeout_seconds <= 600:
        raise ValidationFailed("timeout_seconds must be 0.1-600", details={"field": "timeout"})
    if not 1 <= spec.breaker_threshold <= 1000:
        raise ValidationFailed("breaker_threshold must be 1-1000")
    if not 0.1 <= spec.breaker_cooldown_seconds <= 86_400:
        raise ValidationFailed("breaker_cooldown_seconds must be 0.1-86400")
    now = clock.now()
    async with uow_factory(caller.tenant_id) as uow:
        existing = await uow.providers.get(spec.name)
        provider = Provider(
            id=existing.id if existing else new_id(),
            tenant_id=caller.tenant_id,
            name=spec.name,
            kind=spec.kind,
            base_url=base_url,
            api_key_secret=spec.api_key_secret,
            timeout_seconds=spec.timeout_seconds,
            breaker_threshold=spec.breaker_threshold,
            breaker_cooldown_seconds=spec.breaker_cooldown_seconds,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        if existing is None:
            await uow.providers.add(provider)
        else:
            await uow.providers.update(provider)
        uow.emit(
            ProviderConfigured(
                tenant_id=caller.tenant_id,
                provider=spec.name,
                kind=spec.kind.value,
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
    return provider, existing is None


async def list_providers(*, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> list[Provider]:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.providers.list()


async def get_provider(
    name: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory
) -> Provider:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        provider = await uow.providers.get(name)
    if provider is None:
        raise NotFound(f"provider '{name}' not found")
    return provider


async def remove_provider(
    name: str,
    *,
    caller: Caller,
    uow_factory: AgentsUnitOfWorkFactory,
    health: ProviderHealth,
) -> None:
    caller.require(Grant.MANAGE)
    async with uow_factory(caller.tenant_id) as uow:
        if await uow.providers.get(name) is None:
            raise NotFound(f"provider '{name}' not found")
        users = [
            a.name
            for a in await uow.aliases.list()
            if any(c.provider == name for c in a.candidates)
        ]
        if users:
            raise ValidationFailed(
                f"provider '{name}' is used by alias(es) {', '.join(users)}: "
                "remove it from them first",
                details={"aliases": users},
            )
        await uow.providers.delete(name)
        uow.emit(
            ProviderRemoved(tenant_id=caller.tenant_id, provider=name, removed_by=caller.user_id)
        )
        await uow.commit()
    health.forget(caller.tenant_id, name)


def _check_base_url(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            f"base_url must be an http(s) URL, got {url!r}", details={"field": "base_url"}
        )
    if parts.username or parts.password:
        raise ValidationFailed(
            "base_url must not hold credentials: put the API key in a secret",
            details={"field": "base_url"},
        )
    if parts.query or parts.fragment:
        raise ValidationFailed(
            "base_url must not have a query or fragment", details={"field": "base_url"}
        )
    if len(url) > 500:
        raise ValidationFailed("base_url is longer than 500 characters")
    return url.rstrip("/")


# --- aliases -----------------------------------------------------------------------------------


async def put_alias(
    spec: AliasSpec, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, clock: Clock
) -> tuple[Alias, bool]:
    """Create or replace an alias; every candidate's provider must exist."""
    caller.require(Grant.MANAGE)
    check_alias_name(spec.name)
    check_candidates(spec.candidates, spec.policy)
    now = clock.now()
    async with uow_factory(caller.tenant_id) as uow:
        known = {p.name for p in await uow.providers.list()}
        missing = sorted({c.provider for c in spec.candidates} - known)
        if missing:
            raise ValidationFailed(
                f"unknown provider(s) {', '.join(missing)}: add them first with "
                "`flowwright llm provider add`",
                details={"field": "candidates"},
            )
        existing = await uow.aliases.get(spec.name)
        alias = Alias(
            id=existing.id if existing else new_id(),
            tenant_id=caller.tenant_id,
            name=spec.name,
            policy=spec.policy,
            candidates=list(spec.candidates),
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        if existing is None:
            await uow.aliases.add(alias)
        else:
            await uow.aliases.update(alias)
        uow.emit(
            AliasConfigured(
                tenant_id=caller.tenant_id,
                alias=alias.name,
                policy=alias.policy.value,
                candidates=[c.key for c in alias.candidates],
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
    return alias, existing is None


async def list_aliases(*, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> list[Alias]:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        return await uow.aliases.list()


async def get_alias(name: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> Alias:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        alias = await uow.aliases.get(name)
    if alias is None:
        raise NotFound(f"alias '{name}' not found")
    return alias


async def remove_alias(name: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> None:
    caller.require(Grant.MANAGE)
    async with uow_factory(caller.tenant_id) as uow:
        if await uow.aliases.get(name) is None:
            raise NotFound(f"alias '{name}' not found")
        await uow.aliases.delete(name)
        uow.emit(AliasRemoved(tenant_id=caller.tenant_id, alias=name, removed_by=caller.user_id))
        await uow.commit()


# --- prices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceView:
    model: str
    input_usd: Decimal
    output_usd: Decimal
    source: str  # tenant | default


async def set_price(
    model: str,
    price: Price,
    *,
    caller: Caller,
    uow_factory: AgentsUnitOfWorkFactory,
    clock: Clock,
) -> PriceView:
    caller.require(Grant.MANAGE)
    if not 1 <= len(model) <= MODEL_NAME_MAX or model.strip() != model:
        raise ValidationFailed(f"model name must have 1-{MODEL_NAME_MAX} characters")
    async with uow_factory(caller.tenant_id) as uow:
        await uow.prices.set(model, price, at=clock.now())
        uow.emit(
            PriceChanged(
                tenant_id=caller.tenant_id,
                model=model,
                input_micros=price.input_micros,
                output_micros=price.output_micros,
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
    return PriceView(model, price.input_usd, price.output_usd, "tenant")


async def list_prices(
    *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory, include_defaults: bool = False
) -> list[PriceView]:
    caller.require(Grant.READ)
    async with uow_factory(caller.tenant_id) as uow:
        own: list[PriceEntry] = await uow.prices.list()
    views = [PriceView(e.model, e.price.input_usd, e.price.output_usd, "tenant") for e in own]
    if include_defaults:
        mine = {e.model for e in own}
        views += [
            PriceView(model, d.price.input_usd, d.price.output_usd, "default")
            for model, d in DEFAULT_MODELS.items()
            if model not in mine
        ]
    return sorted(views, key=lambda v: v.model)


async def get_price(
    model: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory
) -> PriceView:
    for view in await list_prices(caller=caller, uow_factory=uow_factory):
        if view.model == model:
            return view
    raise NotFound(f"no price set for model '{model}'")


async def remove_price(model: str, *, caller: Caller, uow_factory: AgentsUnitOfWorkFactory) -> None:
    caller.require(Grant.MANAGE)
    async with uow_factory(caller.tenant_id) as uow:
        if not await uow.prices.delete(model):
            raise NotFound(f"no price set for model '{model}'")
        uow.emit(
            PriceChanged(
                tenant_id=caller.tenant_id,
                model=model,
                input_micros=None,
                output_micros=None,
                changed_by=caller.user_id,
            )
        )
        await uow.commit()
