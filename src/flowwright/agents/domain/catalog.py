"""The model catalog of a tenant: providers, and aliases that route to ordered candidates.

A *provider* is one endpoint the tenant can call (OpenAI, Anthropic, or any OpenAI-compatible
server such as vLLM or Ollama) with the name of the tenant secret holding its API key. An *alias*
(``fast``, ``smart``, ...) is what callers ask for; it lists *candidates* (provider + model +
default parameters) and the routing policy that orders them for each call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flowwright.kernel.errors import ValidationFailed

ALIAS_NAME_RE = re.compile(r"\A[a-z][a-z0-9_-]{0,62}\Z")
PROVIDER_NAME_RE = re.compile(r"\A[a-z][a-z0-9_-]{0,62}\Z")
SECRET_NAME_RE = re.compile(r"\A[A-Z][A-Z0-9_]{0,63}\Z")
MODEL_NAME_MAX = 200
MAX_CANDIDATES = 16

DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_BREAKER_THRESHOLD = 5
DEFAULT_BREAKER_COOLDOWN_SECONDS = 30.0


class ProviderKind(StrEnum):
    OPENAI = "openai"  # OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI)
    ANTHROPIC = "anthropic"


class RoutingPolicy(StrEnum):
    PRIORITY = "priority"
    CHEAPEST = "cheapest"
    LOWEST_LATENCY = "lowest_latency"
    WEIGHTED = "weighted"


@dataclass
class Provider:
    id: str
    tenant_id: str
    name: str
    kind: ProviderKind
    created_at: datetime
    updated_at: datetime
    base_url: str | None = None
    api_key_secret: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    breaker_threshold: int = DEFAULT_BREAKER_THRESHOLD
    breaker_cooldown_seconds: float = DEFAULT_BREAKER_COOLDOWN_SECONDS


@dataclass(frozen=True)
class Capabilities:
    """What a candidate can do; ``None`` means "as the defaults table says for this model"."""

    json_schema: bool | None = None
    tools: bool | None = None
    context_window: int | None = None


@dataclass(frozen=True)
class Candidate:
    provider: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def key(self) -> str:
        """Identifies the candidate within a tenant: ``provider/model``."""
        return f"{self.provider}/{self.model}"


@dataclass
class Alias:
    id: str
    tenant_id: str
    name: str
    policy: RoutingPolicy
    candidates: list[Candidate]
    created_at: datetime
    updated_at: datetime


# Parameters a caller may set per candidate or per call. Anything else is refused rather than
# forwarded, so a typo fails loudly instead of being silently ignored by a provider.
ALLOWED_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "top_k",
    }
)


def check_alias_name(name: str) -> str:
    if not ALIAS_NAME_RE.match(name):
        raise ValidationFailed(
            f"invalid alias name {name!r}: use 1-63 lowercase letters, digits, '_' and '-', "
            "starting with a letter",
            details={"field": "name"},
        )
    return name


def check_provider_name(name: str) -> str:
    if not PROVIDER_NAME_RE.match(name):
        raise ValidationFailed(
            f"invalid provider name {name!r}: use 1-63 lowercase letters, digits, '_' and '-', "
            "starting with a letter",
            details={"field": "name"},
        )
    return name


def check_secret_reference(name: str | None) -> str | None:
    if name is not None and not SECRET_NAME_RE.match(name):
        raise ValidationFailed(
            f"invalid secret name {name!r}: use 1-64 uppercase letters, digits and '_', "
            "starting with a letter",
            details={"field": "api_key_secret"},
        )
    return name


def check_params(params: dict[str, Any], *, where: str) -> dict[str, Any]:
    unknown = sorted(set(params) - ALLOWED_PARAMS)
    if unknown:
        raise ValidationFailed(
            f"unknown model parameter(s) {', '.join(unknown)} in {where}; "
            f"allowed: {', '.join(sorted(ALLOWED_PARAMS))}",
            details={"field": where},
        )
    return dict(params)


def check_candidates(candidates: list[Candidate], policy: RoutingPolicy) -> list[Candidate]:
    if not 1 <= len(candidates) <= MAX_CANDIDATES:
        raise ValidationFailed(
            f"an alias needs 1-{MAX_CANDIDATES} candidates", details={"field": "candidates"}
        )
    seen: set[str] = set()
    for index, candidate in enumerate(candidates):
        where = f"candidates[{index}]"
        check_provider_name(candidate.provider)
        if not 1 <= len(candidate.model) <= MODEL_NAME_MAX or candidate.model.strip() == "":
            raise ValidationFailed(f"{where}.model must have 1-{MODEL_NAME_MAX} characters")
        if candidate.key in seen:
            raise ValidationFailed(f"{where} repeats {candidate.key}")
        seen.add(candidate.key)
        check_params(candidate.params, where=f"{where}.params")
        if not candidate.weight >= 0:
            raise ValidationFailed(f"{where}.weight must be zero or more")
        window = candidate.capabilities.context_window
        if window is not None and window < 1:
            raise ValidationFailed(f"{where}.capabilities.context_window must be positive")
    if policy is RoutingPolicy.WEIGHTED and not any(c.weight > 0 for c in candidates):
        raise ValidationFailed("a weighted alias needs at least one candidate with weight > 0")
    return candidates
