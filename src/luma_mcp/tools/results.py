"""The result every generation tool returns: one declared model, plus content for people and models."""

from __future__ import annotations

import base64
from typing import Any, Literal
from urllib.parse import quote

from mcp_types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel, Field

from ..providers.luma.rules import RETRYABLE_FAILURES  # the shared failure vocabulary (Luma's words)

# Clients accept about 1 MB per result; base64 adds a third, and the text must fit too.
MAX_PREVIEW_BYTES = 600_000
_MIME = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".exr": "image/x-exr"}


class Output(BaseModel):
    type: str = Field(description="image, video or exr")
    url: str | None = Field(None, description="Expires after an hour.")
    path: str | None = Field(None, description="The saved file.")
    resource_uri: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


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
    estimated_cost_usd: float | None = None
    estimated_credits: int | None = Field(None, description="Hedra: the price in its credits")
    saved: bool | None = Field(
        None,
        description="Completed: whether every output is saved on disk (false: see save_error and next_step).",
    )
    save_error: str | None = Field(None, description="Why saving failed; the job itself completed and is paid.")
    next_step: str
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


def next_step_for(result: GenerationResult, waited: float | None = None) -> str:
    if result.dry_run:
        price = f" (estimated ${result.estimated_cost_usd:.2f})" if result.estimated_cost_usd is not None else ""
        return f"Nothing was submitted. Call again without dry_run to submit{price}."
    gen_id = result.id
    if result.state in ("queued", "processing"):
        after = f" after {waited:.0f} s" if waited else ""
        return (
            f"Still {result.state}{after}; nothing is lost. Call get_generation with generation_id='{gen_id}'"
            " and wait_seconds=45 to keep waiting."
        )
    if result.state == "failed":
        return _after_failure(result)
    if result.save_error is not None:
        return (
            f"Completed, but not saved here: {result.save_error}. Then call get_generation with "
            f"generation_id='{gen_id}' and download=true to save it; chain further work with the same id."
        )
    saved = [output.path for output in result.outputs if output.path]
    where = f"Saved to {saved[0]}. " if saved else "Call get_generation with download=true to save it. "
    return f"{where}Chain further work from it with generation_id='{gen_id}'."


def _after_failure(result: GenerationResult) -> str:
    code = result.failure_code or "unknown"
    if code in RETRYABLE_FAILURES:
        return f"Failed ({code}), a passing fault: submit the same request again."
    if code == "content_moderated":
        return "Failed: moderation flagged the prompt or inputs. Rephrase them, then submit again."
    if code == "moderation_likeness":  # Hedra: rewording cannot help, only another face can
        return (
            "Failed: moderation found that the face image shows a real person. Use a different face (a generated "
            "portrait, say), then submit again; changing the prompt or script will not help."
        )
    if code == "moderation_transient":
        return "Failed: a passing moderation refusal. Submitting the same request again may pass."
    if code == "budget_exhausted":
        return "Failed: the account ran out of funds. Add funds, then submit again."
    return f"Failed ({code}): fix the inputs as the failure_reason says, then submit again."


def to_call_result(result: GenerationResult, preview: bytes | None = None) -> CallToolResult:
    """`preview`: a JPEG the model can look at (a contact sheet or a thumbnail), when one could be made."""
    content: list[ContentBlock] = [TextContent(type="text", text=summary(result))]
    if preview is not None and len(preview) <= MAX_PREVIEW_BYTES:
        content.append(
            ImageContent(type="image", data=base64.b64encode(preview).decode("ascii"), mime_type="image/jpeg")
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


def summary(result: GenerationResult) -> str:
    price = f" · est. ${result.estimated_cost_usd:.2f}" if result.estimated_cost_usd is not None else ""
    if result.estimated_credits is not None:
        price += f" ({result.estimated_credits} credits)"
    if result.dry_run:
        head = f"Dry run: {result.type} request with model {result.model} is valid{price}."
    else:
        head = f"{result.type} generation {result.id}: {result.state}{price}."
    if result.failure_reason:
        head += f" Reason: {result.failure_reason}"
    files = "".join(f"\nSaved: {output.path}" for output in result.outputs if output.path)
    if result.save_error is not None:
        files += f"\nNot saved: {result.save_error}"
    sandbox = "\nSandbox: an emulator answered; nothing real was made or bought." if result.sandbox else ""
    return f"{head}{files}{sandbox}\nNext: {result.next_step}"
