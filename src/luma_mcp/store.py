"""The store of generations and spend: one interface (`Store`), two implementations.

`History` (history.py) keeps it in SQLite under the per-user data dir: the default, for one user on one
machine. `PostgresStore` (pg_store.py) keeps it in PostgreSQL when `LUMA_MCP_DATABASE_URL` is set, so
that several replicas of a hosted server share one history, one budget and the work of recovery. The
PostgreSQL module (and psycopg) is imported only then: a single user's start never pays for it.

Every row has an `owner` ("" is the single local user): reads return only that owner's rows, writes set
it, and a write aimed at another owner's row changes nothing, so that one store can later hold several
users apart. Sandbox servers on PostgreSQL keep to a schema of their own, as they keep to a file of their
own in SQLite. Timestamps are UTC text in `TIME_FORMAT`
in both implementations, so a `Record` reads the same whichever wrote it.
"""

from __future__ import annotations

import builtins  # `list[...]` after a store's own `list` method would name the method
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from .settings import Settings

# States of our own, beside the API's four: the request is on its way, or its fate is unknown.
SUBMITTING = "submitting"
UNKNOWN = "unknown"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DATABASE_URL_VARIABLE = "LUMA_MCP_DATABASE_URL"


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
    owner: str = ""


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


@dataclass(frozen=True)
class Reservation:
    """The outcome of `Store.reserve`: `id` is set when the amount was booked (None when it would pass a
    budget); `spent_before` is the day's spend of every owner it was judged against, `user_spent_before`
    that owner's own."""

    id: str | None
    spent_before: float
    user_spent_before: float = 0.0


class StoreUnavailable(Exception):
    """The store cannot be opened; the message is one line for the user, naming the setting to fix and
    never a password."""


def now_text() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


def spend_day() -> str:
    """The budget's day: the current UTC date."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


def list_filter(
    placeholder: str, owner: str | None, gen_type: str | None, state: str | None, provider: str | None
) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (with the driver's `placeholder`) and its values for `Store.list`'s filters. owner
    None: every owner's rows (recovery's view); "" is the single local user, a value like any other."""
    pairs = (("owner", owner), ("type", gen_type), ("state", state), ("provider", provider))
    conditions = [(column, value) for column, value in pairs if value or (column == "owner" and value is not None)]
    if not conditions:
        return "", ()
    where = " AND ".join(f"{column} = {placeholder}" for column, _ in conditions)
    return f"WHERE {where}", tuple(value for _, value in conditions if value is not None)


def over_budget(spent: float, amount: float, budget: float | None) -> bool:
    # Rounded: sums of float prices (0.1 + 0.2) must not refuse a request that fits to the cent.
    return budget is not None and round(spent + amount, 6) > round(budget, 6)


class Store(Protocol):
    async def open(self) -> None:
        """Create or migrate the schema; raises `StoreUnavailable` when the store cannot be used."""

    async def close(self) -> None: ...

    async def reserve(
        self, amount_usd: float, budget_usd: float | None, *, owner: str = "", user_budget_usd: float | None = None
    ) -> Reservation:
        """Book `amount_usd` on today's ledger for `owner`, unless the day's spend of every owner would pass
        `budget_usd` or that owner's would pass `user_budget_usd` (None: no such limit). The check and
        the booking are one transaction: concurrent callers, in any process, cannot both fit."""
        ...

    async def release(self, reservation_id: str, *, owner: str = "") -> None:
        """Nothing was bought: the booked amount no longer counts."""

    async def spent_today(self, owner: str | None = None) -> float:
        """Today's (UTC) estimated spend of `owner`; None: of everyone."""
        ...

    async def begin_submission(self, submission: Submission, *, owner: str = "") -> str:
        """Record a create about to be sent; returns the provisional id to settle it with."""
        ...

    async def confirm_submission(
        self, local_id: str, generation_id: str, state: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        """`created_at`: the API's own time, when it reports one; else the submit time stays."""

    async def forget_submission(self, local_id: str, *, owner: str = "") -> None:
        """The API refused the create outright: nothing was bought, nothing to keep."""

    async def mark_unknown(self, local_id: str, reason: str, *, owner: str = "") -> None: ...

    async def update_state(
        self, generation_id: str, state: str, failure_code: str | None, failure_reason: str | None, *, owner: str = ""
    ) -> None: ...

    async def set_path(self, generation_id: str, index: int, path: Path, *, owner: str = "") -> None: ...

    async def get(self, generation_id: str, *, owner: str = "") -> Record | None: ...

    async def find_prefixed(self, prefix: str, *, owner: str = "") -> Record | None:
        """The newest record whose id starts with `prefix` (a bare AI/ML UUID -> its full id)."""
        ...

    async def list(
        self,
        limit: int,
        gen_type: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        *,
        owner: str | None = "",
    ) -> list[Record]:
        """The newest `limit` rows of `owner`; None: of every owner (recovery's view, never a caller's)."""
        ...

    async def import_generation(
        self, generation_id: str, provider: str, gen_type: str, model: str, created_at: str | None, *, owner: str = ""
    ) -> None:
        """Remember a generation first met through get_generation (made elsewhere with the same key)."""

    async def claim(self, key: str, holder: str, lease_seconds: float) -> bool:
        """Take or renew the lease named `key`: true when `holder` holds it now (it was free, expired, or
        already `holder`'s)."""
        ...

    async def release_claim(self, key: str, holder: str) -> None:
        """Give the lease up, if `holder` holds it."""

    async def claim_unsettled(
        self, holder: str, limit: int, lease_seconds: float, owner: str | None = None
    ) -> builtins.list[Record]:
        """The newest (up to `limit`) generations still to settle, as outputs._unsettled means it (queued,
        processing, or completed with no saved file; never a `pending-` row, which never reached the API)
        that no other holder's live lease covers, each leased to `holder` in the same transaction: callers
        racing, in any process, get disjoint rows. `owner` None: everyone's. Which provider is on, and
        what the user declined, stay the caller's to judge."""
        ...


def open_store(settings: Settings) -> Store:
    """The store the settings ask for, not yet opened."""
    url = settings.database_url
    if url:
        try:
            from .pg_store import PostgresStore  # psycopg: only in hosted mode
        except ImportError as exc:
            raise StoreUnavailable(
                f"LUMA_MCP_DATABASE_URL needs the hosted extra ({exc.name} is missing); "
                "install luma-agents-mcp[hosted]"
            ) from None

        # Sandbox ids mean nothing to the real API: they keep to a schema of their own, as the SQLite
        # sandbox keeps to a file of its own.
        return PostgresStore(url, schema="luma_mcp_sandbox" if settings.sandbox else None)
    from .history import History

    return History(settings.history_path)


# `password=...` in a keyword/value string (a quoted value may hold spaces) or in a URI's query.
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def redacted_url(url: str) -> str:
    """`url` with its password (URI userinfo, `password=` keyword or query parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rpartition("@")[2]
            url = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:  # a netloc urlsplit cannot read (a stray bracket): hide all of its userinfo
        url = re.sub(r"(://)[^/?#]*@", r"\1***@", url)
    return _KEYWORD_PASSWORD.sub(r"\1***", url)


def scrubbed(message: str, url: str) -> str:
    """The first line of an error `message` about `url`, with anything of its password removed: a driver's
    message may quote the connection string it could not parse."""
    line = (message.strip().splitlines() or [""])[0]
    for secret in sorted(_passwords(url), key=len, reverse=True):
        line = line.replace(secret, "***")
    return line


def _passwords(url: str) -> set[str]:
    found = {match.group(2).strip("'") for match in _KEYWORD_PASSWORD.finditer(url)}
    try:
        found.add(urlsplit(url).password or "")
    except ValueError:  # an unparsable netloc: whatever stands between the user's colon and the @
        found.add(url.rpartition("@")[0].rpartition(":")[2])
    return {secret for raw in found for secret in (raw, unquote(raw)) if secret}
