"""Recorded results: the final answer of a call, kept by idempotency key and given back as is.

The engine passes each step attempt's key, so a resumed run gets its finished LLM calls back
without paying for them again. Kinds: ``chat`` (plain and streamed calls), ``structured`` and
``embedding``; a key recorded for one kind is refused for another.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from flowwright.agents.application.ports import StoredResult
from flowwright.agents.domain.messages import (
    Attempt,
    CallOutcome,
    ChatResult,
    EmbeddingResult,
    TokenUsage,
    ToolCall,
)
from flowwright.kernel.errors import ValidationFailed


def chat_record(key: str, kind: str, result: ChatResult, at: datetime) -> StoredResult:
    payload = {
        "content": result.content,
        "tool_calls": [dataclasses.asdict(call) for call in result.tool_calls],
        "finish_reason": result.finish_reason,
        "parsed": result.parsed,
        "outcome": _outcome_payload(result.outcome),
    }
    return StoredResult(idempotency_key=key, kind=kind, payload=payload, created_at=at)


def embedding_record(key: str, result: EmbeddingResult, at: datetime) -> StoredResult:
    payload = {
        "vectors": [list(vector) for vector in result.vectors],
        "outcome": _outcome_payload(result.outcome),
    }
    return StoredResult(idempotency_key=key, kind="embedding", payload=payload, created_at=at)


def replayed_chat(stored: StoredResult, kind: str) -> ChatResult:
    _expect(stored, kind)
    payload = stored.payload
    return ChatResult(
        content=str(payload["content"]),
        tool_calls=tuple(ToolCall(**call) for call in payload["tool_calls"]),
        finish_reason=str(payload["finish_reason"]),
        outcome=_outcome(payload["outcome"]),
        parsed=payload.get("parsed"),
    )


def replayed_embedding(stored: StoredResult) -> EmbeddingResult:
    _expect(stored, "embedding")
    return EmbeddingResult(
        vectors=tuple(tuple(float(x) for x in vector) for vector in stored.payload["vectors"]),
        outcome=_outcome(stored.payload["outcome"]),
    )


def _expect(stored: StoredResult, kind: str) -> None:
    if stored.kind != kind:
        raise ValidationFailed(
            f"idempotency key '{stored.idempotency_key}' was used for a {stored.kind} call, "
            f"not a {kind} call",
            details={"field": "idempotency_key"},
        )


def _outcome_payload(outcome: CallOutcome) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data.pop("replayed", None)
    return data


def _outcome(data: dict[str, Any]) -> CallOutcome:
    return CallOutcome(
        alias=data["alias"],
        provider=data["provider"],
        model=data["model"],
        usage=TokenUsage(**data["usage"]),
        cost_micros=int(data["cost_micros"]),
        priced=bool(data["priced"]),
        latency_ms=int(data["latency_ms"]),
        attempts=tuple(Attempt(**a) for a in data["attempts"]),
        usage_id=data.get("usage_id"),
        replayed=True,
    )
