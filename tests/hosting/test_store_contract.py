"""What every store promises (store.Store), asserted on each implementation: SQLite in the default suite,
PostgreSQL under `-m hosting`. Several instances over one backing stand for several processes or replicas."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest

from luma_mcp.store import SUBMITTING, UNKNOWN, Record, Reservation, Store, Submission

from .store_support import Stores, at, submitted

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def test_a_generation_is_recorded_from_submission_to_saved_files(store: Store) -> None:
    body = {"prompt": "a hare", "duration": "5s", "keyframes": {"frame0": {"type": "image"}}}
    local = await store.begin_submission(Submission("aimlapi", "video", "ray-2", body, 0.5, "lmcp-1"))
    pending = await store.get(local)
    assert pending is not None and TIME.fullmatch(pending.created_at) and TIME.fullmatch(pending.updated_at)
    assert pending == Record(
        id=local,
        type="video",
        model="ray-2",
        prompt="a hare",
        request=body,
        estimated_cost_usd=0.5,
        state=SUBMITTING,
        failure_code=None,
        failure_reason=None,
        created_at=pending.created_at,
        updated_at=pending.updated_at,
        provider="aimlapi",
        request_id="lmcp-1",
    )
    generation = "aimlapi:x_1%:luma/ray-2"
    await store.confirm_submission(local, generation, "queued", "2026-01-02T03:04:05Z")
    assert await store.get(local) is None
    await store.update_state(generation, "completed", None, None)
    for index, path in ((0, "/out/a.mp4"), (1, "/out/b.mp4"), (0, "/out/a2.mp4")):
        await store.set_path(generation, index, Path(path))
    await store.set_path("aimlapi:nobody", 0, Path("/out/c.mp4"))  # no such row: nothing to do
    record = await store.get(generation)
    assert record is not None
    assert (record.id, record.state, record.created_at, record.paths) == (
        generation,
        "completed",
        "2026-01-02T03:04:05Z",
        {0: "/out/a2.mp4", 1: "/out/b.mp4"},
    )


async def test_a_prefix_finds_the_newest_and_means_only_itself(store: Store) -> None:
    await submitted(store, "aimlapi:x_1%:older", created_at=at(1))
    await submitted(store, "aimlapi:x_1%:newer", created_at=at(2))
    await submitted(store, "aimlapi:xa1b:other", created_at=at(3))
    found = await store.find_prefixed("aimlapi:x_1%:")
    assert found is not None and found.id == "aimlapi:x_1%:newer"
    capitals = await store.find_prefixed("AIMLAPI:XA1B:")  # as SQLite's LIKE: an id typed in capitals
    assert capitals is not None and capitals.id == "aimlapi:xa1b:other"
    assert await store.find_prefixed("aimlapi:x_") is not None
    assert await store.find_prefixed("aimlapi:x%") is None  # `%` and `_` are themselves, not wildcards
    assert await store.find_prefixed("aimlapi:xa_") is None


async def test_refused_and_lost_creates(store: Store) -> None:
    refused = await store.begin_submission(Submission("luma", "image", "uni-1", {"prompt": "p"}, None))
    await store.forget_submission(refused)
    assert await store.get(refused) is None
    lost = await store.begin_submission(Submission("luma", "video", "ray-3.2", {}, 0.3, prompt="a fox"))
    await store.mark_unknown(lost, "the create timed out")
    record = await store.get(lost)
    assert record is not None and (record.state, record.failure_reason, record.prompt) == (
        UNKNOWN,
        "the create timed out",
        "a fox",
    )
    await submitted(store, "luma-failed")
    await store.update_state("luma-failed", "failed", "moderation", "refused")
    failed = await store.get("luma-failed")
    assert failed is not None and (failed.failure_code, failed.failure_reason) == ("moderation", "refused")


async def test_a_list_is_newest_first_and_filtered(store: Store) -> None:
    await submitted(store, "luma-1", created_at=at(1))
    await submitted(store, "luma-2", created_at=at(2), gen_type="image", state="completed")
    await submitted(store, "hedra:3", created_at=at(3), provider="hedra", gen_type="avatar")
    await submitted(store, "luma-4", created_at=at(3))  # same second: the later row first
    assert [r.id for r in await store.list(10)] == ["luma-4", "hedra:3", "luma-2", "luma-1"]
    assert [r.id for r in await store.list(2)] == ["luma-4", "hedra:3"]
    assert [r.id for r in await store.list(10, "image")] == ["luma-2"]
    assert [r.id for r in await store.list(10, state="queued", provider="luma")] == ["luma-4", "luma-1"]
    assert [r.id for r in await store.list(10, provider="hedra")] == ["hedra:3"]


async def test_an_imported_generation_is_remembered_once(store: Store) -> None:
    await store.import_generation("luma-elsewhere", "luma", "video", "ray-3.2", "2026-01-02T00:00:00Z")
    await store.update_state("luma-elsewhere", "processing", None, None)
    await store.import_generation("luma-elsewhere", "luma", "image", "uni-1", None)  # already known: kept as is
    await store.import_generation("luma-undated", "luma", "image", "uni-1", None)
    record = await store.get("luma-elsewhere")
    assert record is not None
    assert (record.type, record.state, record.prompt, record.request, record.created_at) == (
        "video",
        "processing",
        "",
        {},
        "2026-01-02T00:00:00Z",
    )
    undated = await store.get("luma-undated")
    assert undated is not None and TIME.fullmatch(undated.created_at) and undated.estimated_cost_usd is None


async def test_an_owner_sees_and_changes_only_its_own_rows(store: Store) -> None:
    await submitted(store, "luma-alice", owner="alice", created_at=at(1))
    await submitted(store, "luma-bob", owner="bob", created_at=at(2))
    await submitted(store, "luma-local", created_at=at(3))
    alice = await store.get("luma-alice", owner="alice")
    assert alice is not None and alice.owner == "alice"
    assert await store.get("luma-alice", owner="bob") is None and await store.get("luma-alice") is None
    assert [r.id for r in await store.list(10, owner="alice")] == ["luma-alice"]
    assert [r.id for r in await store.list(10)] == ["luma-local"]  # "": the single local user, no one else
    assert await store.find_prefixed("luma-a", owner="bob") is None
    assert await store.find_prefixed("luma-", owner="bob") == await store.get("luma-bob", owner="bob")
    # Bob's writes on Alice's row change nothing.
    await store.update_state("luma-alice", "failed", "x", "y", owner="bob")
    await store.set_path("luma-alice", 0, Path("/bob/steals.mp4"), owner="bob")
    await store.mark_unknown("luma-alice", "lost", owner="bob")
    await store.confirm_submission("luma-alice", "luma-renamed", "failed", None, owner="bob")
    await store.forget_submission("luma-alice", owner="bob")
    await store.import_generation("luma-alice", "luma", "image", "uni-1", None, owner="bob")
    assert await store.get("luma-alice", owner="alice") == alice
    assert await store.get("luma-alice", owner="bob") is None
    assert [r.owner for r in await store.claim_unsettled("h", 10, 60, owner="bob")] == ["bob"]


async def test_recovery_alone_lists_every_owners_rows(store: Store) -> None:
    await submitted(store, "luma-alice", owner="alice", created_at=at(1))
    await submitted(store, "luma-bob", owner="bob", created_at=at(2))
    await submitted(store, "luma-local", created_at=at(3))
    everyone = await store.list(10, owner=None)
    assert [(r.id, r.owner) for r in everyone] == [("luma-local", ""), ("luma-bob", "bob"), ("luma-alice", "alice")]
    assert [r.id for r in await store.list(10, provider="luma", owner=None)] == [r.id for r in everyone]
    assert await store.list(10, state="failed", owner=None) == []


async def test_the_day_budget_counts_every_owner_and_a_user_budget_one(store: Store) -> None:
    first = await store.reserve(0.4, 1.0, owner="alice", user_budget_usd=0.5)
    assert first.id is not None and (first.spent_before, first.user_spent_before) == (0.0, 0.0)
    over_alices = await store.reserve(0.2, 1.0, owner="alice", user_budget_usd=0.5)
    assert over_alices == Reservation(None, pytest.approx(0.4), pytest.approx(0.4))  # type: ignore[arg-type]
    bobs = await store.reserve(0.5, 1.0, owner="bob", user_budget_usd=0.5)  # exactly his budget: booked
    assert bobs.id is not None and bobs.user_spent_before == 0.0
    over_the_days = await store.reserve(0.2, 1.0, owner="carol", user_budget_usd=5.0)
    assert over_the_days.id is None and over_the_days.spent_before == pytest.approx(0.9)
    assert over_the_days.user_spent_before == 0.0
    assert (await store.reserve(0.1, 1.0, owner="carol")).id is not None  # 0.4 + 0.5 + 0.1: exactly the budget
    assert await store.spent_today() == pytest.approx(1.0)
    assert await store.spent_today("alice") == pytest.approx(0.4) and await store.spent_today("") == 0.0
    await store.release(first.id, owner="bob")  # not Bob's to give back
    assert await store.spent_today("alice") == pytest.approx(0.4)
    await store.release(first.id, owner="alice")
    assert await store.spent_today("alice") == 0.0 and await store.spent_today() == pytest.approx(0.6)
    unlimited = await store.reserve(50.0, None)  # no budget: always booked, for the local user
    assert unlimited.id is not None and await store.spent_today("") == 50.0


async def test_reservations_racing_over_two_instances_never_pass_either_budget(stores: Stores) -> None:
    one, two = await stores.open(), await stores.open()
    owners = ("alice", "bob", "carol")
    booked: dict[str, list[str]] = {owner: [] for owner in owners}

    async def book(store: Store, owner: str) -> None:
        reservation = await store.reserve(0.3, 3.0, owner=owner, user_budget_usd=1.2)
        if reservation.id is not None:
            booked[owner].append(reservation.id)

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(book, (one, two)[n % 2], owners[n % 3])
    assert sum(map(len, booked.values())) == 10  # $3.00 / $0.30; each owner could have had 4
    assert all(len(ids) <= 4 for ids in booked.values()), booked
    assert await one.spent_today() == pytest.approx(3.0) and await two.spent_today() == pytest.approx(3.0)


async def test_a_lease_is_held_renewed_released_and_taken_once_over(stores: Stores) -> None:
    one, two = await stores.open(), await stores.open()
    assert await one.claim("recovery", "replica-1", 60)
    assert not await two.claim("recovery", "replica-2", 60)
    assert await one.claim("recovery", "replica-1", 60)  # renewed by its holder
    await two.release_claim("recovery", "replica-2")  # not its lease: nothing happens
    assert not await two.claim("recovery", "replica-2", 60)
    assert await two.claim("cleanup", "replica-2", 60)  # another name, another lease
    await one.release_claim("recovery", "replica-1")
    assert await two.claim("recovery", "replica-2", -1)  # free: taken (with a lease already over)
    assert await one.claim("recovery", "replica-1", 60)  # over: anyone may take it
    assert not await two.claim("recovery", "replica-2", 60)


async def test_unsettled_rows_are_leased_newest_first_to_one_holder_at_a_time(store: Store) -> None:
    await submitted(store, "luma-queued", created_at=at(1))
    await submitted(store, "luma-processing", state="processing", created_at=at(2))
    await submitted(store, "luma-unsaved", state="completed", created_at=at(3))
    await submitted(store, "luma-saved", state="completed", created_at=at(4))
    await store.set_path("luma-saved", 0, Path("/out/saved.mp4"))
    await submitted(store, "luma-failed", state="failed", created_at=at(5))
    lost = await store.begin_submission(Submission("luma", "video", "ray-3.2", {}, 0.3))
    await store.mark_unknown(lost, "timed out")
    await store.begin_submission(Submission("luma", "video", "ray-3.2", {}, 0.3))  # still `submitting`
    await submitted(store, "luma-bobs", owner="bob", created_at=at(8))
    await submitted(store, "luma-newest", created_at=at(9))

    first = await store.claim_unsettled("h1", 2, 60)
    assert [(r.id, r.owner) for r in first] == [("luma-newest", ""), ("luma-bobs", "bob")]
    rest = ["luma-unsaved", "luma-processing", "luma-queued"]
    assert [r.id for r in await store.claim_unsettled("h2", 10, 60)] == rest
    assert await store.claim_unsettled("h3", 10, 60) == []
    assert [r.id for r in await store.claim_unsettled("h1", 10, 60)] == ["luma-newest", "luma-bobs"]  # renewed
    assert [r.id for r in await store.claim_unsettled("h2", 10, -1)] == rest  # renewed with a lease already over
    assert [r.id for r in await store.claim_unsettled("h3", 10, 60, owner="")] == rest
    assert await store.claim_unsettled("h4", 10, 60, owner="bob") == []  # h1 holds it
    assert [r.id for r in await store.claim_unsettled("h1", 10, 60, owner="bob")] == ["luma-bobs"]


async def test_holders_racing_over_two_instances_get_disjoint_rows(stores: Stores) -> None:
    replicas = [await stores.open(), await stores.open()]
    everything = {f"luma-{n:02}" for n in range(40)}
    for n, generation_id in enumerate(sorted(everything)):
        await submitted(replicas[n % 2], generation_id, owner=("alice", "bob")[n % 2], created_at=at(n))
    taken: list[str] = []

    async def take(holder: str, store: Store) -> None:
        taken.extend(record.id for record in await store.claim_unsettled(holder, 7, 60))

    async with anyio.create_task_group() as group:
        for n in range(8):
            group.start_soon(take, f"holder-{n}", replicas[n % 2])
    assert len(taken) == len(set(taken)), sorted(taken)
    late = [record.id for record in await replicas[0].claim_unsettled("late", 100, 60)]
    assert sorted(taken + late) == sorted(everything)  # nothing handed out twice, nothing lost


async def test_opening_again_keeps_everything(stores: Stores) -> None:
    first = await stores.open()
    await submitted(first, "luma-kept", owner="alice")
    await first.reserve(0.3, None, owner="alice")
    assert await first.claim("recovery", "replica-1", 60)
    await first.close()
    stores.opened.remove(first)
    again = await stores.open()
    assert await again.get("luma-kept", owner="alice") is not None
    assert await again.spent_today("alice") == pytest.approx(0.3)
    assert not await again.claim("recovery", "replica-2", 60)


async def test_instances_opening_together_all_start(stores: Stores) -> None:
    """Replicas (or processes) starting at once on an empty store: each migration is applied once."""
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(stores.open)
    await submitted(stores.opened[0], "luma-1")
    assert [[r.id for r in await store.list(10)] for store in stores.opened] == [["luma-1"]] * 4
