"""The model catalogue (`GET /v1/models`, `GET /model/{id}`) and what a create costs.

The `pricing` blocks served here are also what the emulator charges, so a client's estimate read
from the catalogue and the cost it is billed agree. When a block cannot price a request (`kind:
variable`, or no variant matches) the emulator still charges, from its placeholder table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..rules import DEFAULT_RESOLUTION, MODELS
from .config import DEFAULT_PRICES, AimlEmulatorConfig
from .responses import ApiError, query_flag

PUBLIC_NAMES: dict[str, str] = {wire: public for public, wire in MODELS.items()}
_INFO: dict[str, dict[str, str]] = {
    "ray-2": {"name": "Ray 2", "developer": "Luma AI", "description": "Text and image to video, with extend."},
    "ray-flash-2": {"name": "Ray Flash 2", "developer": "Luma AI", "description": "Ray 2, nearly twice as fast."},
}


def quote(block: Mapping[str, Any], dimensions: Mapping[str, Any]) -> float | None:
    """USD for a request under one `pricing` block; None when the block cannot say (spec 10.1)."""
    seconds = float(dimensions.get("duration") or 0)
    if block.get("kind") == "variants":
        for variant in block.get("variants") or []:
            when: Mapping[str, Any] = variant.get("when") or {}
            if all(_word(dimensions.get(name)) == _word(value) for name, value in when.items()):
                return _charge(variant, seconds)
        return None
    if block.get("kind") == "fixed" and block.get("units"):
        return _charge(block["units"][0], seconds)
    return None


def _charge(rate: Mapping[str, Any], seconds: float) -> float:
    unit = rate.get("unit") or rate.get("name")
    per_unit = float(rate["price"]) / float(rate.get("per") or 1)
    return per_unit * seconds if unit == "second" else per_unit


def _word(value: Any) -> str:
    """Compare as JSON would print: `5` and `"5"` match, `True` and `"true"` match."""
    return json.dumps(value).strip('"') if not isinstance(value, str) else value


def canonical_price(
    pricing: Mapping[str, Mapping[str, Any]], public_model: str, dimensions: Mapping[str, Any]
) -> float:
    block = pricing.get(public_model)
    price = quote(block, dimensions) if block is not None else None
    if price is None:
        resolution = str(dimensions.get("resolution") or DEFAULT_RESOLUTION)
        price = DEFAULT_PRICES[public_model][resolution] * float(dimensions.get("duration") or 0)
    return round(price, 6)


class Catalog:
    """Public routes: no key needed (spec 10.1); answers carry an ETag and honour `If-None-Match`."""

    def __init__(self, config: AimlEmulatorConfig) -> None:
        self.config = config

    async def models(self, request: Request) -> Response:
        wanted = request.query_params.get("id")
        pricing = _wants_pricing(request)
        data = [self._entry(public, pricing) for public, wire in MODELS.items() if wanted in (None, wire)]
        return _cached_json(request, {"object": "list", "data": data})

    async def model(self, request: Request) -> Response:
        wire = request.path_params["model_id"]
        public = PUBLIC_NAMES.get(wire)
        if public is None:
            raise ApiError(404, f"Model '{wire}' not found")
        return _cached_json(request, {"object": "model", "data": self._entry(public, _wants_pricing(request))})

    def _entry(self, public: str, pricing: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": MODELS[public],
            "aliases": [],
            "type": "video",
            "info": _INFO[public],
            "tags": ["luma", "video"],
        }
        if pricing:
            entry["pricing"] = self.config.pricing.get(public, {"kind": "variable", "currency": "USD"})
        return entry


def _wants_pricing(request: Request) -> bool:
    return query_flag(request, "include", "pricing", "all") or request.query_params.get("details") == "true"


def _cached_json(request: Request, payload: Mapping[str, Any]) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
