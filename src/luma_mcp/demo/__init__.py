"""`luma-mcp demo`: a real MCP client session, over stdio, against `luma-mcp` as a subprocess.

It does what an agent does: image -> video from it -> extend -> reframe to 9:16 -> edit, then a voice
and a talking avatar of the image, each step with a progress bar fed by the server's progress
notifications, then a table of what was made. Sandbox unless a key is set (always with `--sandbox` or
`LUMA_MCP_SANDBOX=1`); a live run takes only the steps whose provider has a key, states its
estimated price and asks first.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from ..settings import Settings
from . import screen
from .steps import DEFAULT_PROMPT, PRICING_FACE, Made, Step, avatar_arguments, first_voice, hedra_steps, luma_steps

KEY_NAMES = ("LUMA_AGENTS_API_KEY", "LUMA_API_KEY", "AIMLAPI_API_KEY", "AIML_API_KEY", "HEDRA_API_KEY")
LABELS = {"luma": "Luma", "hedra": "Hedra"}


@dataclass(frozen=True)
class Plan:
    sandbox: bool
    steps: list[Step]
    folder: Path  # where the server will save: sandbox outputs under <out>/sandbox
    out: Path
    face: Path | None
    skipped: list[str]
    keys_set: bool
    providers: tuple[str, ...] = ()  # a live run's keyed providers, by label
    log_level: str = "WARNING"  # the server's, on the demo's stderr


def plan(settings: Settings, out: Path | None, prompt: str | None, face: Path | None) -> Plan:
    keys = {"luma": settings.api_key is not None, "hedra": settings.hedra_key is not None}
    keys_set = any(keys.values()) or settings.aimlapi_key is not None
    sandbox = settings.sandbox or not (keys["luma"] or keys["hedra"])
    out_dir = (out or settings.output_dir).expanduser().resolve()
    face = face.expanduser().resolve() if face is not None else None
    luma, hedra = luma_steps(prompt or DEFAULT_PROMPT), hedra_steps(face)
    if sandbox:
        return Plan(True, luma + hedra, out_dir / "sandbox", out_dir, face, [], keys_set)
    skipped = []
    if not keys["luma"]:
        luma = []
        skipped.append("the Luma steps (image, video, extend, reframe, edit): set LUMA_AGENTS_API_KEY")
    if not keys["hedra"] or (face is None and not luma):
        hedra = []
        need = "set HEDRA_API_KEY" if not keys["hedra"] else "give --face IMAGE (a portrait), or a Luma key"
        skipped.append(f"the talking avatar: {need}")
    labels = tuple(LABELS[name] for name, keyed in keys.items() if keyed)
    return Plan(False, luma + hedra, out_dir, out_dir, face, skipped, keys_set, labels)


def run_demo(
    settings: Settings,
    out: Path | None = None,
    prompt: str | None = None,
    face: Path | None = None,
    log_level: str = "WARNING",
) -> int:
    try:
        return anyio.run(_demo, replace(plan(settings, out, prompt, face), log_level=log_level))
    except KeyboardInterrupt:
        return 130


def _server(demo: Plan) -> StdioServerParameters:
    env = {**os.environ, "LUMA_MCP_OUTPUT_DIR": str(demo.out), "LUMA_MCP_CONFIRM_ABOVE_USD": "off"}
    env.setdefault("LUMA_MCP_SANDBOX_JOB_SECONDS", "4")
    if demo.face is not None:  # a local face must sit in a folder the server may read
        extra = [env.get("LUMA_MCP_INPUT_DIRS", ""), str(demo.face.parent)]
        env["LUMA_MCP_INPUT_DIRS"] = os.pathsep.join(filter(None, extra))
    if demo.sandbox:
        for name in KEY_NAMES:  # the sandbox never needs them: nothing can reach a real account
            env.pop(name, None)
    else:
        env.pop("LUMA_MCP_SANDBOX", None)
    args = ["-m", "luma_mcp", "--log-level", demo.log_level] + (["--sandbox"] if demo.sandbox else [])
    return StdioServerParameters(command=sys.executable, args=args, env=env)


async def _demo(demo: Plan) -> int:
    screen.banner(demo.sandbox, demo.providers, demo.folder, demo.keys_set)
    if not demo.steps:
        screen.note("Nothing to run live: " + "; ".join(demo.skipped) + ". Or run `luma-mcp demo --sandbox`.")
        return 2
    made: Made = {}
    async with Client(_server(demo), mode="legacy", read_timeout_seconds=900) as client:
        tools = (await client.list_tools()).tools
        screen.note(f"Connected over stdio: the server lists {len(tools)} tools.")
        if not demo.sandbox and not await _agreed(client, demo, made):
            screen.note("Cancelled; nothing was submitted.")
            return 1
        for step in demo.steps:
            if step.name in made:
                continue  # already read while pricing
            result = await _run(client, step, made)
            if not result:
                screen.summary(made, demo.folder, demo.sandbox)
                return 1
            made[step.name] = result
    screen.summary(made, demo.folder, demo.sandbox)
    screen.next_steps(demo.sandbox)
    return 0


async def _agreed(client: Client, demo: Plan, made: Made) -> bool:
    """States what a live run submits and its estimated price, then asks (never without a terminal)."""
    from .steps import luma_estimate

    for skipped in demo.skipped:
        screen.note(f"Skipped: {skipped}.")
    total: float | None = luma_estimate() if any(step.provider == "luma" for step in demo.steps) else 0.0
    if any(step.name == "avatar" for step in demo.steps):
        avatar = await _avatar_price(client, made)
        total = None if avatar is None or total is None else total + avatar
    tools = [step.tool for step in demo.steps if step.generates]
    price = f"estimated ${total:.2f} in all" if total is not None else "at a price that could not be estimated"
    screen.note(f"This will submit {len(tools)} generations ({', '.join(tools)}), {price}.")
    if not sys.stdin.isatty():
        screen.note("No terminal to confirm on: run it in a terminal, or try `luma-mcp demo --sandbox` for free.")
        return False
    return screen.confirm("Go ahead?")


async def _avatar_price(client: Client, made: Made) -> float | None:
    """list_voices is free; a dry run of the avatar prices it from Hedra's live catalog, submitting nothing."""
    voices = await client.call_tool("list_voices", {"limit": 5})
    if voices.is_error:
        return None
    made["voices"] = dict(voices.structured_content or {})
    arguments = {**avatar_arguments({"url": PRICING_FACE}, first_voice(made)), "dry_run": True}
    priced = await client.call_tool("generate_avatar_video", arguments)
    cost = None if priced.is_error else (priced.structured_content or {}).get("estimated_cost_usd")
    return float(cost) if isinstance(cost, int | float) else None


async def _run(client: Client, step: Step, made: Made) -> dict[str, Any]:
    with screen.bar(step) as bars:
        arguments = step.arguments(made) | ({"wait_seconds": 600} if step.generates else {})
        result = await client.call_tool(step.tool, arguments, progress_callback=bars)
        data = dict(result.structured_content or {})
        if result.is_error or (step.generates and data.get("state") != "completed"):
            text = " ".join(getattr(block, "text", "") for block in result.content)
            bars.done("[red]failed")
            screen.failed(step.tool, data.get("next_step") or text)
            return {}
        bars.done(f"{len(data.get('voices', []))} voices" if not step.generates else "completed")
    return data
