"""Cost arithmetic in exact decimals, prices by tenant, default table, or unpriced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flowwright.agents.domain.pricing import (
    UNPRICED,
    Price,
    cost_micros,
    dollars_to_micros,
    micros_to_dollars,
    model_defaults,
    resolve_price,
)
from flowwright.kernel.errors import ValidationFailed


def test_cost_is_tokens_times_price_per_million() -> None:
    price = Price.of_dollars("2.50", "10.00")
    assert cost_micros(price, input_tokens=1000, output_tokens=500) == 7500
    assert micros_to_dollars(7500) == Decimal("0.007500")


def test_fractions_of_a_micro_dollar_round_half_up_per_call() -> None:
    price = Price.of_dollars("0.15", "0.60")
    assert cost_micros(price, input_tokens=10, output_tokens=5) == 5  # 1.5 + 3.0 = 4.5
    assert cost_micros(price, input_tokens=3, output_tokens=0) == 0  # 0.45
    assert cost_micros(price, input_tokens=1_000_000, output_tokens=1_000_000) == 750_000


def test_large_usage_stays_exact() -> None:
    price = Price.of_dollars("15", "75")
    assert cost_micros(price, input_tokens=123_456_789, output_tokens=987_654) == (
        1_851_851_835 + 74_074_050
    )


def test_tenant_price_wins_over_the_default_table() -> None:
    own = Price.of_dollars("1", "1")
    assert resolve_price("gpt-4o", {"gpt-4o": own}) is own
    assert resolve_price("gpt-4o", {}) == Price.of_dollars("2.50", "10.00")


def test_dated_versions_match_the_longest_default_prefix() -> None:
    mini = model_defaults("gpt-4o-mini-2024-07-18")
    assert mini is not None and mini.price == Price.of_dollars("0.15", "0.60")
    dated = model_defaults("claude-sonnet-4-5-20250929")
    assert dated is not None and dated.price == Price.of_dollars("3", "15")
    assert model_defaults("gpt-4organic") is None  # a prefix must end at a '-'


def test_unknown_models_are_unpriced_and_cost_nothing() -> None:
    price = resolve_price("llama3:8b", {})
    assert price == UNPRICED and not price.priced
    assert cost_micros(price, input_tokens=10_000, output_tokens=10_000) == 0


@pytest.mark.parametrize("bad", ["-1", "0.0000001", "abc", "NaN", "100001"])
def test_bad_dollar_amounts_are_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        dollars_to_micros(bad)


def test_dollar_amounts_convert_exactly() -> None:
    assert dollars_to_micros("0.000001") == 1
    assert dollars_to_micros(Decimal("12.5")) == 12_500_000
