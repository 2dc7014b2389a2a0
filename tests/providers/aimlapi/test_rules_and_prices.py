"""The AI/ML API's rule table and price matching at the wire level (no MCP): each rule breached once,
the lenient forms the emulator takes, and prices read from the catalogue's block shapes."""

from __future__ import annotations

from typing import Any

import pytest

from luma_mcp.providers.aimlapi.pricing import estimate
from luma_mcp.providers.aimlapi.rules import api_id, check_body, error_text, model_of, public_id, state_of

VALID: dict[str, Any] = {"model": "luma/ray-2", "prompt": "a hare", "resolution": "720p", "duration": 5}
IMAGE = {"type": "image", "url": "https://example.com/a.png"}


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        ({"model": "luma/ray-3.2"}, "A1", "model"),
        ({"model": None}, "A1", "model"),
        ({"prompt": None}, "A2", "prompt"),
        ({"prompt": "   "}, "A3", "prompt"),
        ({"prompt": "x" * 6001}, "A3", "prompt"),
        ({"resolution": "360p"}, "A4", "resolution"),
        ({"aspect_ratio": "2:1"}, "A5", "aspect_ratio"),
        ({"duration": 10}, "A6", "duration"),
        ({"duration": "5"}, "A6", "duration"),  # strict: the integer the API documents
        ({"duration": 5.0}, "A6", "duration"),
        ({"loop": "yes"}, "A7", "loop"),
        ({"keyframes": []}, "A8", "keyframes"),
        ({"keyframes": {}}, "A8", "keyframes"),
        ({"keyframes": {"frame2": IMAGE}}, "A8", "keyframes.frame2"),
        ({"keyframes": {"frame0": {"type": "image", "url": "ftp://x/a.png"}}}, "A9", "keyframes.frame0.url"),
        ({"keyframes": {"frame0": {**IMAGE, "extra": 1}}}, "A9", "keyframes.frame0"),
        (
            {"keyframes": {"frame0": {"type": "image", "url": "data:text/plain;base64,eA=="}}},
            "A10",
            "keyframes.frame0.url",
        ),
        ({"keyframes": {"frame0": {"type": "generation", "id": ""}}}, "A11", "keyframes.frame0.id"),
        ({"keyframes": {"frame0": {"type": "generation", "id": "g"}, "frame1": IMAGE}}, "A15", "keyframes"),
        ({"hdr": True}, "A12", "hdr"),
        ({"image_url": "https://x/a.png"}, "A12", "image_url"),
    ],
)
def test_each_rule_is_named_with_its_field(change: dict[str, Any], rule: str, field: str) -> None:
    body = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    violations = check_body(body, strict=True)
    assert (rule, field) in {(v.rule, v.field) for v in violations}, violations
    assert all(v.fix for v in violations)


@pytest.mark.parametrize(
    "body",
    [
        VALID,
        {"model": "luma/ray-flash-2", "prompt": "p"},
        {**VALID, "resolution": "4k", "duration": 9, "aspect_ratio": "9:21", "loop": True},
        {**VALID, "keyframes": {"frame0": IMAGE, "frame1": IMAGE}},
        {**VALID, "keyframes": {"frame1": {"type": "image", "url": "data:image/png;base64,iVBORw0KGgo="}}},
        {
            **VALID,
            "keyframes": {"frame0": {"type": "generation", "id": "7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-2"}},
        },
    ],
)
def test_valid_bodies_pass(body: dict[str, Any]) -> None:
    assert check_body(body, strict=True) == []


def test_the_emulator_side_takes_a_numeric_string_duration() -> None:
    assert check_body({**VALID, "duration": "9"}, strict=False) == []


def test_ids_round_trip_and_carry_their_model() -> None:
    raw = "7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-flash-2"
    assert api_id(public_id(raw)) == raw
    assert model_of(raw) == "ray-flash-2" and model_of("NDxdQ2xZY1L6PYQNkJgbA") is None


@pytest.mark.parametrize(
    ("status", "has_url", "state"),
    [
        ("queued", False, "queued"),
        ("waiting", False, "queued"),
        ("generating", False, "processing"),
        ("active", False, "processing"),
        ("completed", True, "completed"),
        ("complete", True, "completed"),
        ("complete", False, "processing"),
        ("error", False, "failed"),
        ("failed", False, "failed"),
        ("something new", False, "processing"),
    ],
)
def test_status_words_map_to_four_states(status: str, has_url: bool, state: str) -> None:
    assert state_of(status, has_url) == state


def test_both_error_shapes_read_as_text() -> None:
    assert error_text({"name": "GenerationError", "message": "Generation failed"}) == "Generation failed"
    assert error_text({"detail": [{"loc": ["body"], "msg": "Could not detect face", "type": "x"}]}) == (
        "Could not detect face"
    )
    assert error_text(None) is None


VARIANTS = {
    "kind": "variants",
    "dimensions": ["resolution"],
    "variants": [
        {"when": {"resolution": "720p"}, "price": 0.1, "unit": "second", "per": 1},
        {"when": {"resolution": "1080p"}, "price": 0.2, "unit": "second", "per": 1},
    ],
}


@pytest.mark.parametrize(
    ("pricing", "body", "price"),
    [
        (VARIANTS, VALID, 0.5),
        (VARIANTS, {**VALID, "duration": 9}, 0.9),
        (VARIANTS, {"model": "luma/ray-2", "prompt": "p"}, 1.0),  # the API's defaults: 1080p, 5 s
        (VARIANTS, {**VALID, "resolution": "4k"}, None),  # no variant matches: unknown, not guessed
        ({"kind": "variable"}, VALID, None),
        ({"kind": "fixed", "units": [{"name": "video", "price": 0.8, "per": 1}]}, VALID, 0.8),
        ({"kind": "fixed", "units": [{"name": "second", "price": 50, "per": 1000}]}, VALID, 0.25),
        ({"kind": "fixed", "units": [{"name": "token", "measure": "output", "price": 3, "per": 1}]}, VALID, None),
        (None, VALID, None),
    ],
)
def test_prices_come_from_the_catalogue_block(pricing: Any, body: dict[str, Any], price: float | None) -> None:
    assert estimate(pricing, body) == price
