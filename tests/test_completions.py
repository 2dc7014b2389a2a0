"""completion/complete through the MCP client, in both eras: ids from the history (newest first, kept to
what fits), output indexes from the saved files, prompt enums from their schemas."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp_types import PromptReference, ResourceTemplateReference

from conftest import session, structured
from luma_mcp.settings import Settings

ERAS = ["legacy", "auto"]
GENERATION = ResourceTemplateReference(type="ref/resource", uri="luma://generations/{generation_id}")
OUTPUT = ResourceTemplateReference(type="ref/resource", uri="luma://generations/{generation_id}/outputs/{index}")


def prompt(name: str) -> PromptReference:
    return PromptReference(type="ref/prompt", name=name)


async def values(
    client: Client, ref: PromptReference | ResourceTemplateReference, name: str, typed: str = "", **given: str
) -> list[str]:
    answer = await client.complete(ref, {"name": name, "value": typed}, given or None)
    return answer.completion.values


async def made(client: Client, tool: str, **arguments: object) -> str:
    return str(structured(await client.call_tool(tool, {"prompt": "a kite", **arguments}))["id"])


@pytest.mark.parametrize("mode", ERAS)
async def test_ids_complete_from_the_history_newest_first_and_kept_to_what_fits(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        assert client.server_capabilities is not None and client.server_capabilities.completions is not None
        image = await made(client, "generate_image")
        video = await made(client, "generate_video")
        running = await made(client, "generate_video", wait_seconds=0)
        unsaved = structured(await client.call_tool("generate_video", {"prompt": "a kite", "wait_seconds": 0}))["id"]
        every = await values(client, GENERATION, "generation_id")
        saved = await values(client, OUTPUT, "generation_id")
        typed = await values(client, GENERATION, "generation_id", video[:6].upper())
        videos = await values(client, prompt("vertical_cut"), "generation_id")
        images = await values(client, prompt("animate_image"), "image")
        faces = await values(client, prompt("avatar_script"), "face")
    assert every == [unsaved, running, video, image]
    assert saved == [video, image]  # the running jobs have no file yet
    assert video in typed and image not in typed  # prefix, case-insensitive
    assert videos == [video]  # completed videos only: a running one cannot be reframed yet
    assert images == faces == [image]


@pytest.mark.parametrize("mode", ERAS)
async def test_an_outputs_index_completes_from_its_saved_files(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        video = await made(client, "generate_video")
        indexes = await values(client, OUTPUT, "index", generation_id=video)
        none_yet = await values(client, OUTPUT, "index", generation_id="d290f1ee-6c54-4b01-90e6-d701748f0851")
        no_context = await values(client, OUTPUT, "index")
    assert indexes == ["0"]
    assert none_yet == [] and no_context == []


@pytest.mark.parametrize("mode", ERAS)
async def test_prompt_enums_complete_from_their_schemas(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        durations = await values(client, prompt("storyboard"), "duration")
        resolutions = await values(client, prompt("storyboard"), "resolution", "7")
        models = await values(client, prompt("animate_image"), "model")
        ratios = await values(client, prompt("avatar_script"), "aspect_ratio", "9")
        free_text = await values(client, prompt("storyboard"), "idea", "a")
        unknown = await values(client, prompt("no_such_prompt"), "duration")
    assert durations == ["5s", "10s"]
    assert resolutions == ["720p"]
    assert models == ["ray-3.2", "ray-2", "ray-flash-2"]  # the sandbox offers every provider's
    assert ratios == ["9:16"]
    assert free_text == [] and unknown == []
