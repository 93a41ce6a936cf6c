"""Routing policies order an alias's candidates; capabilities filter them."""

from __future__ import annotations

import random
from collections import Counter

from flowwright.agents.domain.catalog import Candidate, Capabilities, RoutingPolicy
from flowwright.agents.domain.pricing import Price, resolve_price
from flowwright.agents.domain.routing import Needs, is_capable, order_candidates

A = Candidate("p", "a")
B = Candidate("p", "b")
C = Candidate("p", "c")
PRICES = {"a": Price(5_000_000, 15_000_000), "b": Price(100_000, 200_000), "c": Price(0, 0)}


def _order(
    policy: RoutingPolicy,
    candidates: list[Candidate],
    *,
    latency: dict[str, float] | None = None,
    seed: int = 7,
) -> list[str]:
    ordered = order_candidates(
        policy,
        candidates,
        price_of=lambda c: resolve_price(c.model, PRICES),
        median_latency_ms=lambda c: (latency or {}).get(c.model),
        rng=random.Random(seed),
    )
    return [c.model for c in ordered]


def test_priority_keeps_the_listed_order() -> None:
    assert _order(RoutingPolicy.PRIORITY, [B, A, C]) == ["b", "a", "c"]


def test_cheapest_orders_by_price_and_ties_keep_the_listed_order() -> None:
    free = Candidate("q", "c")
    assert _order(RoutingPolicy.CHEAPEST, [A, C, B, free]) == ["c", "c", "b", "a"]


def test_lowest_latency_measures_new_candidates_first_then_prefers_the_fastest() -> None:
    latency = {"a": 900.0, "b": 120.0}
    assert _order(RoutingPolicy.LOWEST_LATENCY, [A, B, C], latency=latency) == ["c", "b", "a"]


def test_weighted_is_deterministic_under_a_seeded_rng() -> None:
    weighted = [Candidate("p", "a", weight=1), Candidate("p", "b", weight=3)]
    assert _order(RoutingPolicy.WEIGHTED, weighted, seed=11) == _order(
        RoutingPolicy.WEIGHTED, weighted, seed=11
    )


def test_weighted_leads_in_proportion_to_weight_and_keeps_every_candidate() -> None:
    weighted = [Candidate("p", "a", weight=1), Candidate("p", "b", weight=3)]
    rng = random.Random(42)
    leads: Counter[str] = Counter()
    for _ in range(4000):
        ordered = order_candidates(
            RoutingPolicy.WEIGHTED,
            weighted,
            price_of=lambda c: Price(0, 0),
            median_latency_ms=lambda c: None,
            rng=rng,
        )
        assert sorted(c.model for c in ordered) == ["a", "b"]
        leads[ordered[0].model] += 1
    assert 0.70 < leads["b"] / 4000 < 0.80


def test_zero_weight_candidates_are_fallbacks_only() -> None:
    spare = Candidate("p", "spare", weight=0)
    for seed in range(20):
        assert _order(RoutingPolicy.WEIGHTED, [spare, A], seed=seed) == ["a", "spare"]


def test_tool_calls_need_a_candidate_that_supports_tools() -> None:
    no_tools = Candidate("p", "x", capabilities=Capabilities(tools=False))
    assert is_capable(no_tools, Needs())
    assert not is_capable(no_tools, Needs(tools=True))
    assert is_capable(Candidate("p", "unknown-model"), Needs(tools=True))


def test_a_prompt_larger_than_the_context_window_skips_the_candidate() -> None:
    small = Candidate("p", "x", capabilities=Capabilities(context_window=1000))
    assert is_capable(small, Needs(min_context_tokens=999))
    assert not is_capable(small, Needs(min_context_tokens=1001))
    # Known models take their window from the defaults table (gpt-4o: 128k tokens).
    assert not is_capable(Candidate("p", "gpt-4o"), Needs(min_context_tokens=200_000))
