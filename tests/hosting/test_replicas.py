"""Replicas finish each other's jobs: a job whose replica died is settled and saved by another, once.

Each "replica" is a Runtime with a store instance of its own over one backing (two SQLite connections to
one file in the default suite, two pools on one PostgreSQL under `hosting`) and one output folder; the
provider is the Luma emulator, shared as the real API would be. The dead replica is simply one that
submitted and then never looked again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio
import pytest

from luma_mcp.media.download import claim_path, this_host
from luma_mcp.outputs import output_folder, recover
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.replicas import holder_name, settle_round
from luma_mcp.runtime import Runtime
from luma_mcp.settings import Settings
from luma_mcp.store import Store, Submission

from .store_support import Stores

ALICE = "https://idp.example.com|alice"
BOB = "https://idp.example.com|bob"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(luma=Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.2)))


async def submit(runtime: Runtime, owner: str, prompt: str) -> str:
    """What a tool call does before its replica dies: the row, the create, the id written back."""
    body = {"type": "image", "model": "uni-1", "prompt": prompt}
    provider = runtime.provider("luma")
    local = await runtime.store.begin_submission(Submission("luma", "image", "uni-1", body, 0.04), owner=owner)
    generation = await provider.create(body, request_id=provider.trace_id(body))
    await runtime.store.confirm_submission(local, generation.id, generation.state, generation.created_at, owner=owner)
    return generation.id


async def replicas(stores: Stores, settings: Settings, sandbox: Sandbox, count: int) -> list[Runtime]:
    return [Runtime(settings, await stores.open(), sandbox) for _ in range(count)]


def saved_files(settings: Settings) -> list[Path]:
    return sorted(path for path in settings.output_dir.rglob("*") if path.is_file())


async def settled(store: Store, generation_id: str, owner: str) -> dict[int, str]:
    record = await store.get(generation_id, owner=owner)
    assert record is not None
    assert record.state == "completed", record
    return record.paths


async def test_a_dead_replicas_jobs_are_saved_once_into_their_owners_folders(
    stores: Stores, settings: Settings, sandbox: Sandbox
) -> None:
    dead, second, third = await replicas(stores, settings, sandbox, 3)
    alice_id = await submit(dead, ALICE, "a lighthouse at dusk")
    bob_id = await submit(dead, BOB, "a fox in the snow")
    await anyio.sleep(0.4)  # both jobs finish at the provider; nobody is waiting on them any more

    counts: list[int] = []

    async def round_of(runtime: Runtime) -> None:
        counts.append(await settle_round(runtime, holder_name()))

    async with anyio.create_task_group() as group:
        group.start_soon(round_of, second)
        group.start_soon(round_of, third)

    assert sum(counts) == 2, f"the rows were not split between the replicas: {counts}"
    alice_paths = await settled(second.store, alice_id, ALICE)
    bob_paths = await settled(second.store, bob_id, BOB)
    assert Path(alice_paths[0]).parent == output_folder(settings, ALICE)
    assert Path(bob_paths[0]).parent == output_folder(settings, BOB)
    assert saved_files(settings) == sorted([Path(alice_paths[0]), Path(bob_paths[0])])
    # Settled rows are no one's work any more.
    assert await settle_round(second, holder_name()) == 0


async def test_a_job_another_replica_is_still_settling_is_left_to_it(
    stores: Stores, settings: Settings, sandbox: Sandbox
) -> None:
    dead, live = await replicas(stores, settings, sandbox, 2)
    generation_id = await submit(dead, ALICE, "a kite over cliffs")
    await anyio.sleep(0.4)
    # Its row lease lapsed while a slow download went on: the work lease still says someone is at it.
    assert await live.store.claim(f"settle:{generation_id}", "elsewhere:1:cafe", 30)

    holder = holder_name()
    assert await settle_round(live, holder) == 0
    assert (await live.store.get(generation_id, owner=ALICE) or pytest.fail("gone")).paths == {}
    assert saved_files(settings) == []

    await live.store.release_claim(f"settle:{generation_id}", "elsewhere:1:cafe")
    assert await settle_round(live, holder) == 1  # its row lease is still this replica's: no other takes it
    assert (await settled(live.store, generation_id, ALICE)).keys() == {0}


async def test_a_round_clears_what_a_killed_download_left(stores: Stores, settings: Settings, sandbox: Sandbox) -> None:
    (live,) = await replicas(stores, settings, sandbox, 1)
    folder = output_folder(settings, ALICE)
    folder.mkdir(parents=True)
    destination = folder / "2026-12-02_kite_0a1b2c3d.png"
    claim_path(destination).write_text(f"{2**22 + 17} {this_host()}\n")  # above pid_max: no such process
    assert await settle_round(live, holder_name()) == 0
    assert not claim_path(destination).exists()


async def test_a_create_cut_mid_send_by_a_dead_replica_is_settled_as_unknown_for_its_owner(
    stores: Stores, settings: Settings, sandbox: Sandbox
) -> None:
    [survivor] = await replicas(stores, settings, sandbox, 1)
    body = {"type": "image", "model": "uni-1", "prompt": "a heron"}
    local = await survivor.store.begin_submission(Submission("luma", "image", "uni-1", body, 0.04), owner=BOB)
    await settle_round(survivor, holder_name())
    fresh = await survivor.store.get(local, owner=BOB)
    assert fresh is not None and fresh.state == "submitting"  # within its grace a live replica may be sending it
    settings_past_grace = dataclasses.replace(settings, api_timeout_seconds=-100)  # grace: 2 * timeout + 120 <= 0
    await anyio.sleep(1.1)  # stamps have one-second resolution
    await settle_round(Runtime(settings_past_grace, survivor.store, sandbox), holder_name())
    settled_row = await survivor.store.get(local, owner=BOB)
    assert settled_row is not None and settled_row.state == "unknown" and settled_row.owner == BOB
    assert settled_row.failure_reason is not None and "stopped while sending" in settled_row.failure_reason


async def test_a_restart_saves_every_owners_unfinished_jobs(
    stores: Stores, settings: Settings, sandbox: Sandbox
) -> None:
    """One server (SQLite and OAuth, no replicas) stopped while two users' jobs ran: its start-up recovery
    settles both, each into its owner's folder, not only the single local user's."""
    stopped, restarted = await replicas(stores, settings, sandbox, 2)
    alice_id = await submit(stopped, ALICE, "a kite over dunes")
    bob_id = await submit(stopped, BOB, "a lantern in rain")
    await anyio.sleep(0.4)
    await recover(restarted)
    assert Path((await settled(restarted.store, alice_id, ALICE))[0]).parent == output_folder(settings, ALICE)
    assert Path((await settled(restarted.store, bob_id, BOB))[0]).parent == output_folder(settings, BOB)


async def test_an_unknown_create_is_reconciled_by_a_replica_for_its_owner(
    stores: Stores, settings: Settings
) -> None:
    """A create whose answer was lost (its job does exist at the AI/ML API): a replica's round finds it by
    its request id in the usage logs and puts the real id on the owner's row."""
    from luma_mcp.providers.aimlapi.emulator import AimlEmulator

    aiml = AimlEmulator()
    [runtime] = await replicas(stores, settings, Sandbox(aimlapi=aiml), 1)
    provider = runtime.provider("aimlapi")
    body = {"model": "luma/ray-2", "prompt": "a paper boat on a canal", "duration": 5}
    request_id = provider.trace_id(body)
    local = await runtime.store.begin_submission(
        Submission("aimlapi", "video", "ray-2", body, 0.5, request_id=request_id), owner=BOB
    )
    await provider.create(body, request_id=request_id)  # it reached the API; its answer never came back
    await runtime.store.mark_unknown(local, "the connection dropped after sending", owner=BOB)
    aiml.advance(120)  # the job is done, and the usage logs (30 s behind) show it
    await settle_round(runtime, holder_name())
    [row] = await runtime.store.list(10, owner=BOB)
    [job] = aiml.store.jobs.values()
    assert row.id == f"aimlapi:{job.id}" and row.state != "unknown", row
    assert len(aiml.generation_posts()) == 1  # found, never re-sent
