"""Ray 2 prices from the AI/ML API's machine-readable catalogue (spec 10.1), matched to a request.

The figures are not published anywhere else, so they are read at run time (`GET /v1/models?id=...
&include=pricing`, no key) and matched against the request's dimensions. A block that cannot be
matched, or whose `kind` is `variable`, gives no estimate: an unknown price, never a guessed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import DEFAULT_DURATION, DEFAULT_RESOLUTION

_PER_SECOND = ("second", "seconds", "sec", "s")
_PER_CLIP = ("video", "generation", "request", "clip", "item")


def estimate(pricing: Mapping[str, Any] | None, body: Mapping[str, Any]) -> float | None:
    if not isinstance(pricing, Mapping):
        return None
    request = _dimensions(body)
    kind = pricing.get("kind")
    if kind == "variants":
        return _from_variants(pricing, request)
    if kind == "fixed":
        units = pricing.get("units")
        return _first_rate(units if isinstance(units, list) else [], request)
    return None


def _dimensions(body: Mapping[str, Any]) -> dict[str, str]:
    duration = body.get("duration") or DEFAULT_DURATION
    return {
        "resolution": str(body.get("resolution") or DEFAULT_RESOLUTION),
        "duration": str(duration),
        "aspect_ratio": str(body.get("aspect_ratio") or "16:9"),
        "loop": str(bool(body.get("loop"))).lower(),
    }


def _from_variants(pricing: Mapping[str, Any], request: Mapping[str, str]) -> float | None:
    variants = pricing.get("variants")
    for variant in variants if isinstance(variants, list) else []:
        when = variant.get("when") if isinstance(variant, Mapping) else None
        if isinstance(when, Mapping) and all(_same(request.get(str(key)), value) for key, value in when.items()):
            return _rate(variant, request)
    return None


def _first_rate(units: list[Any], request: Mapping[str, str]) -> float | None:
    for unit in units:
        if isinstance(unit, Mapping):
            price = _rate({**unit, "unit": unit.get("name")}, request)
            if price is not None:
                return price
    return None


def _rate(entry: Mapping[str, Any], request: Mapping[str, str]) -> float | None:
    price, per, unit = entry.get("price"), entry.get("per") or 1, str(entry.get("unit") or "").lower()
    if not isinstance(price, int | float) or not isinstance(per, int | float) or per <= 0:
        return None
    if unit in _PER_SECOND:
        return round(price / per * int(request["duration"]), 4)
    if unit in _PER_CLIP:
        return round(price / per, 4)
    return None


def _same(requested: str | None, value: Any) -> bool:
    """`when` values may be typed (9, true) where the request has text ("9", "true")."""
    if requested is None:
        return False
    return requested == (str(value).lower() if isinstance(value, bool) else str(value))
