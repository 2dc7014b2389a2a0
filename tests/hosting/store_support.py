"""Helpers for the store tests: open several instances of one store, write rows in few words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from luma_mcp.store import Store, Submission


@dataclass
class Stores:
    make: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    async def open(self) -> Store:
        store = self.make()
        await store.open()
        self.opened.append(store)
        return store

    async def aclose(self) -> None:
        for store in self.opened:
            await store.close()


async def submitted(
    store: Store,
    generation_id: str,
    *,
    owner: str = "",
    state: str = "queued",
    created_at: str | None = None,
    provider: str = "luma",
    gen_type: str = "video",
    cost: float | None = 0.3,
) -> None:
    """A generation as the tools record it: a row before the create, its id once the API answered."""
    submission = Submission(provider, gen_type, "ray-3.2", {"prompt": generation_id}, cost)
    local = await store.begin_submission(submission, owner=owner)
    await store.confirm_submission(local, generation_id, state, created_at, owner=owner)


def at(second: int) -> str:
    """A creation time, `second` seconds into a fixed day: the order of rows, made explicit."""
    return f"2026-01-02T03:{second // 60:02}:{second % 60:02}Z"
