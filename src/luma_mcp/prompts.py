"""Workflow prompts (slash commands): a few jobs of several steps that chain our tools.

Each states what it will cost before anything is bought and begins with a dry run. Luma's prices are a
published table, so its figures are worked out here; the AI/ML API and Hedra price each request
themselves, and the prompt says that the dry run reports it. A prompt is listed only when a provider
it needs is on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .providers.base import ProviderName
from .providers.hedra.pricing import speech_seconds
from .providers.luma.pricing import estimate_cost
from .providers.luma.rules import FPS
from .providers.registry import Providers
from .settings import Settings

VIDEO_TYPES = ("video", "video_edit", "video_reframe")
IMAGE_TYPES = ("image", "image_edit")
_ID = re.compile(r"(aimlapi:\S+|(hedra:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")
_WAIT = "If a call returns while the job is still running, call get_generation(generation_id=<its id>, wait_seconds=45)"


class WorkflowArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str
    description: str
    needs: frozenset[ProviderName]  # listed when any of these is on
    args: type[WorkflowArgs]
    write: Callable[[Any, Settings], str]
    # Arguments that name a generation from the history: the generation types and providers that fit them.
    history: tuple[tuple[str, tuple[str, ...], tuple[ProviderName, ...] | None], ...] = ()

    def enums(self) -> dict[str, list[str]]:
        """Each enumerated argument's values, as its schema lists them."""
        properties = self.args.model_json_schema().get("properties", {})
        return {name: [str(value) for value in spec["enum"]] for name, spec in properties.items() if "enum" in spec}


class WorkflowPrompt(Prompt):
    """A prompt whose arguments are checked by their model first, so a bad one gets a message that names it."""

    args_model: type[WorkflowArgs] = Field(exclude=True)

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        try:
            self.args_model.model_validate(arguments or {})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
            # An MCPError reaches the client as it is, in both protocol eras (a ValueError does not).
            raise MCPError(code=INVALID_PARAMS, message=f"{self.name}: {problems}") from None
        return await super().render(arguments, context)


def add_prompts(server: MCPServer[Any], settings: Settings) -> list[Workflow]:
    """Registers the workflows whose providers are on; returns them (completions read their arguments)."""
    on = set(Providers(settings).available())
    listed = [workflow for workflow in workflows(settings) if workflow.needs & on]
    for workflow in listed:
        server.add_prompt(_prompt(workflow, settings))
    return listed


def _prompt(workflow: Workflow, settings: Settings) -> WorkflowPrompt:
    schema = workflow.args.model_json_schema()
    required = set(schema.get("required", []))

    async def render(**arguments: str) -> list[Message]:
        text = workflow.write(workflow.args.model_validate(arguments), settings)
        if settings.sandbox:
            text += "\n\nSandbox: emulators answer and nothing is bought; the prices are what a real run would cost."
        return [UserMessage(text)]

    return WorkflowPrompt(
        name=workflow.name,
        title=workflow.title,
        description=workflow.description,
        arguments=[
            PromptArgument(name=name, description=_described(spec), required=name in required)
            for name, spec in schema["properties"].items()
        ],
        fn=render,
        args_model=workflow.args,
    )


def _described(spec: dict[str, Any]) -> str:
    text = str(spec.get("description", ""))
    if "enum" in spec:
        text += f" One of: {', '.join(map(str, spec['enum']))}."
    if spec.get("default") is not None:
        text += f" Default: {spec['default']}."
    return text


# --- prices from Luma's table -----------------------------------------------------------------------------
def _usd(value: float | None) -> str:
    return "an unpublished price (the dry run says)" if value is None else f"${value:.2f}"


def _luma_video(resolution: str, duration: str = "5s") -> float | None:
    return estimate_cost({"type": "video", "video": {"resolution": resolution, "duration": duration}})


def _luma_image(model: str = "uni-1") -> float:
    return estimate_cost({"type": "image", "model": model}) or 0.0


def _media_ref(value: str) -> str:
    """How a tool takes `value` (an id, a URL or a path) as a MediaRef, written as JSON for the agent to copy."""
    value = value.strip()
    if _ID.fullmatch(value):
        return json.dumps({"generation_id": value})
    if value.startswith(("http://", "https://", "data:")):
        return json.dumps({"url": value})
    return json.dumps({"path": value})


# --- the workflows -----------------------------------------------------------------------------------------
class StoryboardArgs(WorkflowArgs):
    idea: str = Field(min_length=1, max_length=2000, description="The story in a sentence or two: who, where, what.")
    shots: Literal["2", "3", "4", "5"] = Field("3", description="Keyframe images, spread evenly over the clip.")
    duration: Literal["5s", "10s"] = Field("5s", description="Length of the clip.")
    resolution: Literal["540p", "720p", "1080p"] = Field("720p", description="Of the video.")
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = Field("16:9", description="Of the images and the video.")


def _storyboard(args: StoryboardArgs, _: Settings) -> str:
    shots = int(args.shots)
    last = (10 if args.duration == "10s" else 5) * FPS
    frames = [round(i * last / (shots - 1)) for i in range(shots)]
    image, video = _luma_image(), _luma_video(args.resolution, args.duration)
    total = None if video is None else shots * image + video
    keyframes = ", ".join(
        f'{{"frame": {f}, "image": {{"generation_id": "<shot {i + 1} id>"}}}}' for i, f in enumerate(frames)
    )
    look = f'aspect_ratio="{args.aspect_ratio}"'
    return f"""Make a {args.duration} video of this idea from a storyboard of {shots} keyframe images: "{args.idea}"

Cost: about {_usd(total)} in all: {shots} uni-1 images at ${image:.4f} each, and one {args.duration} \
{args.resolution} ray-3.2 video with keyframes at {_usd(video)}. Nothing is bought before step 3.

1. Price it first (free): call generate_image(prompt=<shot 1>, {look}, dry_run=true) and generate_video(\
prompt=<the idea>, duration="{args.duration}", resolution="{args.resolution}", {look}, dry_run=true); keyframes \
do not change a video's price. Tell the user the total ({shots} x the image's estimated_cost_usd + the video's) \
and ask whether to go on.
2. Write {shots} shot descriptions that tell the idea in order, with the same characters, place, light and style \
in each, so that the frames belong to one clip.
3. For each shot call generate_image(prompt=<the shot>, {look}) and keep its id. {_WAIT} until it is completed.
4. Call generate_video(prompt=<the idea, with the motion between the shots>, duration="{args.duration}", \
resolution="{args.resolution}", {look}, keyframes=[{keyframes}]).
5. {_WAIT} until it is completed, then show the user the saved file."""


class AnimateArgsBase(WorkflowArgs):
    image: str = Field(min_length=1, description="The still: an image generation id, a local path or an http(s) URL.")
    motion: str = Field(min_length=1, max_length=2000, description="What moves, and how the camera moves.")
    resolution: Literal["540p", "720p", "1080p"] = Field("720p", description="Of the video.")


def _animate(args: Any, _: Settings) -> str:
    price = _luma_video(args.resolution, args.duration) if args.model == "ray-3.2" else None
    cost = (
        f"{_usd(price)} (Luma's published price for a {args.duration} {args.resolution} ray-3.2 clip)"
        if price is not None
        else f"priced by the AI/ML API for {args.model}: the dry run reports estimated_cost_usd"
    )
    call = (
        f'generate_video(prompt="{args.motion}", start_frame={_media_ref(args.image)}, model="{args.model}", '
        f'duration="{args.duration}", resolution="{args.resolution}"'
    )
    return f"""Animate a still image: {args.motion}

Cost: one {args.duration} video, {cost}.

1. Price it first (free): call {call}, dry_run=true). Tell the user the estimated_cost_usd and ask whether to go on.
2. Call {call}).
3. {_WAIT} until it is completed, then show the user the saved file."""


class LoopArgsBase(WorkflowArgs):
    prompt: str = Field(min_length=1, max_length=2000, description="A motion that can end where it began.")
    resolution: Literal["540p", "720p", "1080p"] = Field("720p", description="Of the video.")
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"] = Field("16:9", description="Of the video.")


def _loop(args: Any, _: Settings) -> str:
    price = _luma_video(args.resolution) if args.model == "ray-3.2" else None
    cost = _usd(price) if price is not None else f"priced by the AI/ML API for {args.model} (the dry run reports it)"
    call = (
        f'generate_video(prompt="{args.prompt}", loop=true, duration="5s", model="{args.model}", '
        f'resolution="{args.resolution}", aspect_ratio="{args.aspect_ratio}"'
    )
    return f"""Make a seamless 5 s loop: {args.prompt}

Cost: one 5 s video, {cost}. A loop is 5 s long and takes no end_frame, keyframes or hdr.

1. Price it first (free): call {call}, dry_run=true). Tell the user the estimated_cost_usd and ask whether to go on.
2. Call {call}).
3. {_WAIT} until it is completed, then show the user the saved file: its last frame leads back into its first."""


class VerticalArgs(WorkflowArgs):
    generation_id: str = Field(min_length=1, description="The Luma video to cut (a completed video generation's id).")
    prompt: str = Field(
        "Continue the action naturally, same subject, light and camera style.",
        max_length=2000,
        description="What happens in the extension.",
    )
    resolution: Literal["540p", "720p", "1080p"] = Field("720p", description="Of the vertical cut and its extension.")


def _vertical(args: VerticalArgs, _: Settings) -> str:
    per_second = estimate_cost({"type": "video_reframe", "video": {"resolution": args.resolution}}, 1.0)
    extend = estimate_cost(
        {"type": "video", "video": {"resolution": args.resolution, "start_frame": {"generation_id": "x"}}}
    )
    five = None if per_second is None or extend is None else 5 * per_second + extend
    source = json.dumps({"generation_id": args.generation_id})
    return f"""Cut a vertical (9:16) version of video {args.generation_id}, then extend it.

Cost: the reframe is {_usd(per_second)} per second of the source at {args.resolution}, and the extension \
{_usd(extend)}: for a 5 s source, {_usd(five)} in all. The dry run measures the source and gives the exact price.

1. Price it first (free): call reframe_video(source={source}, aspect_ratio="9:16", resolution="{args.resolution}", \
dry_run=true). Tell the user its estimated_cost_usd plus {_usd(extend)} for the extension, and ask whether to go on.
2. Call reframe_video(source={source}, aspect_ratio="9:16", resolution="{args.resolution}"). {_WAIT} until it is \
completed.
3. Call extend_video(generation_id=<the reframe's id>, prompt="{args.prompt}", resolution="{args.resolution}").
4. {_WAIT} until it is completed, then show the user both saved files."""


class AvatarArgs(WorkflowArgs):
    script: str = Field(min_length=1, max_length=5000, description="What the avatar says.")
    face: str | None = Field(
        None, description="The face: an image generation id, a local path or an http(s) URL; omit to make a portrait."
    )
    voice: str = Field("", max_length=100, description="Words for list_voices, e.g. 'female british'.")
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = Field("16:9", description="9:16 for phones.")
    resolution: Literal["540p", "720p"] = Field("720p", description="540p costs less.")


def _avatar(args: AvatarArgs, settings: Settings) -> str:
    seconds = speech_seconds(args.script)
    portrait = not args.face
    can_paint = Providers(settings).is_available("luma")
    face = '<the portrait\'s id as {"generation_id": ...}>' if portrait else _media_ref(args.face or "")
    options = f'aspect_ratio="{args.aspect_ratio}", resolution="{args.resolution}"'
    call = f"generate_avatar_video(image={face}, script=<the script>, voice_id=<the voice>, {options}"
    steps = [f"Call list_voices(query={json.dumps(args.voice)}) and pick the voice that fits the script best."]
    if portrait and can_paint:
        steps.append(
            f"Price a portrait (free): generate_image(prompt=<a front-facing head-and-shoulders portrait that suits "
            f'the script>, aspect_ratio="{args.aspect_ratio}", dry_run=true).'
        )
    elif portrait:
        steps.append("Ask the user for a face image (a local path or a URL): no image model is on to make one.")
    steps += [
        f"Price the video (free): call {call}, dry_run=true). Tell the user its estimated_credits and "
        "estimated_cost_usd (plus the portrait's, if one is made) and ask whether to go on.",
        *(["Make the portrait with generate_image (as priced), and keep its id."] if portrait and can_paint else []),
        f"Call {call}).",
        f"{_WAIT} until it is completed, then show the user the saved file.",
    ]
    numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
    portrait_cost = f", plus ${_luma_image():.4f} for a uni-1 portrait" if portrait and can_paint else ""
    return f"""Make a talking-avatar video (Hedra) that says this script:

{args.script}

Cost: Hedra charges credits per second of video, and this script takes about {seconds:.0f} s to speak; the dry \
run gives the credits and their dollar value{portrait_cost}.

{numbered}"""


def workflows(settings: Settings) -> list[Workflow]:
    models = Providers(settings).video_models()
    model: Any = Literal.__getitem__(models)  # the video models on offer, known only at start-up
    model_field = (model, Field(models[0], description="The video model."))
    duration: Any = Literal["5s", "9s", "10s"]
    animate = create_model(
        "AnimateArgs",
        __base__=AnimateArgsBase,
        model=model_field,
        duration=(duration, Field("5s", description="5s; 10s with ray-3.2, 9s with ray-2.")),
    )
    loop = create_model("LoopArgs", __base__=LoopArgsBase, model=model_field)
    video_makers = frozenset[ProviderName]({"luma", "aimlapi"})
    return [
        Workflow(
            "storyboard",
            "Storyboard to video",
            "An idea -> keyframe images (Uni-1) -> one video through them (Ray 3.2). Prices it first.",
            frozenset({"luma"}),
            StoryboardArgs,
            _storyboard,
        ),
        Workflow(
            "animate_image",
            "Animate an image",
            "A still image -> a video that starts from it. Prices it first.",
            video_makers,
            animate,
            _animate,
            history=(("image", IMAGE_TYPES, None),),
        ),
        Workflow(
            "seamless_loop",
            "Seamless loop",
            "A 5 s video whose end leads back into its start. Prices it first.",
            video_makers,
            loop,
            _loop,
        ),
        Workflow(
            "vertical_cut",
            "Vertical cut",
            "A video -> a 9:16 reframe of it -> that reframe extended. Prices it first.",
            frozenset({"luma"}),
            VerticalArgs,
            _vertical,
            history=(("generation_id", VIDEO_TYPES, ("luma",)),),
        ),
        Workflow(
            "avatar_script",
            "Talking avatar from a script",
            "A script (and a face, or a generated portrait) -> a lip-synced Hedra video. Prices it first.",
            frozenset({"hedra"}),
            AvatarArgs,
            _avatar,
            history=(("face", IMAGE_TYPES, None),),
        ),
    ]
