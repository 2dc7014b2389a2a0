"""The local record of every submitted generation (SQLite under the per-user data dir).

The API has no list call, and ids are what a paid result hangs on, so a row is written *before* the
create request leaves (state `submitting`) and completed when the answer arrives. A server killed in
between, or a create whose outcome is unknown, still leaves a row that says so. All SQLite work runs
in worker threads: the event loop never waits on the disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

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
)

# States of our own, beside the API's four: the request is on its way, or its fate is unknown.
SUBMITTING = "submitting"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Record:
    id: str
    type: str
    model: str
    prompt: str
    request: dict[str, Any]
    estimated_cost_usd: float | None
    state: str
    failure_code: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str
    paths: dict[int, str] = field(default_factory=dict)
    provider: str = "luma"
    request_id: str | None = None


@dataclass(frozen=True)
class Submission:
    """A create about to be sent: `request` is the wire body with inline data elided."""

    provider: str
    type: str
    model: str
    request: dict[str, Any]
    estimated_cost_usd: float | None
    request_id: str | None = None
    prompt: str | None = None  # what the generation is of, when the body's `prompt` does not say it

    @property
    def label(self) -> str:
        return self.prompt if self.prompt is not None else str(self.request.get("prompt") or "")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def spend_day() -> str:
    """The budget's day: the current UTC date."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Reservation:
    """The outcome of `History.reserve`: `id` is set when the amount was booked (None when it would pass
    the budget); `spent_before` is the day's spend it was judged against."""

    id: str | None
    spent_before: float


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
        db.execute("PRAGMA journal_mode=WAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            db.executescript(script)
            db.execute(f"PRAGMA user_version = {number}")

    async def reserve(self, amount_usd: float, budget_usd: float | None) -> Reservation:
        """Book `amount_usd` against today's spend, unless that would pass `budget_usd` (None: no budget,
        always booked). Check and booking are one write transaction, so neither concurrent calls nor two
        processes on the data dir can both fit under the budget."""
        day = spend_day()

        def work(db: sqlite3.Connection) -> Reservation:
            db.execute("BEGIN IMMEDIATE")  # the write lock first: the sum read below cannot go stale
            spent = _sum_of_day(db, day)
            if budget_usd is not None and round(spent + amount_usd, 6) > round(budget_usd, 6):
                return Reservation(None, spent)
            entry = f"reservation:{uuid.uuid4()}"
            db.execute(
                "INSERT INTO spend (id, day, amount_usd, created_at) VALUES (?, ?, ?, ?)",
                (entry, day, amount_usd, _now()),
            )
            return Reservation(entry, spent)

        return await self._run(work)

    async def release(self, reservation_id: str) -> None:
        """Nothing was bought: the booked amount no longer counts."""
        await self._run(lambda db: db.execute("DELETE FROM spend WHERE id = ?", (reservation_id,)))

    async def spent_today(self) -> float:
        """Today's (UTC) estimated spend, across every process on this data dir."""
        return await self._run(lambda db: _sum_of_day(db, spend_day()))

    async def begin_submission(self, submission: Submission) -> str:
        """Record a create about to be sent; returns the provisional id to settle it with."""
        local_id = f"pending-{uuid.uuid4()}"
        row = (
            local_id,
            submission.provider,
            submission.type,
            submission.model,
            submission.label,
            json.dumps(submission.request),
            submission.estimated_cost_usd,
            SUBMITTING,
            submission.request_id,
            _now(),
            _now(),
        )
        await self._run(
            lambda db: db.execute(
                "INSERT INTO generations (id, provider, type, model, prompt, request_json, estimated_cost_usd, state,"
                " request_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )
        return local_id

    async def confirm_submission(self, local_id: str, generation_id: str, state: str, created_at: str | None) -> None:
        """`created_at`: the API's own time, when it reports one; else the submit time stays."""
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET id = ?, state = ?, created_at = COALESCE(?, created_at), updated_at = ?"
                " WHERE id = ?",
                (generation_id, state, created_at, _now(), local_id),
            )
        )

    async def forget_submission(self, local_id: str) -> None:
        """The API refused the create outright: nothing was bought, nothing to keep."""
        await self._run(lambda db: db.execute("DELETE FROM generations WHERE id = ?", (local_id,)))

    async def mark_unknown(self, local_id: str, reason: str) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET state = ?, failure_reason = ?, updated_at = ? WHERE id = ?",
                (UNKNOWN, reason, _now(), local_id),
            )
        )

    async def update_state(
        self, generation_id: str, state: str, failure_code: str | None, failure_reason: str | None
    ) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET state = ?, failure_code = ?, failure_reason = ?, updated_at = ? WHERE id = ?",
                (state, failure_code, failure_reason, _now(), generation_id),
            )
        )

    async def set_path(self, generation_id: str, index: int, path: Path) -> None:
        def work(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT paths_json FROM generations WHERE id = ?", (generation_id,)).fetchone()
            if row is None:
                return
            paths = json.loads(row["paths_json"])
            paths[str(index)] = str(path)
            db.execute(
                "UPDATE generations SET paths_json = ?, updated_at = ? WHERE id = ?",
                (json.dumps(paths), _now(), generation_id),
            )

        await self._run(work)

    async def get(self, generation_id: str) -> Record | None:
        row = await self._run(
            lambda db: db.execute("SELECT * FROM generations WHERE id = ?", (generation_id,)).fetchone()
        )
        return None if row is None else _record(row)

    async def find_prefixed(self, prefix: str) -> Record | None:
        """The newest record whose id starts with `prefix` (a bare AI/ML UUID -> its full id)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        row = await self._run(
            lambda db: db.execute(
                "SELECT * FROM generations WHERE id LIKE ? ESCAPE '\\' ORDER BY created_at DESC LIMIT 1", (pattern,)
            ).fetchone()
        )
        return None if row is None else _record(row)

    async def list(
        self, limit: int, gen_type: str | None = None, state: str | None = None, provider: str | None = None
    ) -> list[Record]:
        clauses, params = _filters(gen_type, state, provider)
        query = f"SELECT * FROM generations {clauses} ORDER BY created_at DESC, rowid DESC LIMIT ?"
        rows = await self._run(lambda db: db.execute(query, (*params, limit)).fetchall())
        return [_record(row) for row in rows]

    async def import_generation(
        self, generation_id: str, provider: str, gen_type: str, model: str, created_at: str | None
    ) -> None:
        """Remember a generation first met through get_generation (made elsewhere with the same key)."""
        await self._run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO generations (id, provider, type, model, prompt, request_json, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, '', '{}', 'queued', ?, ?)",
                (generation_id, provider, gen_type, model, created_at or _now(), _now()),
            )
        )


def _sum_of_day(db: sqlite3.Connection, day: str) -> float:
    return float(db.execute("SELECT COALESCE(SUM(amount_usd), 0) FROM spend WHERE day = ?", (day,)).fetchone()[0])


def _filters(gen_type: str | None, state: str | None, provider: str | None) -> tuple[str, tuple[str, ...]]:
    pairs = (("type", gen_type), ("state", state), ("provider", provider))
    conditions = [(column, value) for column, value in pairs if value]
    if not conditions:
        return "", ()
    return "WHERE " + " AND ".join(f"{column} = ?" for column, _ in conditions), tuple(v for _, v in conditions)


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
    )
