"""Faults, credits, the catalogue's pricing, billing, usage logs and the admin routes."""

from __future__ import annotations

import httpx
import pytest

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

from .support import AUTH, BASE_URL, GENERATIONS, START, Api, envelope

OUT_OF_CREDITS = (
    "You've run out of credits. Please top up your balance or update your payment method to continue: "
    "https://aimlapi.com/app/billing/"
)
CREATE = "POST /v2/video/generations"


# --- faults -------------------------------------------------------------------------------------------


async def test_accept_then_fail_creates_the_job_but_answers_500(api: Api, emu: AimlEmulator) -> None:
    emu.faults.add(CREATE, status=500, accept_then_fail=True)
    response = await api.create(headers={"X-Client-Request-Id": "lmcp-lost"})
    assert envelope(response, 500) == "Internal server error"
    assert len(emu.generation_posts()) == 1
    # The caller never saw the id: it reconciles through the logs, then polls the job.
    emu.advance(60)
    (row,) = (await api.http.get("/v2/logs", headers=AUTH)).json()["data"]
    assert row["client_request_id"] == "lmcp-lost"
    polled = await api.poll(row["inference_id"])
    assert polled.json()["status"] == "completed"


async def test_status_faults_use_the_envelope_and_retry_after(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit()
    emu.faults.add("GET /v2/video/generations", status=429, retry_after=2, detail="Too Many Requests", times=2)
    for _ in range(2):
        response = await api.poll(generation_id)
        assert envelope(response, 429) == "Too Many Requests"
        assert response.headers["retry-after"] == "2"
    assert (await api.poll(generation_id)).status_code == 200


async def test_malformed_json_and_dropped_connections(api: Api, emu: AimlEmulator) -> None:
    emu.faults.add("GET /v2/billing", malformed_json=True)
    broken = await api.http.get("/v2/billing", headers=AUTH)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    emu.faults.add(CREATE, drop_connection=True)
    with pytest.raises(ConnectionResetError):
        await api.create()
    assert emu.store.jobs == {}


async def test_out_of_credits_is_403_with_the_documented_text(api: Api, emu: AimlEmulator) -> None:
    emu.out_of_credits()
    assert envelope(await api.create(), 403) == OUT_OF_CREDITS
    assert (await api.create()).status_code == 200
    added = await api.http.post("/_emulator/faults", json={"out_of_credits": True})
    assert added.status_code == 201 and added.json()["fault"]["route"] == CREATE
    assert envelope(await api.create(), 403) == OUT_OF_CREDITS


async def test_a_create_priced_above_the_balance_is_refused() -> None:
    emu = AimlEmulator(AimlEmulatorConfig(clock=lambda: START, balance_usd=0.3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as http:
        api = Api(http, emu)
        assert envelope(await api.create(duration=9), 403) == OUT_OF_CREDITS  # 0.45 USD
        await api.completed(duration=5)  # 0.25 USD, debited on completion
        assert envelope(await api.create(duration=5), 403) == OUT_OF_CREDITS
    assert len(emu.store.jobs) == 1


# --- catalogue ----------------------------------------------------------------------------------------


async def test_pricing_needs_no_key_and_serves_the_variants(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/models", params={"id": "luma/ray-flash-2", "include": "pricing"})
    assert response.status_code == 200
    (model,) = response.json()["data"]
    assert model["id"] == "luma/ray-flash-2" and model["type"] == "video" and model["info"]["name"]
    pricing = model["pricing"]
    assert pricing["kind"] == "variants" and pricing["dimensions"] == ["resolution"]
    assert pricing["variants"][0] == {"when": {"resolution": "540p"}, "price": 0.0167, "unit": "second", "per": 1}
    assert "pricing" not in (await http.get("/v1/models", params={"id": "luma/ray-2"})).json()["data"][0]
    assert (await http.get("/v1/models", params={"id": "luma/ray-9"})).json() == {"object": "list", "data": []}
    assert len((await http.get("/v1/models")).json()["data"]) == 2


async def test_pricing_etag_answers_304_when_unchanged(http: httpx.AsyncClient) -> None:
    params = {"id": "luma/ray-2", "include": "pricing"}
    first = await http.get("/v1/models", params=params)
    etag = first.headers["etag"]
    again = await http.get("/v1/models", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
    other = await http.get("/v1/models", params={"id": "luma/ray-flash-2"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


async def test_variable_pricing_is_served_and_still_charged() -> None:
    variable = {"kind": "variable", "currency": "USD"}
    emu = AimlEmulator(AimlEmulatorConfig(clock=lambda: START, pricing={"ray-2": variable}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as http:
        model = (await http.get("/model/luma/ray-2", params={"include": "pricing"})).json()
        assert model["object"] == "model" and model["data"]["pricing"] == variable
        body = await Api(http, emu).completed()
        assert body["meta"]["usage"]["usd_spent"] == 0.25  # the placeholder table
        assert envelope(await http.get("/model/luma/ray-9"), 404)


# --- billing and logs ---------------------------------------------------------------------------------


async def test_balance_is_debited_on_completion_and_failures_are_free(api: Api, emu: AimlEmulator) -> None:
    async def balance() -> float:
        body = (await api.http.get("/v2/billing", headers=AUTH)).json()
        assert body["currency"] == "USD"
        value = body["current_balance"]
        assert isinstance(value, float)
        return value

    generation_id = await api.submit(duration=9)
    assert await balance() == 1000.0
    await api.finish(generation_id)
    assert await balance() == pytest.approx(1000 - 0.45)
    await api.completed(prompt="__fail")
    assert await balance() == pytest.approx(1000 - 0.45)


async def test_logs_lag_then_show_one_row_per_create(api: Api, emu: AimlEmulator) -> None:
    ok = await api.submit()
    failed = await api.submit(prompt="__fail")
    assert (await api.http.get("/v2/logs", headers=AUTH)).json()["data"] == []
    emu.advance(29)
    assert (await api.http.get("/v2/logs", headers=AUTH)).json()["data"] == []
    emu.advance(30)
    page = (await api.http.get("/v2/logs", params={"limit": 1}, headers=AUTH)).json()
    assert page["pagination"] == {"limit": 1, "offset": 0, "total": 2, "has_more": True}
    rows = (await api.http.get("/v2/logs", headers=AUTH)).json()["data"]
    by_id = {row["inference_id"]: row for row in rows}
    assert by_id[ok]["status"] == "succeeded" and by_id[ok]["cost"] == {"usd": 0.25, "credits": 500_000}
    assert by_id[failed]["status"] == "failed" and by_id[failed]["cost"] == {"usd": 0.0, "credits": 0}
    assert set(by_id[ok]) == {"created", "status", "model", "cost", "request_id", "inference_id", "client_request_id"}
    only_failed = (await api.http.get("/v2/logs", params={"status": "failed"}, headers=AUTH)).json()
    assert [row["inference_id"] for row in only_failed["data"]] == [failed]
    assert envelope(await api.http.get("/v2/logs", params={"limit": 101}, headers=AUTH), 400)


# --- admin --------------------------------------------------------------------------------------------


async def test_admin_routes_mirror_the_test_handles(api: Api, emu: AimlEmulator) -> None:
    http = api.http
    switched = await http.post("/_emulator/switches", json={"unknown_id": "error200", "create_status": 201})
    assert switched.json()["unknown_id"] == "error200" and emu.switches.create_status == 201
    for bad in ({"create_status": 202}, {"usage_at_submit": 1}, {"nope": True}):
        assert envelope(await http.post("/_emulator/switches", json=bad), 400)
    assert (await http.get("/_emulator/switches")).json()["create_status"] == 201
    assert (await api.create()).status_code == 201
    assert (await http.post("/_emulator/advance", json={"seconds": 60})).json() == {"now": START + 60}
    assert (await http.post("/_emulator/faults", json={"route": "GET /v2/logs", "status": 503})).status_code == 201
    assert envelope(await http.post("/_emulator/faults", json={"route": "GET /nowhere", "status": 503}), 400)
    assert len((await http.get("/_emulator/faults")).json()["faults"]) == 1
    requests = (await http.get("/_emulator/requests")).json()["requests"]
    assert [entry["path"] for entry in requests] == [GENERATIONS]
    assert requests[0]["headers"]["authorization"] == "<redacted>"
    assert (await http.post("/_emulator/reset")).status_code == 204
    assert emu.requests == [] and emu.faults.pending() == [] and emu.store.jobs == {}
    assert emu.switches.to_json()["create_status"] == 200  # back to config.switches
