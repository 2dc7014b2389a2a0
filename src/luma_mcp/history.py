"""The local record of every submitted generation (SQLite under the per-user data dir): the `Store` of
a single user, and the default one (store.py says what any store promises).

The API has no list call, and ids are what a paid result hangs on, so a row is written *before* the
create request leaves (state `submitting`) and completed when the answer arrives. A server killed in
between, or a create whose outcome is unknown, still leaves a row that says so. All SQLite work runs
in worker threads: the event loop never waits on the disk.
"""

from __future__ import annotations

import builtins  # `list[...]` after a store's own `list` method would name the method
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import anyio.to_thread

from .store import (
    SUBMITTING,
    UNKNOWN,
    Record,
    Reservation,
    Submission,
    list_filter,
    now_text,
    over_budget,
    spend_day,
)

# Re-exported: most modules take these from here, as they did before the store had two implementations.
__all__ = ["SUBMITTING", "UNKNOWN", "History", "Record", "Reservation", "Submission", "spend_day"]

T = TypeVar("T")

# Ordered migrations: index + 1 is the schema version stored in PRAGMA user_version.
_MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE generations (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request_json TEXT NOT NULL,
        estimated_cost_usd REAL,
        state TEXT NOT NULL,
        failure_code TEXT,
        failure_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        paths_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX generations_by_time ON generations (created_at DESC);
    """,
    # Several providers: rows written before this migration are Luma's. `request_id` is the trace id a
    # create carried (AI/ML API's X-Client-Request-Id), to reconcile an unknown outcome with the provider.
    """
    ALTER TABLE generations ADD COLUMN provider TEXT NOT NULL DEFAULT 'luma';
    ALTER TABLE generations ADD COLUMN request_id TEXT;
    CREATE INDEX generations_by_provider ON generations (provider, created_at DESC);
    """,
    # The budget's ledger: what each request was estimated to cost, by UTC day, kept across restarts and
    # shared by every process on the data dir. An entry is written (reserved) before the user is asked or
    # anything is sent, and taken back only when nothing was bought. The spend of the generations already
    # recorded is carried over, so the day of the upgrade is not counted from zero.
    """
    CREATE TABLE spend (
        id TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        amount_usd REAL NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX spend_by_day ON spend (day);
    INSERT INTO spend (id, day, amount_usd, created_at)
        SELECT 'generation:' || id, substr(created_at, 1, 10), estimated_cost_usd, created_at
        FROM generations WHERE estimated_cost_usd IS NOT NULL;
    """,
    # Owners, so that one store can hold several users apart (rows written before are the local user's), and
    # recovery leases: `claimed_*` on a generation, `claims` for any other named work.
    """
    ALTER TABLE generations ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    ALTER TABLE generations ADD COLUMN claimed_by TEXT;
    ALTER TABLE generations ADD COLUMN claimed_until REAL;
    CREATE INDEX generations_by_owner ON generations (owner, created_at DESC);
    ALTER TABLE spend ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    CREATE INDEX spend_by_owner ON spend (day, owner);
    CREATE TABLE claims (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL);
    """,
)

_UNSETTLED = (
    "(state IN ('queued', 'processing') OR (state = 'completed' AND paths_json = '{}')) AND id NOT LIKE 'pending-%'"
)


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        await anyio.to_thread.run_sync(lambda: self.path.parent.mkdir(parents=True, exist_ok=True))
        await self._run(self._migrate)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self._with_connection, work)

    def _with_connection(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # One connection for the server's life: opening one costs ~1.5 ms (file, WAL index, schema),
        # more than the statements themselves. Worker threads take turns on it under the lock.
        with self._lock:
            if self._db is None:
                self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a killed process
            with self._db:
                return work(self._db)

    async def close(self) -> None:
        def close_now() -> None:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

        await anyio.to_thread.run_sync(close_now)

    def _migrate(self, db: sqlite3.Connection) -> None:
        _use_wal(db)
        # The version is read under the write lock, and each script runs in that one transaction with its
        # version: two processes starting together cannot both apply a migration, nor leave half of one.
        db.execute("BEGIN IMMEDIATE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")

    async def reserve(
        self, amount_usd: float, budget_usd: float | None, *, owner: str = "", user_budget_usd: float | None = None
    ) -> Reservation:
        """Book `amount_usd` against today's spend, unless that would pass `budget_usd` (everyone's) or
        `user_budget_usd` (`owner`'s); None: no such limit. Check and booking are one write transaction, so
        neither concurrent calls nor two processes on the data dir can both fit under a budget."""
        day = spend_day()

        def work(db: sqlite3.Connection) -> Reservation:
            db.execute("BEGIN IMMEDIATE")  # the write lock first: the sums read below cannot go stale
            spent, mine = _sum_of_day(db, day), _sum_of_day(db, day, owner)
            if over_budget(spent, amount_usd, budget_usd) or over_budget(mine, amount_usd, user_budget_usd):
                return Reservation(None, spent, mine)
            entry = f"reservation:{uuid.uuid4()}"
            db.execute(
                "INSERT INTO spend (id, owner, day, amount_usd, created_at) VALUES (?, ?, ?, ?, ?)",
                (entry, owner, day, amount_usd, now_text()),
            )
            return Reservation(entry, spent, mine)

        return await self._run(work)

    async def release(self, reservation_id: str, *, owner: str = "") -> None:
        """Nothing was bought: the booked amount no longer counts."""
        await self._run(lambda db: db.execute("DELETE FROM spend WHERE id = ? AND owner = ?", (reservation_id, owner)))

    async def spent_today(self, owner: str | None = None) -> float:
        """Today's (UTC) estimated spend of `owner` (None: everyone's), across every process on this data dir."""
        return await self._run(lambda db: _sum_of_day(db, spend_day(), owner))

    async def begin_submission(self, submission: Submission, *, owner: str = "") -> str:
        """Record a create about to be sent; returns the provisional id to settle it with."""
        local_id = f"pending-{uuid.uuid4()}"
        row = (
            local_id,
            owner,
            submission.provider,
            submission.type,
            submission.model,
            submission.label,
            json.dumps(submission.request),
            submission.estimated_cost_usd,
            SUBMITTING,
            submission.request_id,
            now_text(),
            now_text(),
        )
        await self._run(
            lambda db: db.execute(
                "INSERT INTO generations (id, owner, provider, type, model, prompt, request_json, estimated_cost_usd,"
                " state, request_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )
        return local_id

    async def confirm_submission(
        self, local_id: str, generation_id: str, state: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        """`created_at`: the API's own time, when it reports one; else the submit time stays."""
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET id = ?, state = ?, created_at = COALESCE(?, created_at), updated_at = ?"
                " WHERE id = ? AND owner = ?",
                (generation_id, state, created_at, now_text(), local_id, owner),
            )
        )

    async def forget_submission(self, local_id: str, *, owner: str = "") -> None:
        """The API refused the create outright: nothing was bought, nothing to keep."""
        await self._run(lambda db: db.execute("DELETE FROM generations WHERE id = ? AND owner = ?", (local_id, owner)))

    async def mark_unknown(self, local_id: str, reason: str, *, owner: str = "") -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET state = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND owner = ?",
                (UNKNOWN, reason, now_text(), local_id, owner),
            )
        )

    async def update_state(
        self, generation_id: str, state: str, failure_code: str | None, failure_reason: str | None, *, owner: str = ""
    ) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET state = ?, failure_code = ?, failure_reason = ?, updated_at = ?"
                " WHERE id = ? AND owner = ?",
                (state, failure_code, failure_reason, now_text(), generation_id, owner),
            )
        )

    async def set_path(self, generation_id: str, index: int, path: Path, *, owner: str = "") -> None:
        def work(db: sqlite3.Connection) -> None:
            found = "FROM generations WHERE id = ? AND owner = ?"
            row = db.execute(f"SELECT paths_json {found}", (generation_id, owner)).fetchone()
            if row is None:
                return
            paths = json.loads(row["paths_json"])
            paths[str(index)] = str(path)
            db.execute(
                "UPDATE generations SET paths_json = ?, updated_at = ? WHERE id = ? AND owner = ?",
                (json.dumps(paths), now_text(), generation_id, owner),
            )

        await self._run(work)

    async def get(self, generation_id: str, *, owner: str = "") -> Record | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT * FROM generations WHERE id = ? AND owner = ?", (generation_id, owner)
            ).fetchone()
        )
        return None if row is None else _record(row)

    async def find_prefixed(self, prefix: str, *, owner: str = "") -> Record | None:
        """The newest record whose id starts with `prefix` (a bare AI/ML UUID -> its full id)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        row = await self._run(
            lambda db: db.execute(
                "SELECT * FROM generations WHERE id LIKE ? ESCAPE '\\' AND owner = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (pattern, owner),
            ).fetchone()
        )
        return None if row is None else _record(row)

    async def list(
        self,
        limit: int,
        gen_type: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        *,
        owner: str | None = "",
    ) -> list[Record]:
        clauses, params = list_filter("?", owner, gen_type, state, provider)
        query = f"SELECT * FROM generations {clauses} ORDER BY created_at DESC, rowid DESC LIMIT ?"
        rows = await self._run(lambda db: db.execute(query, (*params, limit)).fetchall())
        return [_record(row) for row in rows]

    async def import_generation(
        self, generation_id: str, provider: str, gen_type: str, model: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        """Remember a generation first met through get_generation (made elsewhere with the same key)."""
        await self._run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO generations (id, owner, provider, type, model, prompt, request_json, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', '{}', 'queued', ?, ?)",
                (generation_id, owner, provider, gen_type, model, created_at or now_text(), now_text()),
            )
        )

    async def claim(self, key: str, holder: str, lease_seconds: float) -> bool:
        """Take or renew the lease named `key`: true when `holder` holds it now."""

        def work(db: sqlite3.Connection) -> bool:
            now = time.time()
            taken = db.execute(
                "INSERT INTO claims (key, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                " SET holder = excluded.holder, expires_at = excluded.expires_at"
                " WHERE claims.holder = excluded.holder OR claims.expires_at <= ?",
                (key, holder, now + lease_seconds, now),
            )
            return taken.rowcount == 1

        return await self._run(work)

    async def release_claim(self, key: str, holder: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM claims WHERE key = ? AND holder = ?", (key, holder)))

    async def claim_unsettled(
        self, holder: str, limit: int, lease_seconds: float, owner: str | None = None
    ) -> builtins.list[Record]:
        """Generations still to settle that no other holder's live lease covers, leased to `holder`."""

        def work(db: sqlite3.Connection) -> list[Record]:
            db.execute("BEGIN IMMEDIATE")  # other processes wait: the rows picked here are still free when leased
            now = time.time()
            mine = "" if owner is None else " AND owner = ?"
            rows = db.execute(
                f"SELECT * FROM generations WHERE {_UNSETTLED}{mine}"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (*(() if owner is None else (owner,)), holder, now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE generations SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(holder, now + lease_seconds, row["id"]) for row in rows],
            )
            return [_record(row) for row in rows]

        return await self._run(work)


def _use_wal(db: sqlite3.Connection, within: float = 10.0) -> None:
    """WAL mode, which the file keeps once set. Switching needs the file to itself, and SQLite answers
    "locked" at once rather than waiting when another process is opening it too: try again until `within`."""
    deadline = time.monotonic() + within
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one by one (executescript would commit on its own)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""


def _sum_of_day(db: sqlite3.Connection, day: str, owner: str | None = None) -> float:
    mine, params = ("", (day,)) if owner is None else (" AND owner = ?", (day, owner))
    query = f"SELECT COALESCE(SUM(amount_usd), 0) FROM spend WHERE day = ?{mine}"
    return float(db.execute(query, params).fetchone()[0])


def _record(row: sqlite3.Row) -> Record:
    return Record(
        id=row["id"],
        type=row["type"],
        model=row["model"],
        prompt=row["prompt"],
        request=json.loads(row["request_json"]),
        estimated_cost_usd=row["estimated_cost_usd"],
        state=row["state"],
        failure_code=row["failure_code"],
        failure_reason=row["failure_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        paths={int(k): v for k, v in json.loads(row["paths_json"]).items()},
        provider=row["provider"],
        request_id=row["request_id"],
        owner=row["owner"],
    )
