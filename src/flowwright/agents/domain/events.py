"""Events of the agents context (the LLM gateway's share of them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flowwright.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class BudgetWarning(DomainEvent):
    """This month's usage reached the budget's warning threshold (sent once per month)."""

    name: ClassVar[str] = "agents.BudgetWarning"
    period: str
    warn_percent: int
    used_tokens: int
    used_micros: int
    token_limit: int | None
    cost_limit_micros: int | None


@dataclass(frozen=True, kw_only=True)
class QuotaExceeded(DomainEvent):
    """A call was refused because the month's budget is used up (sent once per month)."""

    name: ClassVar[str] = "agents.QuotaExceeded"
    period: str
    limit: str  # tokens | cost
    used_tokens: int
    used_micros: int
    token_limit: int | None
    cost_limit_micros: int | None


@dataclass(frozen=True, kw_only=True)
class ProviderConfigured(DomainEvent):
    name: ClassVar[str] = "agents.ProviderConfigured"
    provider: str
    kind: str
    changed_by: str | None


@dataclass(frozen=True, kw_only=True)
class ProviderRemoved(DomainEvent):
    name: ClassVar[str] = "agents.ProviderRemoved"
    provider: str
    removed_by: str | None


@dataclass(frozen=True, kw_only=True)
class AliasConfigured(DomainEvent):
    name: ClassVar[str] = "agents.AliasConfigured"
    alias: str
    policy: str
    candidates: list[str]
    changed_by: str | None


@dataclass(frozen=True, kw_only=True)
class AliasRemoved(DomainEvent):
    name: ClassVar[str] = "agents.AliasRemoved"
    alias: str
    removed_by: str | None


@dataclass(frozen=True, kw_only=True)
class BudgetChanged(DomainEvent):
    """The budget was set (limits given) or removed (all limits None)."""

    name: ClassVar[str] = "agents.BudgetChanged"
    token_limit: int | None
    cost_limit_micros: int | None
    warn_percent: int | None
    changed_by: str | None


@dataclass(frozen=True, kw_only=True)
class PriceChanged(DomainEvent):
    """A model's price was set (micro-dollars per million tokens) or removed (None)."""

    name: ClassVar[str] = "agents.PriceChanged"
    model: str
    input_micros: int | None
    output_micros: int | None
    changed_by: str | None


# Events after which a tenant's catalog (providers, aliases, prices, budget) must be read again.
CATALOG_EVENTS = frozenset(
    {
        ProviderConfigured.name,
        ProviderRemoved.name,
        AliasConfigured.name,
        AliasRemoved.name,
        BudgetChanged.name,
        PriceChanged.name,
    }
)
