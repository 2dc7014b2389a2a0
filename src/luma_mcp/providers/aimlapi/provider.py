"""The AI/ML API as a provider: Ray 2 and Ray Flash 2, with ids `aimlapi:<the API's id>`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import anyio

from ..base import Generation, MediaOutput, Violation
from . import pricing, rules
from .client import AimlApi

if TYPE_CHECKING:
    import httpx

# A failed catalogue read is not retried on every call for this long (the price stays unknown meanwhile).
PRICING_RETRY_SECONDS = 60.0
_RESOLUTION_FACTOR = {"540p": 0.8, "720p": 1.0, "1080p": 1.5, "4k": 3.0}
_MODERATION_WORDS = ("content filter", "moderat", "safety", "nsfw")


class AimlProvider:
    name: Literal["aimlapi"] = "aimlapi"

    def __init__(
        self, api_key: str, base_url: str, *, http_client: httpx.AsyncClient | None = None, read_timeout: float = 30.0
    ) -> None:
        self.api = AimlApi(api_key, base_url, http_client=http_client, read_timeout=read_timeout)
        self._prices: dict[str, Mapping[str, Any] | None] = {}
        self._failed_at: dict[str, float] = {}

    def check(self, body: Mapping[str, Any]) -> list[Violation]:
        return rules.check_body(body, strict=True)

    async def price(self, body: Mapping[str, Any], source_seconds: float | None = None) -> float | None:
        wire_model = str(body.get("model") or "")
        if wire_model not in self._prices:
            failed = self._failed_at.get(wire_model)
            if failed is not None and anyio.current_time() - failed < PRICING_RETRY_SECONDS:
                return None
            try:
                self._prices[wire_model] = await self.api.model_pricing(wire_model)
            except Exception:  # any failure: the price is unknown, and the caps treat it so
                self._failed_at[wire_model] = anyio.current_time()
                return None
        return pricing.estimate(self._prices[wire_model], body)

    def expected_seconds(self, body: Mapping[str, Any]) -> float:
        typical = rules.TYPICAL_SECONDS.get(str(body.get("model")), 108.0)
        factor = _RESOLUTION_FACTOR.get(str(body.get("resolution") or rules.DEFAULT_RESOLUTION), 1.5)
        return typical * factor * (1.8 if body.get("duration") == 9 else 1.0)

    def trace_id(self, body: Mapping[str, Any]) -> str:
        return f"lmcp-{uuid.uuid4().hex}"

    async def create(self, body: Mapping[str, Any], *, request_id: str) -> Generation:
        data = await self.api.create(body, request_id=request_id)
        api_id = str(data.get("generation_id") or data.get("id"))
        model = next((name for name, wire in rules.MODELS.items() if wire == body.get("model")), "ray-2")
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # the API reports no creation time
        return _generation(data, api_id, model, default_status="queued", created_at=created)

    async def get(self, generation_id: str) -> Generation:
        api_id = rules.api_id(generation_id)
        data = await self.api.get(api_id)
        return _generation(data, str(data.get("id") or api_id), rules.model_of(api_id) or "ray-2")

    async def reconcile(self, request_id: str) -> Generation | None:
        """The job a create of unknown outcome made, if the usage logs show one by its request id."""
        api_id = await self.api.find_request(request_id)
        return None if api_id is None else await self.get(rules.public_id(api_id))

    async def aclose(self) -> None:
        await self.api.aclose()


def _generation(
    data: Mapping[str, Any],
    api_id: str,
    model: str,
    *,
    default_status: str = "processing",
    created_at: str | None = None,
) -> Generation:
    url = video_url(data.get("video"))
    state = rules.state_of(data.get("status") or default_status, url is not None)
    reason = rules.error_text(data.get("error")) if state == "failed" else None
    return Generation(
        id=rules.public_id(api_id),
        provider="aimlapi",
        type="video",
        model=model,
        state=state,
        created_at=created_at,
        outputs=(MediaOutput(type="video", url=url),) if url and state == "completed" else (),
        failure_code=_failure_code(reason) if state == "failed" else None,
        failure_reason=reason if state == "failed" else None,
        raw=dict(data),
    )


def video_url(video: Any) -> str | None:
    """The result's URL from any of the shapes the gateway uses: `{url}`, `[{url}]` or a bare string."""
    if isinstance(video, str):
        return video or None
    if isinstance(video, list):
        video = video[0] if video else None
    if isinstance(video, Mapping) and isinstance(video.get("url"), str):
        return str(video["url"]) or None
    return None


def _failure_code(reason: str | None) -> str:
    text = (reason or "").lower()
    return "content_moderated" if any(word in text for word in _MODERATION_WORDS) else "generation_failed"
