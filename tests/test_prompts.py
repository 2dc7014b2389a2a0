"""Workflow prompts through the MCP client, in both eras: listed by the providers that are on, every
argument described, each stating its cost and starting with a dry run."""

from __future__ import annotations

import dataclasses
import re

import pytest
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from conftest import session
from luma_mcp.settings import Settings

ERAS = ["legacy", "auto"]
KEY = SecretStr("test-key-not-real")
ARGUMENTS = {
    "storyboard": {"idea": "a fox finds a lantern in the snow"},
    "animate_image": {"image": "/tmp/still.png", "motion": "the leaves drift, slow push in"},
    "seamless_loop": {"prompt": "waves rolling onto a beach"},
    "vertical_cut": {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"},
    "avatar_script": {"script": "Welcome to the show. Today we make a video in one call."},
}


def real(settings: Settings, **keys: SecretStr) -> Settings:
    return dataclasses.replace(settings, sandbox=False, **keys)


@pytest.mark.parametrize("mode", ERAS)
async def test_prompts_are_listed_with_every_argument_described(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        capabilities = client.server_capabilities
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert capabilities is not None and capabilities.prompts is not None
    assert set(prompts) == set(ARGUMENTS)
    for prompt in prompts.values():
        assert prompt.title and prompt.description and "first" in prompt.description
        assert all(argument.description for argument in prompt.arguments or []), prompt.name
        required = {argument.name for argument in prompt.arguments or [] if argument.required}
        assert required == set(ARGUMENTS[prompt.name]), prompt.name
    durations = next(a for a in prompts["storyboard"].arguments or [] if a.name == "duration")
    assert "One of: 5s, 10s" in (durations.description or "") and "Default: 5s" in (durations.description or "")


@pytest.mark.parametrize(
    ("keys", "listed"),
    [
        ({}, set()),
        ({"api_key": KEY}, {"storyboard", "animate_image", "seamless_loop", "vertical_cut"}),
        ({"aimlapi_key": KEY}, {"animate_image", "seamless_loop"}),
        ({"hedra_key": KEY}, {"avatar_script"}),
    ],
)
async def test_only_prompts_whose_providers_are_on_are_listed(
    settings: Settings, keys: dict[str, SecretStr], listed: set[str]
) -> None:
    async with session(real(settings, **keys)) as client:
        names = {prompt.name for prompt in (await client.list_prompts()).prompts}
    assert names == listed


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", sorted(ARGUMENTS))
async def test_each_prompt_states_its_cost_and_starts_with_a_dry_run(settings: Settings, mode: str, name: str) -> None:
    async with session(settings, mode=mode) as client:
        got = await client.get_prompt(name, ARGUMENTS[name])
    [message] = got.messages
    text = message.content.text  # type: ignore[union-attr]
    assert message.role == "user"
    assert re.search(r"^Cost: .*(\$\d+\.\d\d|dry run)", text, re.MULTILINE), text
    first = re.search(r"^1\. (.*)$", text, re.MULTILINE)
    dry_step = first.group(1) if first else ""
    if name == "avatar_script":  # the voice is picked first: its dry run needs a voice_id
        dry_step = re.search(r"^[23]\. Price the video.*$", text, re.MULTILINE).group(0)  # type: ignore[union-attr]
    assert "dry_run=true" in dry_step, text
    assert "Sandbox: emulators answer and nothing is bought" in text


async def test_the_storyboard_adds_up_its_images_and_video(settings: Settings) -> None:
    async with session(settings) as client:
        got = await client.get_prompt(
            "storyboard", {"idea": "a fox", "shots": "4", "duration": "10s", "resolution": "1080p"}
        )
    text = got.messages[0].content.text  # type: ignore[union-attr]
    # 4 uni-1 images at $0.0404 and a 10 s 1080p ray-3.2 video at $3.60 (the published table).
    assert "about $3.76 in all" in text and "$0.0404 each" in text and "at $3.60" in text
    assert '{"frame": 0,' in text and '{"frame": 80,' in text and '{"frame": 160,' in text and '{"frame": 240,' in text


async def test_the_vertical_cut_reframes_then_extends(settings: Settings) -> None:
    async with session(settings) as client:
        got = await client.get_prompt("vertical_cut", {**ARGUMENTS["vertical_cut"], "resolution": "540p"})
    text = got.messages[0].content.text  # type: ignore[union-attr]
    source = '{"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"}'
    assert f'reframe_video(source={source}, aspect_ratio="9:16", resolution="540p", dry_run=true)' in text
    assert text.index("reframe_video(") < text.index("extend_video(generation_id=<the reframe's id>")
    assert "$0.06 per second" in text and "extension $0.15" in text and "$0.45 in all" in text


async def test_animate_takes_an_id_a_url_or_a_path(settings: Settings) -> None:
    texts = {}
    async with session(settings) as client:
        for image in ("d290f1ee-6c54-4b01-90e6-d701748f0851", "https://x.test/a.png", "/tmp/still.png"):
            got = await client.get_prompt("animate_image", {**ARGUMENTS["animate_image"], "image": image})
            texts[image] = got.messages[0].content.text  # type: ignore[union-attr]
        ray2 = await client.get_prompt("animate_image", {**ARGUMENTS["animate_image"], "model": "ray-2"})
    assert (
        'start_frame={"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"}'
        in texts["d290f1ee-6c54-4b01-90e6-d701748f0851"]
    )
    assert 'start_frame={"url": "https://x.test/a.png"}' in texts["https://x.test/a.png"]
    assert 'start_frame={"path": "/tmp/still.png"}' in texts["/tmp/still.png"]
    assert "$0.30 (Luma's published price" in texts["/tmp/still.png"]
    assert "priced by the AI/ML API for ray-2" in ray2.messages[0].content.text  # type: ignore[union-attr]


async def test_the_avatar_prices_the_speech_and_makes_a_portrait_when_no_face_is_given(settings: Settings) -> None:
    script = "x" * 140  # ten seconds at Hedra's ~14 characters a second
    async with session(settings) as client:
        painted = await client.get_prompt("avatar_script", {"script": script})
        given = await client.get_prompt("avatar_script", {"script": script, "face": "https://x.test/face.jpg"})
    painted_text = painted.messages[0].content.text  # type: ignore[union-attr]
    given_text = given.messages[0].content.text  # type: ignore[union-attr]
    assert "about 10 s to speak" in painted_text and "uni-1 portrait" in painted_text
    assert "list_voices" in painted_text and "generate_image(" in painted_text
    assert "generate_image(" not in given_text and 'image={"url": "https://x.test/face.jpg"}' in given_text


@pytest.mark.parametrize("mode", ERAS)
async def test_a_bad_argument_is_named(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        with pytest.raises(MCPError) as wrong:
            await client.get_prompt("storyboard", {"idea": "a fox", "shots": "9"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("vertical_cut", {})
    assert "storyboard: shots:" in wrong.value.message and "'5'" in wrong.value.message
    assert "vertical_cut: generation_id: Field required" in missing.value.message
