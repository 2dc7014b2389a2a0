"""Hedra's credit prices from the model catalog (spec 10), shared by the provider (estimates) and the
emulator (what a finished job debits). Dollars come from credits x `HEDRA_USD_PER_CREDIT`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .rules import TTS_CHARS_PER_SECOND


def speech_seconds(script: str) -> float:
    """How long Hedra's voice takes to speak `script` (about 14 characters a second; at least 1 s)."""
    return max(1.0, len(script.strip()) / TTS_CHARS_PER_SECOND)


def credits(model: Mapping[str, Any], seconds: float, choices: Mapping[str, str]) -> int | None:
    """Credits for `seconds` of output with `choices` (e.g. {"resolution": "720p"}); None when the
    catalog entry gives no usable price.

    `pricing` first: ceil((base_cost + credits_per_second x seconds) x the modifiers of the choices);
    else `price_details`: ceil(credit_cost x units / unit_scale), by second or by generation."""
    pricing = model.get("pricing")
    if isinstance(pricing, Mapping) and isinstance(pricing.get("credits_per_second"), int | float):
        total = float(pricing.get("base_cost") or 0) + float(pricing["credits_per_second"]) * seconds
        for dimension, options in (pricing.get("modifiers") or {}).items():
            factor = options.get(choices.get(dimension)) if isinstance(options, Mapping) else None
            total *= float(factor) if isinstance(factor, int | float) else 1.0
        return math.ceil(total - 1e-9)
    return _from_details(model.get("price_details"), seconds)


def _from_details(details: Any, seconds: float) -> int | None:
    if not isinstance(details, Mapping) or not isinstance(details.get("credit_cost"), int | float):
        return None
    scale = float(details.get("unit_scale") or 1)
    unit = details.get("billing_unit")
    units = seconds if unit == "second" else 1.0 if unit == "generation" else None
    return None if units is None or scale <= 0 else math.ceil(float(details["credit_cost"]) * units / scale - 1e-9)
