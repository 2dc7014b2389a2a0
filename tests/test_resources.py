"""Resources: luma://generations/{id} (fresh JSON), .../outputs/{n} (the saved file), and the list."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mcp.shared.exceptions import MCPError

from conftest import session, structured
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings


async def test_generation_and_output_resources(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        made = structured(await client.call_tool("generate_video", {"prompt": "a red kite over dunes"}))
        gen_id, path = made["id"], made["outputs"][0]["path"]
        listed = {str(resource.uri): resource for resource in (await client.list_resources()).resources}
        as_json = await client.read_resource(f"luma://generations/{gen_id}")
        media = await client.read_resource(f"luma://generations/{gen_id}/outputs/0")
        missing = None
        try:
            await client.read_resource(f"luma://generations/{gen_id}/outputs/7")
        except MCPError as exc:
            missing = str(exc)
    assert listed[f"luma://generations/{gen_id}"].mime_type == "application/json"
    assert listed[f"luma://generations/{gen_id}/outputs/0"].mime_type == "video/mp4"
    generation = json.loads(as_json.contents[0].text)
    assert generation["state"] == "completed" and generation["saved_paths"] == {"0": path}
    [blob] = media.contents
    assert blob.mime_type == "video/mp4"
    assert base64.b64decode(blob.blob) == Path(path).read_bytes()
    assert missing is not None and "download=true" in missing
