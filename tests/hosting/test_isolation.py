"""Per-user isolation in hosted mode (issue 14, item 3), over real HTTP with OAuth on.

Two users, alice and bob, each with a token from the in-test IdP, drive the real server through the MCP
client. What alice makes, bob cannot find by any route (id, list, resource, completion), cannot chain
from, and cannot spend from her budget; each refusal for bob comes before any provider request, since
the provider keys are shared by every user. Every assertion about bob has alice's own success beside it,
so that a server which keeps nobody apart fails it. SQLite store: these run in the default suite.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, PromptReference, ResourceTemplateReference

from conftest import structured, text_of, wav
from luma_mcp.cli import ENVIRONMENT
from luma_mcp.history import History
from luma_mcp.identity import user_folder_name
from luma_mcp.outputs import save_outputs
from luma_mcp.runtime import open_runtime
from luma_mcp.settings import Settings, SettingsError
from sandbox_frames import png

from .isolation_support import Hosted, hosted

GENERATION = ResourceTemplateReference(type="ref/resource", uri="luma://generations/{generation_id}")
OUTPUT = ResourceTemplateReference(type="ref/resource", uri="luma://generations/{generation_id}/outputs/{index}")
VERTICAL_CUT = PromptReference(type="ref/prompt", name="vertical_cut")
SPEECH = {"url": "data:audio/wav;base64," + base64.b64encode(wav()).decode()}
SD = {"prompt": "rain on a tin roof", "wait_seconds": 0}  # $0.30
HD = {**SD, "resolution": "1080p"}  # $1.20


async def made(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = structured(await client.call_tool(tool, {"prompt": "a red kite over dunes", **arguments}))
    assert result["state"] == "completed" and result["outputs"][0]["path"], result
    return result


async def listed_ids(client: Client) -> list[str]:
    return [entry["id"] for entry in structured(await client.call_tool("list_generations", {}))["generations"]]


async def resource_uris(client: Client) -> list[str]:
    return [str(resource.uri) for resource in (await client.list_resources()).resources]


async def completions(client: Client, generation_id: str) -> list[list[str]]:
    """Every completion that offers generation ids (or an output's indexes, given `generation_id`)."""
    asked = [
        (GENERATION, "generation_id", None),
        (OUTPUT, "generation_id", None),
        (OUTPUT, "index", {"generation_id": generation_id}),
        (VERTICAL_CUT, "generation_id", None),
    ]
    return [
        (await client.complete(ref, {"name": name, "value": ""}, given)).completion.values for ref, name, given in asked
    ]


async def unreadable(client: Client, uri: str) -> str | None:
    """The error reading `uri` raised; None when it was read (by the server: an output's bytes may be cached)."""
    try:
        await client.read_resource(uri, cache_mode="bypass")
    except MCPError as exc:
        return str(exc)
    return None


def refused(result: CallToolResult, *words: str) -> str:
    text = text_of(result)
    assert result.is_error and all(word in text for word in words), text
    return text


def folder_of(world: Hosted, sub: str) -> Path:
    return world.settings.output_dir / user_folder_name(world.user(sub)) / "sandbox"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_another_users_generation_is_not_found_by_id_list_resource_or_completion(
    tmp_path: Path, mode: str
) -> None:
    async with hosted(tmp_path) as world:
        async with world.client("alice", mode) as alice:
            hers = (await made(alice, "generate_video"))["id"]
            uris = [f"luma://generations/{hers}", f"luma://generations/{hers}/outputs/0"]
            # What bob is refused, alice is given: the same calls, with her token.
            assert await listed_ids(alice) == [hers] and set(uris) <= set(await resource_uris(alice))
            assert [await unreadable(alice, uri) for uri in uris] == [None, None]
            assert await completions(alice, hers) == [[hers], [hers], ["0"], [hers]]
        before = len(world.provider_requests())
        async with world.client("bob", mode) as bob:
            got = await bob.call_tool("get_generation", {"generation_id": hers})
            seen = (await listed_ids(bob), await resource_uris(bob), await completions(bob, hers))
            reads = [await unreadable(bob, uri) for uri in uris]
        assert world.provider_requests()[before:] == [], "the provider was asked about another user's id"
    refused(got, f"no generation '{hers}' of yours")
    assert seen == ([], [], [[], [], [], []])
    assert all(error is not None and hers in error for error in reads), reads


async def test_chaining_from_another_users_generation_is_refused_before_any_request(tmp_path: Path) -> None:
    async with hosted(tmp_path) as world:
        async with world.client("alice") as alice:
            video = (await made(alice, "generate_video"))["id"]
            image = (await made(alice, "generate_image"))["id"]
            mine = await alice.call_tool("reframe_video", {"source": {"generation_id": video}, "aspect_ratio": "9:16"})
        assert not mine.is_error, text_of(mine)
        chains = [
            ("extend_video", {"generation_id": video, "prompt": "the kite climbs"}),
            ("edit_video", {"source": {"generation_id": video}, "prompt": "as a watercolour"}),
            ("reframe_video", {"source": {"generation_id": video}, "aspect_ratio": "9:16"}),
            ("generate_video", {"prompt": "the kite lands", "start_frame": {"generation_id": image}}),
            ("generate_video", {"prompt": "the kite", "model": "ray-2", "start_frame": {"generation_id": image}}),
            ("edit_image", {"source": {"generation_id": image}, "prompt": "in snow"}),
            ("generate_image", {"prompt": "like this", "image_refs": [{"generation_id": image}]}),
        ]
        before = len(world.provider_requests())
        async with world.client("bob") as bob:
            results = [await bob.call_tool(tool, arguments) for tool, arguments in chains]
            after_chains = len(world.provider_requests())
            # Hedra's tool reads its model catalog first; the face's lookup is what must never happen.
            avatar = await bob.call_tool("generate_avatar_video", {"image": {"generation_id": image}, "audio": SPEECH})
        sent = world.provider_requests()[before:]
    for result, (tool, arguments) in zip(results, chains, strict=True):
        refused(result, "of yours", "generation_id")
        assert "Nothing was sent" in text_of(result) or tool == "extend_video", (tool, arguments)
    refused(avatar, "image.generation_id", "of yours")
    assert after_chains == before, [(r.method, r.path) for r in sent]
    assert not any(image in request.path or image in str(request.body) for request in sent), sent


async def test_outputs_are_saved_and_served_from_their_owners_folder_only(tmp_path: Path) -> None:
    async with hosted(tmp_path) as world:
        async with world.client("alice") as alice:
            hers = Path((await made(alice, "generate_video"))["outputs"][0]["path"])
        async with world.client("bob") as bob:
            his = await made(bob, "generate_video")
            own = await unreadable(bob, f"luma://generations/{his['id']}/outputs/0")
            # A history row of bob's that names alice's file (a forged or stale path) must not open her folder.
            store = History(world.settings.history_path)
            await store.open()
            await store.set_path(his["id"], 0, hers, owner=world.user("bob"))
            await store.close()
            forged = await unreadable(bob, f"luma://generations/{his['id']}/outputs/0")
    assert hers.is_file() and hers.is_relative_to(folder_of(world, "alice"))
    assert Path(his["outputs"][0]["path"]).is_relative_to(folder_of(world, "bob"))
    assert own is None and forged is not None and "gone" in forged


async def test_work_for_no_caller_saves_into_the_records_owners_folder(tmp_path: Path) -> None:
    """As recovery does: no request, no token; the row's owner says whose folder and row it is."""
    async with hosted(tmp_path) as world:
        async with world.client("alice") as alice:
            queued = structured(await alice.call_tool("generate_video", SD))
        async with open_runtime(world.settings, world.sandbox) as runtime:
            record = await runtime.store.get(queued["id"], owner=world.user("alice"))
            assert record is not None and await runtime.history.get(queued["id"]) is None  # no caller: nobody's
            generation = await runtime.providers.for_id(record.id).get(record.id)
            while generation.state != "completed":
                await anyio.sleep(0.05)
                generation = await runtime.providers.for_id(record.id).get(record.id)
            [saved] = await save_outputs(runtime, generation, record.paths, record.prompt, owner=record.owner)
            again = await runtime.store.get(record.id, owner=record.owner)
    assert saved.path is not None and Path(saved.path).is_relative_to(folder_of(world, "alice"))
    assert again is not None and again.paths == {0: saved.path}


async def test_local_paths_are_refused_in_hosted_mode(tmp_path: Path) -> None:
    async with hosted(tmp_path) as world:
        # Inside the output dir: a file any single-user server would read.
        picture = world.settings.output_dir / "face.png"
        picture.parent.mkdir(parents=True)
        picture.write_bytes(png((200, 120, 40), 320, 240))
        local = {"path": str(picture)}
        attempts = [
            ("generate_video", {"prompt": "p", "start_frame": local}, "start_frame.path"),
            ("generate_video", {"prompt": "p", "model": "ray-2", "end_frame": local}, "end_frame.path"),
            ("edit_image", {"source": local, "prompt": "in snow"}, "source.path"),
            ("generate_avatar_video", {"image": local, "audio": SPEECH}, "image.path"),
            ("generate_avatar_video", {"image": {"url": "https://example.com/f.png"}, "audio": local}, "audio.path"),
        ]
        async with world.client("alice") as alice:
            results = [await alice.call_tool(tool, arguments) for tool, arguments, _ in attempts]
        posts = [request.path for request in world.provider_requests() if request.method == "POST"]
    for result, (_, _, field) in zip(results, attempts, strict=True):
        refused(result, field, "hosted", "url", "data: URI", "generation_id")
    assert posts == [], "nothing is uploaded or created"


async def test_each_user_spends_within_their_own_budget(tmp_path: Path) -> None:
    async with (
        hosted(tmp_path, user_budget_usd=2.0, budget_usd=2.8) as world,
        world.client("alice") as alice,
        world.client("bob") as bob,
    ):
        steps = [
            await alice.call_tool("generate_video", SD),  # alice $0.30, everyone $0.30
            await bob.call_tool("generate_video", HD),  # bob $1.20, everyone $1.50
            await bob.call_tool("generate_video", {**HD, "dry_run": True}),  # bob would be at $2.40
            await bob.call_tool("generate_video", HD),
            await alice.call_tool("generate_video", HD),  # alice $1.50: fits hers, though everyone's is $2.70
            await bob.call_tool("generate_video", SD),  # bob $1.50 fits his, everyone's $3.00 does not
        ]
    assert [step.is_error for step in steps] == [False, False, True, True, False, True], [text_of(s) for s in steps]
    for own in (steps[2], steps[3]):
        text = refused(own, "LUMA_MCP_USER_BUDGET_USD=$2.00", "your spend today to $2.40", "you have spent $1.20 today")
        assert "$1.50" not in text and "$2.70" not in text, text  # everyone's figures are not bob's to see
    shared = refused(steps[5], "LUMA_MCP_BUDGET_USD=$2.80")
    assert not any(figure in shared for figure in ("$1.50", "$2.70", "$3.00")), shared


def test_the_user_budget_and_hosted_mode_settings() -> None:
    assert Settings.from_env({"LUMA_MCP_USER_BUDGET_USD": "1.5"}).user_budget_usd == 1.5
    assert Settings.from_env({}).user_budget_usd is None
    with pytest.raises(SettingsError, match="LUMA_MCP_USER_BUDGET_USD"):
        Settings.from_env({"LUMA_MCP_USER_BUDGET_USD": "lots"})
    assert "LUMA_MCP_USER_BUDGET_USD" in ENVIRONMENT
    assert not Settings().hosted
    assert Settings(auth_issuer="https://idp.example.com", auth_audience="https://mcp.example.com/mcp").hosted
