"""The fuzz harness: one sandbox server, driven call by call, with the invariants every call must keep.

Shared by tests/test_fuzz.py (the quick profile, in CI) and bench/fuzz_long.py (10,000+ calls on
demand), which puts this folder on sys.path. It lives in tests/ because it is test code and pytest
finds it there without any path tricks; it imports nothing from conftest, so the bench needs no pytest.

`FuzzTarget` runs the MCP client in an anyio blocking portal, so hypothesis drives plain synchronous
`@given` functions while one server, one client and one emulator serve every example. What a call
must do is read from `tools/list` (annotations, schemas), so tools added later are covered as they are.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client
from mcp_types import CallToolResult, Tool

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig, RecordedRequest
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import SANDBOX_API_KEY, Settings

CALL_TIMEOUT = 60.0
MAX_ERROR_CHARS = 4000
CRASH_MARKERS = ("Error executing tool", "Traceback (most recent call last)", "errors.pydantic.dev", 'File "/')
STATES = ("queued", "processing", "completed", "failed")
# Every provider's create route, as its emulator records it.
CREATE_PATHS = ("/v1/generations", "/v2/video/generations", "/web-app/public/generations")
# Free reads a generation tool may make before refusing: Hedra's model catalog and voices.
CATALOG_READS = re.compile(r"^/web-app/public/(models|voices)$")


@dataclass(frozen=True)
class Call:
    tool: str
    arguments: dict[str, Any]
    kind: str  # how it was made: "schema", "near-valid", "mutated:<how>", "junk"


@dataclass
class Outcome:
    call: Call
    refused: bool
    text: str
    structured: dict[str, Any] | None
    requests: list[RecordedRequest]
    problems: list[str] = field(default_factory=list)

    @property
    def creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.rstrip("/") in CREATE_PATHS]


@dataclass(frozen=True)
class Seeds:
    """What near-valid arguments point at: finished generations and local files in an allowed folder."""

    image_id: str
    video_id: str
    inputs: Path
    outside: Path


@dataclass
class Tally:
    calls: int = 0
    refused: int = 0
    accepted: int = 0
    dry_runs: int = 0
    creates: int = 0
    duplicate_creates: int = 0
    failures: list[Outcome] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.calls += 1
        self.refused += outcome.refused
        self.accepted += not outcome.refused
        self.dry_runs += bool(outcome.structured and outcome.structured.get("dry_run"))
        self.creates += len(outcome.creates)
        self.duplicate_creates += len(outcome.creates) > 1
        kind = outcome.call.kind.split(":")[0]
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if outcome.problems:
            self.failures.append(outcome)

    def summary(self) -> str:
        return (
            f"{self.calls} calls: {self.refused} refused, {self.accepted} accepted ({self.dry_runs} dry runs, "
            f"{self.creates} creates), {len(self.failures)} invariant failures, "
            f"{self.duplicate_creates} duplicate creates"
        )


class FuzzTarget:
    """A sandbox server with an emulator that never rate-limits, an MCP client, and seeded inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings = Settings(
            sandbox=True,
            output_dir=root / "out",
            data_dir=root / "data",
            input_dirs=(root / "inputs",),
            wait_seconds=0,  # the default wait: a valid call returns at once
            min_poll_interval=0.01,
            progress_interval=0.1,
            sandbox_job_seconds=0.3,
        )
        unlimited = 10**9  # a rate limit would turn valid calls into refusals that did reach the API
        # The same holds for the vertical 1080p reframe still rolling out (the API's refusal, relayed after
        # the upload, is tested in test_sandbox_media_reframe_rollout): here the caller has access.
        self.emulator = Emulator(
            EmulatorConfig(
                queued_seconds=0.05,
                processing_seconds=0.3,
                rpm_limit=unlimited,
                concurrency_limit=unlimited,
                vertical_1080p_reframe_access=True,
            )
        )
        fast = {"queued_seconds": 0.05}
        self.sandbox = Sandbox(
            self.emulator,
            AimlEmulator(AimlEmulatorConfig(**fast, generating_seconds=0.3)),
            HedraEmulator(HedraEmulatorConfig(**fast, processing_seconds=0.3, finalizing_seconds=0.05)),
        )
        self._stack = ExitStack()
        self.tools: dict[str, Tool] = {}
        self.returned_ids: set[str] = set()

    def __enter__(self) -> FuzzTarget:
        self.portal: BlockingPortal = self._stack.enter_context(start_blocking_portal())
        server = build_server(self.settings, self.sandbox)
        self.client: Client = self._stack.enter_context(self.portal.wrap_async_context_manager(Client(server)))
        self.tools = {tool.name: tool for tool in self.portal.call(self.client.list_tools).tools}
        self.seeds = Seeds(*self.portal.call(self._seed_generations), *_seed_files(self.root))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    async def _seed_generations(self) -> tuple[str, str]:
        transport = httpx.ASGITransport(app=self.emulator.app)
        headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator/v1", headers=headers) as http:
            image = await http.post("/generations", json={"model": "uni-1", "type": "image", "prompt": "a red fox"})
            video = await http.post(
                "/generations",
                json={"model": "ray-3.2", "type": "video", "prompt": "a lighthouse", "video": {"resolution": "360p"}},
            )
        assert image.status_code == video.status_code == 201, (image.text, video.text)
        self.emulator.advance(60)  # both finished, outputs downloadable
        return image.json()["id"], video.json()["id"]

    def received(self) -> list[list[RecordedRequest]]:
        """Every emulator's request log (the sandbox builds none it was not given: all three are)."""
        return [self.sandbox.luma.requests, self.sandbox.aimlapi.requests, self.sandbox.hedra.requests]

    def run(self, call: Call) -> Outcome:
        before = [len(log) for log in self.received()]

        def since() -> list[RecordedRequest]:
            return [request for log, start in zip(self.received(), before, strict=True) for request in log[start:]]

        try:
            result = self.portal.call(self._call, call)
        except Exception as exc:  # the client raising is itself a finding: record it, keep fuzzing
            outcome = Outcome(call, True, "", None, since())
            outcome.problems.append(f"client raised {type(exc).__name__}: {str(exc)[:300]}")
            return outcome
        text = "\n".join(block.text for block in result.content if block.type == "text")
        outcome = Outcome(call, result.is_error, text, result.structured_content, since())
        outcome.problems.extend(check(outcome, self.tools[call.tool]))
        if outcome.structured and outcome.structured.get("id") and not outcome.refused:
            self.returned_ids.add(str(outcome.structured["id"]))
        return outcome

    async def _call(self, call: Call) -> CallToolResult:
        with anyio.fail_after(CALL_TIMEOUT):
            return await self.client.call_tool(call.tool, call.arguments)

    def history_problems(self) -> list[str]:
        """Never lose: every id a tool handed back is in the history, and no submission is left unresolved."""
        with sqlite3.connect(self.settings.history_path) as db:
            rows = dict(db.execute("SELECT id, state FROM generations").fetchall())
        missing = self.returned_ids - set(rows)
        pending = sorted(gen_id for gen_id, state in rows.items() if state in ("submitting", "unknown"))
        problems = [f"{len(missing)} returned ids missing from the history: {sorted(missing)[:5]}"] if missing else []
        return problems + ([f"unresolved history rows: {pending[:5]}"] if pending else [])


def _seed_files(root: Path) -> tuple[Path, Path]:
    """A real PNG and MP4 inside the allowed folder; an image outside it, and a symlink escaping to it."""
    from luma_mcp.emulator.media import encode_image, encode_video

    inputs, outside = root / "inputs", root / "outside"
    inputs.mkdir(parents=True)
    outside.mkdir()
    (inputs / "still.png").write_bytes(encode_image(1280, 720, "png"))
    (inputs / "clip.mp4").write_bytes(encode_video(640, 360, 48))
    (inputs / "notes.txt").write_text("not media")
    (outside / "private.png").write_bytes(encode_image(640, 360, "png"))
    (inputs / "escape.png").symlink_to(outside / "private.png")
    return inputs, outside


def check(outcome: Outcome, tool: Tool) -> list[str]:
    """Every invariant one call must keep; an empty list when it kept them all."""
    problems = [f"crash or leak marker {marker!r} in the result" for marker in CRASH_MARKERS if marker in outcome.text]
    if not outcome.text:
        problems.append("no text content")
    problems += _check_refusal(outcome, tool) if outcome.refused else _check_acceptance(outcome, tool)
    return problems


def _check_refusal(outcome: Outcome, tool: Tool) -> list[str]:
    problems = []
    if len(outcome.text) > MAX_ERROR_CHARS:
        problems.append(f"error message of {len(outcome.text)} chars (echoes the input?)")
    if not names_a_field(outcome.text, tool.input_schema, outcome.call.arguments):
        problems.append("error message names no argument")
    if outcome.creates:
        problems.append(f"refused, yet {len(outcome.creates)} create(s) reached the API")
    writes = [f"{r.method} {r.path}" for r in outcome.requests if r.method != "GET"]
    if writes:
        problems.append(f"refused, yet sent {writes}")
    lookups = [r for r in outcome.requests if not CATALOG_READS.match(r.path.rstrip("/"))]
    if lookups and not _mentions_generation_id(outcome.call.arguments):
        problems.append(f"refused, yet sent {len(lookups)} request(s) with no generation_id to look up")
    return problems


def _check_acceptance(outcome: Outcome, tool: Tool) -> list[str]:
    data = outcome.structured
    if data is None:
        return ["accepted without structured content"]
    # A tool that buys is neither read-only nor idempotent (asking twice buys twice); get_generation writes
    # files, so is not read-only, but is idempotent: neither kind may send a write to an API.
    hints = tool.annotations
    buys_nothing = bool(hints and (hints.read_only_hint or hints.idempotent_hint))
    writes = [f"{r.method} {r.path}" for r in outcome.requests if r.method != "GET"]
    if buys_nothing or data.get("dry_run"):
        return [f"{'non-buying tool' if buys_nothing else 'dry run'} sent {writes}"] if writes else []
    creates = len(outcome.creates)
    problems = [] if creates == 1 else [f"accepted generation call made {creates} creates (want exactly 1)"]
    if not _is_generation_id(data.get("id")) or data.get("state") not in STATES:
        problems.append(f"accepted generation without a usable id/state: {data.get('id')!r} {data.get('state')!r}")
    return problems


def names_a_field(text: str, schema: dict[str, Any], arguments: dict[str, Any]) -> bool:
    names = property_names(schema) | set(_keys(arguments))
    if "" in names and "- arguments:" in text:
        return True  # an argument named "" can only be shown by where it sits
    return any(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) for name in names if name)


def property_names(schema: Any) -> set[str]:
    """Every property name anywhere in a JSON schema (nested objects and $defs included)."""
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= property_names(value)
    return names


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(key) for key in value] + [key for item in value.values() for key in _keys(item)]
    if isinstance(value, list):
        return [key for item in value for key in _keys(item)]
    return []


def _mentions_generation_id(arguments: dict[str, Any]) -> bool:
    return any(key.endswith("generation_id") for key in _keys(arguments))


def _is_generation_id(value: Any) -> bool:
    """Luma's bare UUIDs, `hedra:<uuid>`, or `aimlapi:<uuid>:<model>` (the AI/ML API's own id form)."""
    text = str(value)
    if text.startswith("hedra:"):
        text = text.removeprefix("hedra:")
    elif text.startswith("aimlapi:"):
        text = text.removeprefix("aimlapi:").split(":", 1)[0]
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def describe(outcome: Outcome) -> str:
    arguments = repr(outcome.call.arguments)
    shown = arguments if len(arguments) < 600 else arguments[:600] + "..."
    return (
        f"{outcome.call.tool} [{outcome.call.kind}] {shown}\n  problems: {outcome.problems}\n"
        f"  result: {outcome.text[:400]!r}\n  requests: {[f'{r.method} {r.path}' for r in outcome.requests]}"
    )
