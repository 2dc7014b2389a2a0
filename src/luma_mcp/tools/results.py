"""The result every generation tool returns: one declared model, plus content for people and models."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit

from mcp_types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel, Field

from ..media.preview import Preview

# Clients accept about 1 MB per result; base64 adds a third, and the text must fit too.
MAX_PREVIEW_BYTES = 600_000
_MIME = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".exr": "image/x-exr"}
# How long an output URL lives when the URL itself does not say: luma-api-spec 6.2 (presigned for 1 h, from
# each GET). The AI/ML API's and Hedra's lifetimes are undocumented (their specs' Q3, Q4): unknown.
_DOCUMENTED_URL_SECONDS = {"luma": 3600.0}
# What a failed job costs, per each provider's spec: Luma refunds failed and moderated jobs (luma-api-spec
# 6.3) but a job that ran out of funds may be partly charged; the AI/ML API never bills a failed request
# (aimlapi-spec 7); Hedra does not say.
_FAILED_BILLING = {
    "luma": "Nothing was charged: Luma refunds failed jobs.",
    "aimlapi": "Nothing was charged: the AI/ML API never bills failed requests.",
    "hedra": "Hedra does not document whether a failed job is billed: check the credits in your Hedra account.",
}
_PARTLY_BILLED = {
    "luma:budget_exhausted": "A partial charge is possible: Luma may bill what was made before the funds ran out."
}


class Output(BaseModel):
    type: str = Field(description="image, video or exr")
    url: str | None = Field(None, description="Presigned download URL; get_generation gives a fresh one.")
    url_expires_at: str | None = Field(
        None, description="When url stops working (ISO 8601 UTC); null when unknown or without a url."
    )
    path: str | None = Field(None, description="The saved file.")
    resource_uri: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


class NextCall(BaseModel):
    """`next_step` as a call a program can make as given."""

    tool: str
    arguments: dict[str, Any]


class GenerationResult(BaseModel):
    id: str | None
    provider: str = Field(description="luma, aimlapi or hedra")
    type: str
    model: str
    state: Literal["queued", "processing", "completed", "failed"] | None
    created_at: str | None = None
    prompt: str
    outputs: list[Output] = Field(default_factory=list)
    failure_code: str | None = None
    failure_reason: str | None = None
    estimated_cost_usd: float | None = Field(None, description="The estimated price; null for a failed job.")
    estimated_credits: int | None = Field(None, description="Hedra: the price in its credits")
    saved: bool | None = Field(
        None,
        description="Completed: whether every output is saved on disk (false: see save_error and next_step).",
    )
    save_error: str | None = Field(None, description="Why saving failed; the job itself completed and is paid.")
    next_step: str
    next_call: NextCall | None = Field(description="next_step as {tool, arguments}; null when it is not one call.")
    sandbox: bool = Field(False, description="true: an emulator answered; nothing real was made or bought")
    dry_run: bool = False
    request: dict[str, Any] | None = Field(None, description="Dry run: the exact body, inline data elided.")


def generation_uri(generation_id: str) -> str:
    # An AI/ML API id holds a '/' (`...:luma/ray-2`): encoded, so the id stays one URI segment.
    return f"luma://generations/{quote(generation_id, safe=':')}"


def output_uri(generation_id: str, index: int) -> str:
    return f"{generation_uri(generation_id)}/outputs/{index}"


def mime_type(path: str) -> str:
    return next((mime for suffix, mime in _MIME.items() if path.lower().endswith(suffix)), "application/octet-stream")


def url_expires_at(url: str | None, provider: str, fetched_at: float) -> str | None:
    """When `url` (fetched at Unix time `fetched_at`) expires, as ISO 8601 UTC: read from its signature
    where it carries one, else from the provider's documented lifetime; None when neither says."""
    if not url or url.startswith("data:"):
        return None
    deadline = _signed_deadline({key.lower(): value for key, value in parse_qsl(urlsplit(url).query)})
    lifetime = _DOCUMENTED_URL_SECONDS.get(provider)
    if deadline is None and lifetime is not None:
        deadline = fetched_at + lifetime
    return None if deadline is None else datetime.fromtimestamp(deadline, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed_deadline(query: dict[str, str]) -> float | None:
    date, seconds = query.get("x-amz-date"), query.get("x-amz-expires", "")
    if date and seconds.isdigit():  # S3 signature v4: signed at a time, for so many seconds
        try:
            return datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp() + int(seconds)
        except ValueError:
            return None
    expires = query.get("expires", "")  # S3 v2, CloudFront, the emulators: a Unix time
    return float(expires) if expires.isdigit() and int(expires) > 1_000_000_000 else None


def to_call_result(result: GenerationResult, preview: Preview | None = None) -> CallToolResult:
    """`preview`: a JPEG the model can look at (a contact sheet or a thumbnail), when one could be made."""
    shown = preview if preview is not None and len(preview.jpeg) <= MAX_PREVIEW_BYTES else None
    content: list[ContentBlock] = [TextContent(type="text", text=summary(result, shown.seconds if shown else ()))]
    if shown is not None:
        content.append(
            ImageContent(type="image", data=base64.b64encode(shown.jpeg).decode("ascii"), mime_type="image/jpeg")
        )
    if result.id is not None:
        content.append(
            ResourceLink(
                type="resource_link",
                uri=generation_uri(result.id),
                name=f"generation {result.id}",
                mime_type="application/json",
                description=f"{result.type} generation: {result.state}",
            )
        )
    for output in result.outputs:
        if output.path and output.resource_uri:
            content.append(
                ResourceLink(
                    type="resource_link",
                    uri=output.resource_uri,
                    name=output.path.rsplit("/", 1)[-1],
                    mime_type=mime_type(output.path),
                    description=output.path,
                )
            )
    return CallToolResult(content=content, structured_content=result.model_dump(mode="json"))


def summary(result: GenerationResult, frame_seconds: Sequence[float] = ()) -> str:
    """`frame_seconds`: the times of the contact sheet's frames, when one goes with the result."""
    price = f" · est. ${result.estimated_cost_usd:.2f}" if result.estimated_cost_usd is not None else ""
    if result.estimated_credits is not None:
        price += f" ({result.estimated_credits} credits)"
    if result.dry_run:
        head = f"Dry run: {result.type} request with model {result.model} is valid{price}."
    elif result.state == "failed":  # an estimate next to a failure reads as money spent
        head = f"{result.type} generation {result.id}: failed."
    else:
        head = f"{result.type} generation {result.id}: {result.state}{price}."
    if result.failure_reason:
        head += f" Reason: {result.failure_reason.rstrip('.')}."
    if result.state == "failed" and not result.dry_run:
        head += " " + failed_billing(result.provider, result.failure_code)
    files = "".join(f"\nSaved: {output.path}" for output in result.outputs if output.path)
    if result.save_error is not None:
        files += f"\nNot saved: {result.save_error}"
    if frame_seconds:
        files += f"\nPreview: frames at {', '.join(f'{moment:.1f}' for moment in frame_seconds)} s."
    sandbox = "\nSandbox: an emulator answered; nothing real was made or bought." if result.sandbox else ""
    return f"{head}{files}{sandbox}\nNext: {result.next_step}"


def failed_billing(provider: str, failure_code: str | None) -> str:
    return _PARTLY_BILLED.get(f"{provider}:{failure_code}") or _FAILED_BILLING.get(provider, "")
