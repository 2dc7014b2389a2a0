"""Hedra v2 as a provider: ids `hedra:<uuid>` that the server chose before sending, so a create whose
outcome is unknown is settled by asking Hedra's status for that very id (spec 9.2-9.3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import anyio

from .. import errors
from ..base import Generation, MediaOutput, Violation
from . import rules
from .client import HedraApi
from .pricing import credits, speech_seconds

if TYPE_CHECKING:
    import httpx

CATALOG_SECONDS = 3600.0  # spec 4.2: the catalog is read once and refreshed hourly
# After an ambiguous create, its id is asked for at these multiples of the poll unit (spec 9.3: "re-check
# after ~10 s and ~30 s in case acceptance lags"); the unit is 1 s in use and tiny in tests.
RECHECKS = (0.0, 10.0, 30.0)
FALLBACK_TRIES = 3  # spec 9.9: a `complete` without URL is read from its asset a few times


class HedraProvider:
    name: Literal["hedra"] = "hedra"

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        usd_per_credit: float,
        http_client: httpx.AsyncClient | None = None,
        read_timeout: float = 30.0,
        poll_unit: float = 1.0,
    ) -> None:
        self.api = HedraApi(api_key, base_url, http_client=http_client, read_timeout=read_timeout)
        self.usd_per_credit = usd_per_credit
        self.poll_unit = poll_unit
        self._catalog: dict[str, dict[str, Any]] | None = None
        self._catalog_at = 0.0
        self._voices: list[dict[str, Any]] | None = None

    async def catalog(self) -> dict[str, dict[str, Any]]:
        """Video models by slug, from `GET /models` (cached for the process, refreshed hourly)."""
        if self._catalog is None or anyio.current_time() - self._catalog_at > CATALOG_SECONDS:
            models = await self.api.models()
            self._catalog = {str(model["slug"]): model for model in models if model.get("slug")}
            self._catalog_at = anyio.current_time()
        return self._catalog

    async def voices(self) -> list[dict[str, Any]]:
        if self._voices is None:
            self._voices = await self.api.voices()
        return self._voices

    async def voice_ids(self) -> Sequence[str]:
        return [str(voice.get("id")) for voice in await self.voices()]

    def check(self, body: Mapping[str, Any]) -> list[Violation]:
        return rules.check_body(body, catalog=self._catalog, voices=None, strict=True)

    async def credits(self, body: Mapping[str, Any], source_seconds: float | None = None) -> int | None:
        model = (await self.catalog()).get(str(body.get("model_slug")))
        if model is None:
            return None
        inputs = body.get("generated_video_inputs") or {}
        seconds = output_seconds(body, source_seconds)
        resolution = inputs.get("resolution") or model.get("default_resolution") or ""
        return credits(model, seconds, {"resolution": str(resolution)})

    async def price(self, body: Mapping[str, Any], source_seconds: float | None = None) -> float | None:
        try:
            amount = await self.credits(body, source_seconds)
        except errors.ProviderError:
            return None  # the catalog cannot be had: the price is unknown, and the caps treat it so
        return None if amount is None else round(amount * self.usd_per_credit, 4)

    def expected_seconds(self, body: Mapping[str, Any]) -> float:
        model = (self._catalog or {}).get(str(body.get("model_slug"))) or {}
        eta = model.get("eta_ms")
        return float(eta) / 1000 if isinstance(eta, int | float) and eta > 0 else 300.0

    def trace_id(self, body: Mapping[str, Any]) -> str:
        return str(body["generation_id"])

    async def create(self, body: Mapping[str, Any], *, request_id: str) -> Generation:
        try:
            answer = await self.api.create_generation(body)
        except errors.OutcomeUnknown as unknown:
            return await self._recheck(request_id, unknown)
        return _generation({**answer, "id": answer.get("id") or request_id}, str(body.get("model_slug")))

    async def _recheck(self, generation_id: str, unknown: errors.OutcomeUnknown) -> Generation:
        """Ask for the id we chose: found means Hedra took the job; never found means nothing was bought."""
        waited = 0.0
        for delay in RECHECKS:
            await anyio.sleep(max(0.0, delay * self.poll_unit - waited))
            waited = delay * self.poll_unit
            try:
                return await self._status(generation_id)
            except errors.NotFound:
                continue
            except errors.ProviderError:
                raise unknown from None
        raise errors.NotAccepted(
            f"{unknown} Hedra was asked since for generation {generation_id} and has none: it did not accept"
            " the request, so nothing was bought."
        )

    async def get(self, generation_id: str) -> Generation:
        generation = await self._status(rules.api_id(generation_id))
        if generation.state == "completed" and not generation.outputs:
            return await self._from_asset(generation)
        return generation

    async def _status(self, api_generation_id: str) -> Generation:
        return _generation(await self.api.status(api_generation_id), rules.DEFAULT_MODEL)

    async def _from_asset(self, generation: Generation) -> Generation:
        """Spec 9.9: `complete` without a URL; the video's asset (by the asset id, not the generation's) has it."""
        asset_id = str(generation.raw.get("asset_id") or "")
        for attempt in range(FALLBACK_TRIES if asset_id else 0):
            asset = await self.api.video_asset(asset_id)
            video = (asset or {}).get("asset") or {}
            url = video.get("download_url") or video.get("url") if isinstance(video, Mapping) else None
            if url:
                return _with_url(generation, str(url))
            await anyio.sleep(self.poll_unit * 10 * (attempt + 1))
        return generation  # completed, not yet retrievable: get_generation tries again

    async def reconcile(self, request_id: str) -> Generation | None:
        try:
            return await self._status(request_id)
        except errors.NotFound:
            return None

    async def aclose(self) -> None:
        await self.api.aclose()


def output_seconds(body: Mapping[str, Any], source_seconds: float | None) -> float:
    """The video's length: `duration_ms` when set, else the speech's (the uploaded audio, or the script)."""
    inputs = body.get("generated_video_inputs") or {}
    if isinstance(inputs.get("duration_ms"), int):
        return float(inputs["duration_ms"]) / 1000
    if source_seconds is not None:
        return source_seconds
    tts = body.get("audio_generation") or {}
    return speech_seconds(str(tts.get("text") or ""))


def _generation(data: Mapping[str, Any], model: str) -> Generation:
    state = rules.state_of(data.get("status") or "queued")
    failure = rules.failure_of(data) if state == "failed" else (None, None)
    url = data.get("download_url") or data.get("url")
    progress = data.get("progress")
    eta = data.get("eta_sec")
    return Generation(
        id=rules.public_id(str(data.get("id"))),
        provider="hedra",
        type="video",
        model=str(data.get("model_slug") or model),
        state=state,
        created_at=str(data["created_at"]) if data.get("created_at") else None,
        outputs=(MediaOutput(type="video", url=str(url)),) if url and state == "completed" else (),
        failure_code=failure[0],
        failure_reason=failure[1],
        raw=dict(data),
        progress=float(progress) if isinstance(progress, int | float) else None,
        eta_seconds=float(eta) if isinstance(eta, int | float) else None,
    )


def _with_url(generation: Generation, url: str) -> Generation:
    from dataclasses import replace

    return replace(generation, outputs=(MediaOutput(type="video", url=url),))
