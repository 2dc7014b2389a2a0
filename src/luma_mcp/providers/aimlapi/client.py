"""The one door to the AI/ML API: plain httpx (the vendor's SDK re-sends POSTs; spec 1), errors mapped once.

A create is sent exactly once. Nothing left the machine only when the connection was never made;
every other failure after sending (a timeout, a broken connection, any 5xx, an unreadable answer)
may have bought a job, so it is `OutcomeUnknown`. Reads (poll, pricing) retry: a GET costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx

from .. import errors
from ..http import NOTHING_SENT, read_with_retries, retry_after

CREATE_PATH = "/v2/video/generations"
POLL_PATH = "/v2/video/generations"
MODELS_PATH = "/v1/models"
LOGS_PATH = "/v2/logs"
LOG_PAGES = 3  # the newest 300 requests: an unknown create is looked for within minutes of it
_OUT_OF_CREDITS = "run out of credits"


class AimlApi:
    def __init__(
        self, api_key: str, base_url: str, http_client: httpx.AsyncClient | None = None, read_timeout: float = 30.0
    ) -> None:
        self._key = api_key
        self._base = base_url.rstrip("/")
        self._http = http_client or httpx.AsyncClient()
        self._owns_http = http_client is None
        self._timeout = httpx.Timeout(read_timeout, connect=min(5.0, read_timeout))

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"}

    async def create(self, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Submit once; the API's JSON answer. Raises `OutcomeUnknown` whenever the API may have taken it."""
        headers = {**self._auth(), "X-Client-Request-Id": request_id}
        try:
            response = await self._http.post(
                self._base + CREATE_PATH, json=dict(body), headers=headers, timeout=self._timeout
            )
        except NOTHING_SENT as exc:
            raise errors.Unavailable(
                f"Could not reach the AI/ML API ({type(exc).__name__}); nothing was sent."
            ) from None
        except httpx.HTTPError as exc:
            raise errors.OutcomeUnknown(
                f"The AI/ML API did not answer after the request was sent ({type(exc).__name__});"
                " it may have accepted it."
            ) from None
        if response.is_success:
            return _accepted(response)
        raise status_error(response, creating=True)

    async def get(self, api_id: str) -> dict[str, Any]:
        """The generation's JSON; `NotFound` for an id the API does not know (404, or 200 with a not-found error)."""
        response = await self._read(POLL_PATH, {"generation_id": api_id}, auth=True)
        data = _json_object(response)
        if data is None:
            raise errors.Unavailable("The AI/ML API's answer was unreadable.")
        if _says_not_found(data):
            raise errors.NotFound(f"The AI/ML API knows no generation '{api_id}'.", status=404)
        return data

    async def model_pricing(self, wire_model: str) -> Mapping[str, Any] | None:
        """The catalogue's `pricing` block for `wire_model` (a public endpoint: the key is not sent)."""
        response = await self._read(MODELS_PATH, {"id": wire_model, "include": "pricing"}, auth=False)
        data = _json_object(response)
        entries = data.get("data") if data else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get("pricing"), Mapping):
                return dict(entry["pricing"])
        return None

    async def find_request(self, request_id: str) -> str | None:
        """The id of the job a create with `X-Client-Request-Id: request_id` made, from the usage logs
        (spec 9.3); None when no row shows it yet (rows lag)."""
        for page in range(LOG_PAGES):
            params = {"limit": "100", "offset": str(page * 100)}
            data = _json_object(await self._read(LOGS_PATH, params, auth=True)) or {}
            rows: list[Any] = next((data[k] for k in ("data", "rows", "logs") if isinstance(data.get(k), list)), [])
            for row in rows:
                if isinstance(row, Mapping) and row.get("client_request_id") == request_id:
                    found = row.get("inference_id")
                    return str(found) if found else None  # a failed job too: its poll says it failed
            pagination = data.get("pagination")
            if not (isinstance(pagination, Mapping) and pagination.get("has_more")):
                return None
        return None

    async def _read(self, path: str, params: Mapping[str, str], *, auth: bool) -> httpx.Response:
        headers = self._auth() if auth else {}

        def send() -> Awaitable[httpx.Response]:
            return self._http.get(self._base + path, params=params, headers=headers, timeout=self._timeout)

        return await read_with_retries(send, lambda response: status_error(response, creating=False), "the AI/ML API")

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


def _accepted(response: httpx.Response) -> dict[str, Any]:
    data = _json_object(response)
    if data is None or not isinstance(data.get("generation_id") or data.get("id"), str):
        raise errors.OutcomeUnknown(
            "The AI/ML API accepted the request but its answer carried no readable id; it may have created a job."
        )
    return data


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _says_not_found(data: Mapping[str, Any]) -> bool:
    error = data.get("error")
    text = json.dumps(error).lower() if error else ""
    return data.get("status") == "error" and "not found" in text and not data.get("video")


def message_of(response: httpx.Response) -> str:
    """The API's own words, from its envelope (`message`, `error.message`, `detail`), else the raw text."""
    data = _json_object(response)
    if data is not None:
        error = data.get("error")
        for candidate in (data.get("message"), error.get("message") if isinstance(error, Mapping) else error):
            if isinstance(candidate, str) and candidate:
                return candidate
        if data.get("detail"):
            return json.dumps(data["detail"])[:500]
    return (response.text or response.reason_phrase or f"HTTP {response.status_code}")[:500]


def status_error(response: httpx.Response, *, creating: bool) -> errors.ProviderError:
    status, detail = response.status_code, message_of(response)
    said = f"The AI/ML API answered {status}: {detail}"
    if status in (400, 413, 422):
        return errors.InvalidRequest(said, status=status, detail=detail)
    if status == 401:
        return errors.AuthenticationFailed(f"{said} Check AIMLAPI_API_KEY.", status=status, detail=detail)
    if status in (402, 403) and _OUT_OF_CREDITS in detail.lower():
        return errors.PaymentRequired(f"{said} Top up the AI/ML API balance.", status=status, detail=detail)
    if status == 403:
        return errors.PermissionDenied(f"{said} The key may lack the model:video scope.", status=status, detail=detail)
    if status == 404:
        return errors.NotFound(said, status=status, detail=detail)
    if status == 429:
        return errors.RateLimited(said, retry_after=retry_after(response), detail=detail)
    if creating:  # the gateway may have handed the job on before failing: never a safe re-send
        return errors.OutcomeUnknown(f"{said}; it may have accepted the request.", status=status, detail=detail)
    return errors.Unavailable(said, status=status, detail=detail)
