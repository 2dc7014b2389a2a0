"""The store in PostgreSQL, for a hosted server: N replicas share one history, one budget, one recovery.

Imported only when `LUMA_MCP_DATABASE_URL` is set (store.open_store): psycopg never weighs on a single
user's start. The schema means what history.py's SQLite schema means, row for row; what differs is how
replicas are kept from stepping on each other:

- migrations are numbered in `schema_version` and applied in one transaction under an advisory lock, so
  replicas starting together apply each exactly once;
- `reserve` sums and books in one transaction under an advisory lock keyed on the day, so no two
  replicas both fit under a budget;
- `claim_unsettled` locks the rows it picks (`FOR UPDATE SKIP LOCKED`) and leases them in the same
  transaction, so racing replicas get disjoint rows.

Timestamps stay UTC text in `TIME_FORMAT` (ordering and age arithmetic work as on SQLite); only the
leases use the database's own clock, the one every replica shares.
"""

from __future__ import annotations

import builtins  # `list[...]` after a store's own `list` method would name the method
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from .store import (
    DATABASE_URL_VARIABLE,
    SUBMITTING,
    UNKNOWN,
    Record,
    Reservation,
    StoreUnavailable,
    Submission,
    list_filter,
    now_text,
    over_budget,
    redacted_url,
    scrubbed,
    spend_day,
)

CONNECT_TIMEOUT_SECONDS = 10
MAX_CONNECTIONS = 10
SHOWN_URL_CHARS = 80
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Ordered migrations: index + 1 is the version recorded in `schema_version`. Never edit one: append.
_MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE generations (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT 'luma',
        type TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request JSONB NOT NULL,
        estimated_cost_usd DOUBLE PRECISION,
        state TEXT NOT NULL,
        failure_code TEXT,
        failure_reason TEXT,
        request_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        paths JSONB NOT NULL DEFAULT '{}',
        claimed_by TEXT,
        claimed_until TIMESTAMPTZ
    );
    CREATE INDEX generations_by_owner ON generations (owner, created_at DESC, seq DESC);
    CREATE INDEX generations_unsettled ON generations (created_at DESC, seq DESC)
        WHERE state IN ('queued', 'processing', 'completed');
    CREATE TABLE spend (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL DEFAULT '',
        day TEXT NOT NULL,
        amount_usd DOUBLE PRECISION NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX spend_by_day ON spend (day, owner);
    CREATE TABLE claims (
        key TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    """,
)

_UNSETTLED = (
    "(state IN ('queued', 'processing') OR (state = 'completed' AND paths = '{}'::jsonb)) AND left(id, 8) <> 'pending-'"
)


class PostgresStore:
    """`schema`: the PostgreSQL schema to keep the tables in (created if missing); None: the connection's
    own search_path (the URL's `options` may set it)."""

    def __init__(self, url: str, *, schema: str | None = None, max_connections: int = MAX_CONNECTIONS) -> None:
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"{schema!r} is not a plain schema name (lowercase letters, digits, _)")
        self.url = url
        self.schema = schema
        self._max_connections = max_connections
        self._pool: AsyncConnectionPool | None = None

    def _connect_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "autocommit": True,  # multi-statement work opens its own transaction, everything else is one statement
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": "luma-mcp",
        }
        if self.schema is not None:
            options["options"] = f"-c search_path={self.schema}"
        return options

    async def open(self) -> None:
        # The migration's own connection comes first: it fails at once with libpq's reason, where a pool
        # would only time out.
        try:
            await self._migrate()
        except psycopg.Error as exc:
            raise StoreUnavailable(self._unusable(exc)) from None
        pool = AsyncConnectionPool(
            self.url,
            kwargs=self._connect_options(),
            min_size=1,
            max_size=self._max_connections,
            open=False,
            check=AsyncConnectionPool.check_connection,  # a database restarted under us: fresh connections
            name="luma-mcp",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except psycopg.Error as exc:
            await pool.close()
            raise StoreUnavailable(self._unusable(exc)) from None
        self._pool = pool

    def _unusable(self, exc: psycopg.Error) -> str:
        shown = redacted_url(self.url)
        shown = repr(shown) if len(shown) <= SHOWN_URL_CHARS else repr(shown[:SHOWN_URL_CHARS]) + "..."
        reason = scrubbed(str(exc), self.url) or type(exc).__name__
        return (
            f"{DATABASE_URL_VARIABLE}={shown} cannot be used ({reason}); set it to a PostgreSQL server this "
            "host can reach (postgresql://user:password@host:5432/database), or unset it to keep the history "
            "in SQLite"
        )

    async def _migrate(self) -> None:
        connection = await psycopg.AsyncConnection.connect(self.url, **self._connect_options())
        async with connection, connection.transaction():
            # Transaction-scoped: released by the commit, or by the rollback of a migration that failed.
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('luma-mcp:migrate'))")
            if self.schema is not None:
                await connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            cursor = await connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = await cursor.fetchone()
            version = int(row[0]) if row is not None else 0
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                await connection.execute(script)  # no parameters: so the script may hold several statements
                await connection.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)", (number, now_text())
                )

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _connections(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise RuntimeError("PostgresStore used before open() or after close()")
        return self._pool

    async def _rows(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        async with self._connections().connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(query, params)
            return await cursor.fetchall()

    async def _write(self, query: str, params: Sequence[Any]) -> int:
        async with self._connections().connection() as connection:
            cursor = await connection.execute(query, params)
            return cursor.rowcount

    async def reserve(
        self, amount_usd: float, budget_usd: float | None, *, owner: str = "", user_budget_usd: float | None = None
    ) -> Reservation:
        day = spend_day()
        async with self._connections().connection() as connection, connection.transaction():
            # Every replica booking on this day queues here: the sums below cannot go stale before the insert.
            lock = f"luma-mcp:spend:{self.schema or ''}:{day}"
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
            cursor = await connection.execute(
                "SELECT COALESCE(SUM(amount_usd), 0), COALESCE(SUM(amount_usd) FILTER (WHERE owner = %s), 0)"
                " FROM spend WHERE day = %s",
                (owner, day),
            )
            row = await cursor.fetchone()
            spent, mine = (float(row[0]), float(row[1])) if row is not None else (0.0, 0.0)
            if over_budget(spent, amount_usd, budget_usd) or over_budget(mine, amount_usd, user_budget_usd):
                return Reservation(None, spent, mine)
            entry = f"reservation:{uuid.uuid4()}"
            await connection.execute(
                "INSERT INTO spend (id, owner, day, amount_usd, created_at) VALUES (%s, %s, %s, %s, %s)",
                (entry, owner, day, amount_usd, now_text()),
            )
            return Reservation(entry, spent, mine)

    async def release(self, reservation_id: str, *, owner: str = "") -> None:
        await self._write("DELETE FROM spend WHERE id = %s AND owner = %s", (reservation_id, owner))

    async def spent_today(self, owner: str | None = None) -> float:
        mine, params = ("", [spend_day()]) if owner is None else (" AND owner = %s", [spend_day(), owner])
        query = f"SELECT COALESCE(SUM(amount_usd), 0) AS spent FROM spend WHERE day = %s{mine}"
        [row] = await self._rows(query, params)
        return float(row["spent"])

    async def begin_submission(self, submission: Submission, *, owner: str = "") -> str:
        local_id = f"pending-{uuid.uuid4()}"
        await self._write(
            "INSERT INTO generations (id, owner, provider, type, model, prompt, request, estimated_cost_usd, state,"
            " request_id, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                local_id,
                owner,
                submission.provider,
                submission.type,
                submission.model,
                submission.label,
                Jsonb(submission.request),
                submission.estimated_cost_usd,
                SUBMITTING,
                submission.request_id,
                now_text(),
                now_text(),
            ),
        )
        return local_id

    async def confirm_submission(
        self, local_id: str, generation_id: str, state: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        await self._write(
            "UPDATE generations SET id = %s, state = %s, created_at = COALESCE(%s, created_at), updated_at = %s"
            " WHERE id = %s AND owner = %s",
            (generation_id, state, created_at, now_text(), local_id, owner),
        )

    async def forget_submission(self, local_id: str, *, owner: str = "") -> None:
        await self._write("DELETE FROM generations WHERE id = %s AND owner = %s", (local_id, owner))

    async def mark_unknown(self, local_id: str, reason: str, *, owner: str = "") -> None:
        await self._write(
            "UPDATE generations SET state = %s, failure_reason = %s, updated_at = %s WHERE id = %s AND owner = %s",
            (UNKNOWN, reason, now_text(), local_id, owner),
        )

    async def update_state(
        self, generation_id: str, state: str, failure_code: str | None, failure_reason: str | None, *, owner: str = ""
    ) -> None:
        await self._write(
            "UPDATE generations SET state = %s, failure_code = %s, failure_reason = %s, updated_at = %s"
            " WHERE id = %s AND owner = %s",
            (state, failure_code, failure_reason, now_text(), generation_id, owner),
        )

    async def set_path(self, generation_id: str, index: int, path: Path, *, owner: str = "") -> None:
        # One statement: two replicas saving two outputs of one generation both keep theirs.
        await self._write(
            "UPDATE generations SET paths = paths || jsonb_build_object(%s::text, %s::text), updated_at = %s"
            " WHERE id = %s AND owner = %s",
            (str(index), str(path), now_text(), generation_id, owner),
        )

    async def get(self, generation_id: str, *, owner: str = "") -> Record | None:
        rows = await self._rows("SELECT * FROM generations WHERE id = %s AND owner = %s", (generation_id, owner))
        return _record(rows[0]) if rows else None

    async def find_prefixed(self, prefix: str, *, owner: str = "") -> Record | None:
        # ILIKE, as SQLite's LIKE: an id typed in capitals still finds its generation.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._rows(
            "SELECT * FROM generations WHERE id ILIKE %s ESCAPE '\\' AND owner = %s"
            " ORDER BY created_at DESC, seq DESC LIMIT 1",
            (pattern, owner),
        )
        return _record(rows[0]) if rows else None

    async def list(
        self,
        limit: int,
        gen_type: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        *,
        owner: str | None = "",
    ) -> list[Record]:
        where, params = list_filter("%s", owner, gen_type, state, provider)
        rows = await self._rows(
            f"SELECT * FROM generations {where} ORDER BY created_at DESC, seq DESC LIMIT %s", [*params, limit]
        )
        return [_record(row) for row in rows]

    async def import_generation(
        self, generation_id: str, provider: str, gen_type: str, model: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        await self._write(
            "INSERT INTO generations (id, owner, provider, type, model, prompt, request, state, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, '', '{}', 'queued', %s, %s) ON CONFLICT (id) DO NOTHING",
            (generation_id, owner, provider, gen_type, model, created_at or now_text(), now_text()),
        )

    async def claim(self, key: str, holder: str, lease_seconds: float) -> bool:
        # One statement: the conflict arm locks the lease's row and judges its latest version.
        rows = await self._rows(
            "INSERT INTO claims (key, holder, expires_at) VALUES (%s, %s, now() + make_interval(secs => %s))"
            " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
            " WHERE claims.holder = excluded.holder OR claims.expires_at <= now() RETURNING holder",
            (key, holder, lease_seconds),
        )
        return bool(rows)

    async def release_claim(self, key: str, holder: str) -> None:
        await self._write("DELETE FROM claims WHERE key = %s AND holder = %s", (key, holder))

    async def claim_unsettled(
        self, holder: str, limit: int, lease_seconds: float, owner: str | None = None
    ) -> builtins.list[Record]:
        mine, params = ("", [holder, limit]) if owner is None else (" AND owner = %s", [owner, holder, limit])
        async with self._connections().connection() as connection, connection.transaction():
            # A row another replica is leasing right now is skipped; one it leased since this statement
            # began is re-checked on its new version (claimed_by) and dropped: the two get disjoint rows.
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(
                f"SELECT * FROM generations WHERE {_UNSETTLED}{mine}"
                " AND (claimed_by IS NULL OR claimed_by = %s OR claimed_until <= now())"
                " ORDER BY created_at DESC, seq DESC LIMIT %s FOR UPDATE SKIP LOCKED",
                params,
            )
            rows = await cursor.fetchall()
            if rows:
                await connection.execute(
                    "UPDATE generations SET claimed_by = %s, claimed_until = now() + make_interval(secs => %s)"
                    " WHERE id = ANY(%s)",
                    (holder, lease_seconds, [row["id"] for row in rows]),
                )
        return [_record(row) for row in rows]


def _record(row: dict[str, Any]) -> Record:
    return Record(
        id=row["id"],
        type=row["type"],
        model=row["model"],
        prompt=row["prompt"],
        request=row["request"],
        estimated_cost_usd=row["estimated_cost_usd"],
        state=row["state"],
        failure_code=row["failure_code"],
        failure_reason=row["failure_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        paths={int(k): v for k, v in row["paths"].items()},
        provider=row["provider"],
        request_id=row["request_id"],
        owner=row["owner"],
    )
