"""The store as one caller sees it: every read and write defaults to the caller's own rows.

Tools reach the store through `Runtime.history`, an `OwnedStore` whose owner is `identity.current_user()`
at the moment of each call: in hosted mode the subject of the request's OAuth token, "" for the single
local user. So no tool can forget to pass an owner, and none can name another user's row by accident.

Work that is no caller's (recovery at start-up, the replicas' recovery loop) uses the raw store
(`Runtime.store`) and writes back with `owner=record.owner`; the same holds for anything run in the
server's background task group, which passes the owner it was given instead of reading the context.
"""

from __future__ import annotations

import builtins  # `list[...]` after this class's own `list` method would name the method
from collections.abc import Callable
from pathlib import Path

from .identity import current_user
from .store import Record, Reservation, Store, Submission


class OwnedStore:
    """A `Store` whose `owner` arguments default to the current caller (None: the caller; a string: that
    owner, for the rare caller that knows better). The lease and recovery methods, and `spent_today`,
    keep the raw store's meaning: they are about everyone."""

    def __init__(self, store: Store, owner: Callable[[], str] = current_user) -> None:
        self.raw = store
        self._owner = owner

    @property
    def owner(self) -> str:
        """Whose rows a call made now reads and writes."""
        return self._owner()

    def _of(self, owner: str | None) -> str:
        return self._owner() if owner is None else owner

    async def open(self) -> None:
        await self.raw.open()

    async def close(self) -> None:
        await self.raw.close()

    async def reserve(
        self,
        amount_usd: float,
        budget_usd: float | None,
        *,
        owner: str | None = None,
        user_budget_usd: float | None = None,
    ) -> Reservation:
        return await self.raw.reserve(amount_usd, budget_usd, owner=self._of(owner), user_budget_usd=user_budget_usd)

    async def release(self, reservation_id: str, *, owner: str | None = None) -> None:
        await self.raw.release(reservation_id, owner=self._of(owner))

    async def spent_today(self, owner: str | None = None) -> float:
        """As the raw store: None is everyone's spend (the server-wide budget's figure), not the caller's."""
        return await self.raw.spent_today(owner)

    async def begin_submission(self, submission: Submission, *, owner: str | None = None) -> str:
        return await self.raw.begin_submission(submission, owner=self._of(owner))

    async def confirm_submission(
        self, local_id: str, generation_id: str, state: str, created_at: str | None, *, owner: str | None = None
    ) -> None:
        await self.raw.confirm_submission(local_id, generation_id, state, created_at, owner=self._of(owner))

    async def forget_submission(self, local_id: str, *, owner: str | None = None) -> None:
        await self.raw.forget_submission(local_id, owner=self._of(owner))

    async def mark_unknown(self, local_id: str, reason: str, *, owner: str | None = None) -> None:
        await self.raw.mark_unknown(local_id, reason, owner=self._of(owner))

    async def update_state(
        self,
        generation_id: str,
        state: str,
        failure_code: str | None,
        failure_reason: str | None,
        *,
        owner: str | None = None,
    ) -> None:
        await self.raw.update_state(generation_id, state, failure_code, failure_reason, owner=self._of(owner))

    async def set_path(self, generation_id: str, index: int, path: Path, *, owner: str | None = None) -> None:
        await self.raw.set_path(generation_id, index, path, owner=self._of(owner))

    async def get(self, generation_id: str, *, owner: str | None = None) -> Record | None:
        return await self.raw.get(generation_id, owner=self._of(owner))

    async def find_prefixed(self, prefix: str, *, owner: str | None = None) -> Record | None:
        return await self.raw.find_prefixed(prefix, owner=self._of(owner))

    async def list(
        self,
        limit: int,
        gen_type: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        *,
        owner: str | None = None,
    ) -> builtins.list[Record]:
        return await self.raw.list(limit, gen_type, state, provider, owner=self._of(owner))

    async def import_generation(
        self,
        generation_id: str,
        provider: str,
        gen_type: str,
        model: str,
        created_at: str | None,
        *,
        owner: str | None = None,
    ) -> None:
        await self.raw.import_generation(generation_id, provider, gen_type, model, created_at, owner=self._of(owner))

    async def claim(self, key: str, holder: str, lease_seconds: float) -> bool:
        return await self.raw.claim(key, holder, lease_seconds)

    async def release_claim(self, key: str, holder: str) -> None:
        await self.raw.release_claim(key, holder)

    async def claim_unsettled(
        self, holder: str, limit: int, lease_seconds: float, owner: str | None = None
    ) -> builtins.list[Record]:
        return await self.raw.claim_unsettled(holder, limit, lease_seconds, owner)
