"""Talking avatars (Hedra): generate_avatar_video (a face and speech -> a lip-synced video) and list_voices.

The call is checked whole before anything leaves the machine: the arguments, then the body against
the live model catalog and voices (two cached reads), then every input here (local files sniffed and
measured, an audio URL fetched within the limits). The price follows the speech's length. Only once the
caps, the budget and the user's confirmation have passed are the face and the audio uploaded.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, model_validator

from ..media.local import RefError
from ..providers import errors
from .base import LumaTool, ToolArgs, make_tool
from .common import DryRun, MediaRef, WaitSeconds, generation_tool
from .jobs import runtime_of, submit
from .media import allowed_roots
from .messages import describe_violations

DEFAULT_MODEL = "together/hedra-avatar"  # contract, generate_avatar_video
_PLACEHOLDER_ASSET = "00000000-0000-4000-8000-000000000000"


class GenerateAvatarVideoArgs(ToolArgs):
    image: MediaRef = Field(description="The face: a portrait photo (URL, local path, or image generation id).")
    audio: MediaRef | None = Field(None, description="The speech as an audio file or URL; or give script + voice_id.")
    script: Annotated[str, Field(min_length=1, max_length=5000)] | None = Field(
        None, description="Text for Hedra's voice to speak (with voice_id from list_voices), instead of audio."
    )
    voice_id: str | None = Field(None, description="A voice id from list_voices (with script).")
    language: str = Field("auto", description="The script's language, e.g. English (with script).")
    prompt: Annotated[str, Field(max_length=2000)] | None = Field(None, description="Style hint, not the speech.")
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = Field("16:9", description="9:16 for phone/vertical videos.")
    resolution: Literal["540p", "720p"] = Field("720p", description="540p costs less.")
    duration_seconds: Annotated[float, Field(gt=0, le=600)] | None = Field(
        None, description="Omit to follow the speech."
    )
    model: Annotated[str, Field(min_length=1, max_length=100)] = Field(DEFAULT_MODEL, description="Hedra model slug.")
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False

    @model_validator(mode="after")
    def _speech(self) -> GenerateAvatarVideoArgs:
        if (self.audio is None) == (self.script is None):
            raise ValueError("give exactly one of audio (an audio file or URL) or script (with voice_id)")
        if self.script is not None and not self.voice_id:
            raise ValueError("script needs voice_id: pick one with list_voices")
        if self.audio is not None and (self.voice_id or self.language != "auto"):
            raise ValueError("voice_id and language go with script; with audio, leave them out")
        return self


class ListVoicesArgs(ToolArgs):
    query: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="Words to match in name, gender, accent, age (e.g. 'female british')."
    )
    limit: Annotated[int, Field(ge=1, le=100)] = Field(20, description="Most voices to return.")


class Voice(BaseModel):
    id: str
    name: str
    gender: str | None = None
    accent: str | None = None
    age: str | None = None
    preview_url: str | None = None


class VoiceList(BaseModel):
    voices: list[Voice]
    next_step: str


def rename(wire_path: str) -> str:
    """A wire path of the Hedra body -> the argument an agent would change."""
    for prefix, argument in (
        ("audio_generation.voice_id", "voice_id"),
        ("audio_generation.text", "script"),
        ("audio_generation.language", "language"),
        ("audio_generation", "script"),
        ("audio_id", "audio"),
        ("start_keyframe", "image"),
        ("model_slug", "model"),
        ("generated_video_inputs.text_prompt", "prompt"),
        ("generated_video_inputs.duration_ms", "duration_seconds"),
        ("generated_video_inputs.", ""),
    ):
        if wire_path.startswith(prefix):
            return argument or wire_path.removeprefix(prefix)
    return wire_path


async def generate_avatar_video(args: GenerateAvatarVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    from ..providers.hedra import media, requests
    from ..providers.hedra.provider import HedraProvider
    from ..providers.hedra.rules import PENDING_UPLOAD, canonical_language, check_body

    runtime = runtime_of(ctx)
    provider = runtime.provider("hedra")
    assert isinstance(provider, HedraProvider)
    language = canonical_language(args.language)
    if language is None:
        raise ToolError(f"generate_avatar_video: language: '{args.language}' is not one of Hedra's languages; use a"
                        " name such as English, Spanish, Japanese or auto. Nothing was sent.")  # fmt: skip
    catalog, voices = await _menus(provider, args.script is not None)
    # Chosen here and written to the history before sending: an ambiguous create is found by its own id.
    generation_id, reserved_asset_id = str(uuid.uuid4()), str(uuid.uuid4())

    def body(image: media.Staged | str | None, audio_id: str | None) -> dict[str, Any]:
        return requests.avatar_body(
            model=args.model,
            prompt=args.prompt,
            aspect_ratio=args.aspect_ratio,
            resolution=args.resolution,
            duration_seconds=args.duration_seconds,
            image_url=image.url if isinstance(image, media.Staged) else None,
            image_id=image if isinstance(image, str) else None,
            audio_id=audio_id,
            script=args.script,
            voice_id=args.voice_id,
            language=language,
            generation_id=generation_id,
            reserved_asset_id=reserved_asset_id,
        )

    placeholder_image = media.Staged("image", url=args.image.url) if _is_public_url(args.image.url) else None
    shaped = body(placeholder_image or _PLACEHOLDER_ASSET, _PLACEHOLDER_ASSET if args.audio else None)
    violations = check_body(shaped, catalog=catalog, voices=voices, strict=True)
    if violations:
        raise ToolError(describe_violations("generate_avatar_video", violations, rename))
    with tempfile.TemporaryDirectory(prefix="luma-mcp-hedra-") as scratch:
        where = await _where(ctx, Path(scratch), catalog.get(args.model))
        image, audio = await _stage(args, where)
        staged_body = body(image if image.url else PENDING_UPLOAD, PENDING_UPLOAD if audio else None)
        seconds = args.duration_seconds or (audio.seconds if audio else None)
        credits = await provider.credits(staged_body, seconds)

        async def upload_then_body() -> dict[str, Any]:
            try:
                image_ref = image if image.url else await media.upload(provider.api, image)
                audio_id = await media.upload(provider.api, audio) if audio else None
            except errors.ProviderError as exc:
                raise ToolError(
                    f"generate_avatar_video: uploading to Hedra failed: {exc} Nothing was charged."
                ) from None
            return body(image_ref, audio_id)

        return await submit(
            ctx,
            "generate_avatar_video",
            staged_body,
            wait_seconds=args.wait_seconds,
            dry_run=args.dry_run,
            rename=rename,
            source_seconds=seconds,
            provider="hedra",
            prepare=upload_then_body,
            credits=credits,
        )


def _is_public_url(url: str | None) -> bool:
    return url is not None and url.startswith(("http://", "https://"))


async def _menus(provider: Any, tts: bool) -> tuple[dict[str, dict[str, Any]], list[str] | None]:
    try:
        return await provider.catalog(), list(await provider.voice_ids()) if tts else None
    except errors.ProviderError as exc:
        raise ToolError(
            f"generate_avatar_video: could not read Hedra's model catalog: {exc} Nothing was sent."
        ) from None


async def _where(ctx: Context[Any, Any], scratch: Path, model: dict[str, Any] | None) -> Any:
    from ..providers.hedra.media import Where

    runtime = runtime_of(ctx)
    roots = await allowed_roots(ctx)
    return Where(roots=roots, scratch=scratch, http=runtime.http, lookup=runtime.lookup, model=model)


async def _stage(args: GenerateAvatarVideoArgs, where: Any) -> tuple[Any, Any]:
    from ..providers.hedra.media import stage_audio, stage_image

    try:
        image = await stage_image(args.image, "image", where)
        audio = await stage_audio(args.audio, "audio", where) if args.audio is not None else None
    except RefError as exc:
        raise ToolError(f"generate_avatar_video: {exc}. Nothing was sent and nothing was charged.") from None
    return image, audio


async def list_voices(args: ListVoicesArgs, ctx: Context[Any, Any]) -> CallToolResult:
    provider: Any = runtime_of(ctx).provider("hedra")
    try:
        listed = await provider.voices()
    except errors.ProviderError as exc:
        raise ToolError(f"list_voices: {exc} Try again in a few seconds.") from None
    words = (args.query or "").lower().split()
    voices = [voice for voice in map(_voice, listed) if all(word in _haystack(voice) for word in words)]
    shown = voices[: args.limit]
    next_step = (
        "Pass a voice's id as voice_id, with script, to generate_avatar_video."
        if shown
        else "No voice matches; call list_voices without query to see them all."
    )
    result = VoiceList(voices=shown, next_step=next_step)
    lines = [f"{len(shown)} of {len(voices)} matching voice(s):"] + [
        f"- {v.id} · {v.name} · {', '.join(x for x in (v.gender, v.accent, v.age) if x)}" for v in shown
    ]
    return CallToolResult(
        content=[TextContent(type="text", text="\n".join([*lines, f"Next: {next_step}"]))],
        structured_content=result.model_dump(mode="json"),
    )


def _voice(item: dict[str, Any]) -> Voice:
    asset: dict[str, Any] = item["asset"] if isinstance(item.get("asset"), dict) else {}
    labels = {str(label.get("name")).lower(): str(label.get("value")) for label in asset.get("labels") or []
              if isinstance(label, dict)}  # fmt: skip
    return Voice(
        id=str(item.get("id")),
        name=str(item.get("name") or ""),
        gender=labels.get("gender"),
        accent=labels.get("accent"),
        age=labels.get("age"),
        preview_url=asset.get("preview_url"),
    )


def _haystack(voice: Voice) -> str:
    return " ".join(str(part or "") for part in (voice.name, voice.gender, voice.accent, voice.age)).lower()


def avatar_tools(default_wait: float) -> list[LumaTool]:
    return [
        generation_tool(
            generate_avatar_video,
            name="generate_avatar_video",
            title="Talking-avatar video (Hedra)",
            description=(
                "Make a lip-synced talking video from a face image and speech: audio (a file or URL), or script + "
                "voice_id (list_voices) spoken by Hedra. Length follows the speech. Hedra jobs often queue for "
                "minutes: it returns the id for get_generation when the wait runs out. Costs credits: dry_run prices."
            ),
            args_model=GenerateAvatarVideoArgs,
            default_wait=default_wait,
        ),
        make_tool(
            list_voices,
            name="list_voices",
            title="List Hedra voices",
            description="Hedra's speaking voices (id, name, gender, accent, age, preview), filtered by query. Free.",
            args_model=ListVoicesArgs,
            output_model=VoiceList,
            annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True),
        ),
    ]
