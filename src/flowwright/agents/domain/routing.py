"""Routing policies: the order in which an alias's candidates are tried for one call.

* ``priority``: as listed; the next one is the fallback.
* ``cheapest``: by price per million tokens (input + output); ties keep the listed order.
* ``lowest_latency``: by the recent median latency of each candidate in this process; candidates
  not measured yet come first (in listed order) so that each gets measured.
* ``weighted``: a random order drawn by weight (a candidate with weight 2 leads twice as often as
  one with weight 1); zero-weight candidates only ever serve as fallbacks, in listed order.

Every policy returns every capable candidate, so the tail of the order is the failover path.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flowwright.agents.domain.catalog import Candidate, RoutingPolicy
from flowwright.agents.domain.pricing import Price, model_defaults


@dataclass(frozen=True)
class Needs:
    """What a call requires of a candidate."""

    tools: bool = False
    min_context_tokens: int | None = None


def supports_tools(candidate: Candidate) -> bool:
    if candidate.capabilities.tools is not None:
        return candidate.capabilities.tools
    defaults = model_defaults(candidate.model)
    return defaults.tools if defaults is not None else True


def supports_json_schema(candidate: Candidate) -> bool:
    if candidate.capabilities.json_schema is not None:
        return candidate.capabilities.json_schema
    defaults = model_defaults(candidate.model)
    return defaults.json_schema if defaults is not None else False


def context_window(candidate: Candidate) -> int | None:
    if candidate.capabilities.context_window is not None:
        return candidate.capabilities.context_window
    defaults = model_defaults(candidate.model)
    return defaults.context_window if defaults is not None else None


def is_capable(candidate: Candidate, needs: Needs) -> bool:
    if needs.tools and not supports_tools(candidate):
        return False
    window = context_window(candidate)
    return not (
        needs.min_context_tokens is not None
        and window is not None
        and window < needs.min_context_tokens
    )


def order_candidates(
    policy: RoutingPolicy,
    candidates: Sequence[Candidate],
    *,
    price_of: Callable[[Candidate], Price],
    median_latency_ms: Callable[[Candidate], float | None],
    rng: random.Random,
) -> list[Candidate]:
    listed = list(candidates)
    if policy is RoutingPolicy.PRIORITY:
        return listed
    if policy is RoutingPolicy.CHEAPEST:

        def unit_price(candidate: Candidate) -> int:
            price = price_of(candidate)
            return price.input_micros + price.output_micros

        return sorted(listed, key=unit_price)  # sorted() is stable: ties keep listed order
    if policy is RoutingPolicy.LOWEST_LATENCY:
        unmeasured = [c for c in listed if median_latency_ms(c) is None]
        measured = [c for c in listed if median_latency_ms(c) is not None]
        return unmeasured + sorted(measured, key=lambda c: median_latency_ms(c) or 0.0)
    return _weighted_order(listed, rng)


def _weighted_order(candidates: list[Candidate], rng: random.Random) -> list[Candidate]:
    remaining = [c for c in candidates if c.weight > 0]
    ordered: list[Candidate] = []
    while remaining:
        total = sum(c.weight for c in remaining)
        point = rng.random() * total
        for index, candidate in enumerate(remaining):
            point -= candidate.weight
            if point < 0 or index == len(remaining) - 1:
                ordered.append(remaining.pop(index))
                break
    return ordered + [c for c in candidates if c.weight <= 0]
