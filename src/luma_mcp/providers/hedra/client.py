"""The one door to Hedra's v2 API: plain httpx (no official v2 SDK: spec 0.3), errors mapped once.

`POST /generations` is sent once: every failure after sending may have bought a job, so it is
`OutcomeUnknown` (the provider then asks the status of the id it chose). Asset creation and upload cost
no credits and are retried once (spec 9.4); reads retry twice with backoff (spec 9.5).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any

import httpx

from .. import errors
from ..http import NOTHING_SENT, read_with_retries, retry_after

UPLOAD_TIMEOUT_SECONDS = 300.0


class HedraApi:
    def __init__(
        self, api_key: str, base_url: str, http_client: httpx.AsyncClient | None = None, read_timeout: float = 30.0
    ) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"X-API-Key": api_key}
        self._http = http_client or httpx.AsyncClient()
        self._owns_http = http_client is None
        self._timeout = httpx.Timeout(read_timeout, connect=min(5.0, read_timeout))

    async def models(self) -> list[dict[str, Any]]:
        return _objects(await self._read("/models", {"types": "video"}))

    async def voices(self) -> list[dict[str, Any]]:
        return _objects(await self._read("/voices", {}))

    async def status(self, generation_id: str) -> dict[str, Any]:
        """`GET /generations/{id}/status`; `NotFound` when Hedra has no such generation for this key."""
        data = await self._read(f"/generations/{generation_id}/status", {})
        if not isinstance(data, dict):
            raise errors.Unavailable("Hedra's status answer was unreadable.")
        return data

    async def video_asset(self, asset_id: str) -> dict[str, Any] | None:
        """The generated video's asset (spec 9.9: the fallback when `complete` carries no URL)."""
        found = _objects(await self._read("/assets", {"type": "video", "ids": asset_id}))
        return found[0] if found else None

    async def create_generation(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                self._base + "/generations", json=dict(body), headers=self._headers, timeout=self._timeout
            )
        except NOTHING_SENT as exc:
            raise errors.Unavailable(f"Could not reach Hedra ({type(exc).__name__}); nothing was sent.") from None
        except httpx.HTTPError as exc:
            raise errors.OutcomeUnknown(
                f"Hedra did not answer after the request was sent ({type(exc).__name__}); it may have accepted it."
            ) from None
        if response.is_success:
            data = _json(response)
            if not isinstance(data, dict):
                raise errors.OutcomeUnknown("Hedra's answer to the create was unreadable; it may have accepted it.")
            return data
        raise status_error(response, creating=True)

    async def upload_asset(self, path: Path, kind: str, media_type: str, reserved_asset_id: str) -> str:
        """Create an asset record and upload `path` into it; the asset id. Retried once (free), reusing
        `reserved_asset_id`, so a retry never makes a second asset (a 409 means the first one landed)."""
        record = {"name": path.name[:255] or kind, "type": kind, "reserved_asset_id": reserved_asset_id}
        asset = await self._post_once_more("/assets", json_body=record, tolerate_conflict=True)
        asset_id = str(asset.get("id") or reserved_asset_id)
        await self._post_once_more(f"/assets/{asset_id}/upload", upload=(path, media_type))
        return asset_id

    async def _post_once_more(
        self,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        upload: tuple[Path, str] | None = None,
        tolerate_conflict: bool = False,
    ) -> dict[str, Any]:
        for attempt in range(2):
            try:
                response = await self._post(path, json_body, upload)
            except httpx.HTTPError as exc:
                if attempt:
                    raise errors.Unavailable(f"Uploading to Hedra failed ({type(exc).__name__}).") from None
                continue
            if response.is_success or (attempt and tolerate_conflict and response.status_code == 409):
                data = _json(response)
                return data if isinstance(data, dict) else {}
            failure = status_error(response, creating=False)
            if attempt or not isinstance(failure, errors.Unavailable):
                raise failure
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _post(
        self, path: str, json_body: Mapping[str, Any] | None, upload: tuple[Path, str] | None
    ) -> httpx.Response:
        if upload is None:
            return await self._http.post(
                self._base + path, json=dict(json_body or {}), headers=self._headers, timeout=self._timeout
            )
        file_path, media_type = upload
        timeout = httpx.Timeout(UPLOAD_TIMEOUT_SECONDS, connect=self._timeout.connect)
        with file_path.open("rb") as handle:  # httpx streams the file: a 100 MB audio never sits in memory
            files = {"file": (file_path.name, handle, media_type)}
            return await self._http.post(self._base + path, files=files, headers=self._headers, timeout=timeout)

    async def _read(self, path: str, params: Mapping[str, str]) -> Any:
        def send() -> Awaitable[httpx.Response]:
            return self._http.get(self._base + path, params=params, headers=self._headers, timeout=self._timeout)

        response = await read_with_retries(send, lambda answer: status_error(answer, creating=False), "Hedra")
        return _json(response)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _objects(data: Any) -> list[dict[str, Any]]:
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def message_of(response: httpx.Response) -> str:
    """Hedra's words, parsed defensively (spec 7): `detail` (text, or FastAPI's list), `message`,
    `messages[0]`, `error.message`, else the raw text."""
    data = _json(response)
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list):
            parts = [
                f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}" for d in detail if isinstance(d, dict)
            ]
            return "; ".join(parts)[:500]
        messages = data.get("messages")
        error = data.get("error")
        for candidate in (
            data.get("message"),
            messages[0] if isinstance(messages, list) and messages else None,
            error.get("message") if isinstance(error, dict) else None,
        ):
            if isinstance(candidate, str) and candidate:
                return candidate
    return (response.text or response.reason_phrase or f"HTTP {response.status_code}")[:500]


def status_error(response: httpx.Response, *, creating: bool) -> errors.ProviderError:
    status, detail = response.status_code, message_of(response)
    said = f"Hedra answered {status}: {detail}"
    if status in (400, 413, 422):
        return errors.InvalidRequest(said, status=status, detail=detail)
    if status == 401:
        return errors.AuthenticationFailed(f"{said}. Check HEDRA_API_KEY.", status=status, detail=detail)
    if status == 402:
        return errors.PaymentRequired(f"{said}. Add Hedra credits.", status=status, detail=detail)
    if status == 403:
        return errors.PermissionDenied(said, status=status, detail=detail)
    if status == 404:
        return errors.NotFound(said, status=status, detail=detail)
    if status == 409 and creating:  # our own id already exists: an earlier send of this very request landed
        return errors.OutcomeUnknown(f"{said}; this generation id was already accepted.", status=status, detail=detail)
    if status == 429:
        return errors.RateLimited(said, retry_after=retry_after(response), detail=detail)
    if creating and status >= 500:
        return errors.OutcomeUnknown(f"{said}; it may have accepted the request.", status=status, detail=detail)
    if status >= 500:
        return errors.Unavailable(said, status=status, detail=detail)
    return errors.InvalidRequest(said, status=status, detail=detail)
