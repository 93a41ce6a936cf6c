"""Prices and the cost of a call, in exact decimal arithmetic.

Prices are US dollars per million tokens, kept as integer *micro-dollars* per million tokens
(``$2.50`` -> ``2_500_000``) so that storage and sums are exact on every database. The cost of one
call is rounded half-up to a whole micro-dollar (at most half a micro-dollar per call).

A tenant's own price for a model wins; otherwise the defaults table below applies (list prices
published by the vendors, matched by exact name or by a dated-version prefix such as
``gpt-4o-2024-08-06``); otherwise the model is *unpriced*: it costs 0 and usage records say
``priced: false`` until someone sets its price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flowwright.kernel.errors import ValidationFailed

MICROS = 1_000_000
TOKENS_PER_PRICE_UNIT = 1_000_000
MAX_PRICE_USD = Decimal(100_000)


def dollars_to_micros(value: Decimal | str, *, maximum: Decimal = MAX_PRICE_USD) -> int:
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"not a dollar amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0 or amount > maximum:
        raise ValidationFailed(f"a dollar amount must be between 0 and {maximum}")
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise ValidationFailed(f"{value} has more than 6 decimal places (micro-dollars)")
    return int(micros)


def micros_to_dollars(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS).quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Price:
    """Micro-dollars per million input and output tokens."""

    input_micros: int
    output_micros: int
    priced: bool = True

    @classmethod
    def of_dollars(cls, input_usd: Decimal | str, output_usd: Decimal | str) -> Price:
        return cls(dollars_to_micros(input_usd), dollars_to_micros(output_usd))

    @property
    def input_usd(self) -> Decimal:
        return micros_to_dollars(self.input_micros)

    @property
    def output_usd(self) -> Decimal:
        return micros_to_dollars(self.output_micros)


UNPRICED = Price(0, 0, priced=False)


@dataclass(frozen=True)
class ModelDefaults:
    price: Price
    context_window: int | None
    json_schema: bool
    tools: bool = True


def _m(
    input_usd: str, output_usd: str, window: int | None, json_schema: bool, tools: bool = True
) -> ModelDefaults:
    return ModelDefaults(Price.of_dollars(input_usd, output_usd), window, json_schema, tools)


# USD per million tokens (input, output), context window, native JSON-schema output, tools.
DEFAULT_MODELS: Mapping[str, ModelDefaults] = {
    "gpt-5": _m("1.25", "10.00", 400_000, True),
    "gpt-5-mini": _m("0.25", "2.00", 400_000, True),
    "gpt-5-nano": _m("0.05", "0.40", 400_000, True),
    "gpt-4.1": _m("2.00", "8.00", 1_047_576, True),
    "gpt-4.1-mini": _m("0.40", "1.60", 1_047_576, True),
    "gpt-4.1-nano": _m("0.10", "0.40", 1_047_576, True),
    "gpt-4o": _m("2.50", "10.00", 128_000, True),
    "gpt-4o-mini": _m("0.15", "0.60", 128_000, True),
    "o3": _m("2.00", "8.00", 200_000, True),
    "o4-mini": _m("1.10", "4.40", 200_000, True),
    "text-embedding-3-small": _m("0.02", "0", 8_191, False, tools=False),
    "text-embedding-3-large": _m("0.13", "0", 8_191, False, tools=False),
    "claude-opus-4-1": _m("15.00", "75.00", 200_000, False),
    "claude-opus-4": _m("15.00", "75.00", 200_000, False),
    "claude-sonnet-4-5": _m("3.00", "15.00", 200_000, False),
    "claude-sonnet-4": _m("3.00", "15.00", 200_000, False),
    "claude-haiku-4-5": _m("1.00", "5.00", 200_000, False),
    "claude-3-7-sonnet": _m("3.00", "15.00", 200_000, False),
    "claude-3-5-haiku": _m("0.80", "4.00", 200_000, False),
}


def model_defaults(model: str) -> ModelDefaults | None:
    """The defaults of a well-known model: exact name, else the longest ``name-`` prefix."""
    found = DEFAULT_MODELS.get(model)
    if found is not None:
        return found
    best = ""
    for name in DEFAULT_MODELS:
        if model.startswith(name + "-") and len(name) > len(best):
            best = name
    return DEFAULT_MODELS[best] if best else None


def resolve_price(model: str, tenant_prices: Mapping[str, Price]) -> Price:
    own = tenant_prices.get(model)
    if own is not None:
        return own
    defaults = model_defaults(model)
    return defaults.price if defaults is not None else UNPRICED


def cost_micros(price: Price, *, input_tokens: int, output_tokens: int) -> int:
    """The cost of a call in whole micro-dollars (half-up)."""
    exact = (
        Decimal(input_tokens) * price.input_micros + Decimal(output_tokens) * price.output_micros
    ) / TOKENS_PER_PRICE_UNIT
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
