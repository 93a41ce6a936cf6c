"""Usage records: one per call attempt, with who asked, what answered and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"  # 5xx, connection error, unreadable answer
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"  # 429
    REJECTED = "rejected"  # another 4xx: the request's fault, never failed over
    CANCELLED = "cancelled"  # the caller went away mid-stream; the usage is unknown
    BREAKER_OPEN = "breaker_open"  # skipped: the endpoint's breaker is open
    COOLING_DOWN = "cooling_down"  # skipped: it asked us to retry later (Retry-After)
    UNAVAILABLE = "unavailable"  # skipped: missing secret, or a refused base URL


@dataclass(frozen=True)
class CallContext:
    """Optional facts about who is calling, recorded with the usage; all may be None."""

    run_id: str | None = None
    step_id: str | None = None
    workflow_id: str | None = None
    agent: str | None = None
    conversation_id: str | None = None
    user_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class UsageRecord:
    id: str
    tenant_id: str
    created_at: datetime
    alias: str
    provider: str
    model: str
    operation: str  # chat | stream | structured | embedding
    outcome: Outcome
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0
    priced: bool = True
    latency_ms: int = 0
    fallback_path: tuple[str, ...] = ()  # provider/model of every candidate tried, in order
    context: CallContext = field(default_factory=CallContext)

    @property
    def day(self) -> str:
        return self.created_at.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class UsageGroup:
    """Read model: usage aggregated under one key (a day, a model, a workflow or a run)."""

    key: str | None
    calls: int
    failed_calls: int
    input_tokens: int
    output_tokens: int
    cost_micros: int
    unpriced_calls: int
