"""Which store a server opens, what a single user's start does not pay for, and how a database that cannot be
used is told: one line naming LUMA_MCP_DATABASE_URL, never its password, never a traceback. No server needed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import server_env
from luma_mcp.history import History
from luma_mcp.server import startup_problem
from luma_mcp.settings import Settings
from luma_mcp.store import open_store, redacted_url, scrubbed

from .store_support import submitted

PASSWORD = "s3cret-Pw"


def test_without_a_database_url_the_store_is_the_sqlite_history(settings: Settings) -> None:
    store = open_store(settings)
    assert isinstance(store, History) and store.path == settings.history_path


def test_a_single_users_start_never_imports_psycopg() -> None:
    probe = """
import sys
from pathlib import Path
import luma_mcp.server
from luma_mcp.settings import Settings
from luma_mcp.store import open_store
open_store(Settings(data_dir=Path("/nonexistent")))
print(sorted(m for m in sys.modules if m.partition(".")[0] in ("psycopg", "psycopg_pool") or "pg_store" in m))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_url_is_read_from_the_environment_and_kept_out_of_the_repr() -> None:
    url = f"postgresql://luma:{PASSWORD}@db.internal:5432/luma"
    settings = Settings.from_env({"LUMA_MCP_DATABASE_URL": f"  {url}\n"})
    assert settings.database_url == url and PASSWORD not in repr(settings)
    assert Settings.from_env({"LUMA_MCP_DATABASE_URL": "  "}).database_url is None
    assert Settings.from_env({}).database_url is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://luma:{PASSWORD}@db:5432/luma", "postgresql://luma:***@db:5432/luma"),
        (
            f"postgres://luma:{PASSWORD}@[::1]:5432/luma?sslmode=require",
            "postgres://luma:***@[::1]:5432/luma?sslmode=require",
        ),
        (
            f"postgresql://db/luma?user=luma&password={PASSWORD}&sslmode=require",
            "postgresql://db/luma?user=luma&password=***&sslmode=require",
        ),
        (f"host=db user=luma password={PASSWORD} dbname=luma", "host=db user=luma password=*** dbname=luma"),
        (f"host=db password = '{PASSWORD} x' dbname=luma", "host=db password = *** dbname=luma"),
        ("postgresql://luma@db/luma", "postgresql://luma@db/luma"),
        (f"postgresql://luma:{PASSWORD}@[db/luma", "postgresql://***@[db/luma"),
    ],
)
def test_a_shown_url_has_no_password(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_a_drivers_message_loses_the_password_and_all_but_its_first_line() -> None:
    url = f"postgresql://luma:{PASSWORD.replace('-', '%2D')}@db/luma"
    message = f'invalid connection option "{PASSWORD}"\nDETAIL: {PASSWORD}'
    assert scrubbed(message, url) == 'invalid connection option "***"'


async def test_an_unreachable_database_is_one_line_naming_the_variable(settings: Settings, tmp_path: Path) -> None:
    url = f"postgresql://luma:{PASSWORD}@/luma?host={tmp_path / 'no-server-here'}"
    problem = await startup_problem(replace(settings, database_url=url))
    assert problem is not None and len(problem.splitlines()) == 1, problem
    assert problem.startswith("LUMA_MCP_DATABASE_URL='postgresql://luma:***@/luma?host=") and PASSWORD not in problem
    assert "no-server-here" in problem and "unset it to keep the history in SQLite" in problem


@pytest.mark.parametrize("transport", [(), ("--transport", "streamable-http", "--port", "0")])
@pytest.mark.parametrize(
    "url", [f"postgresql://luma:{PASSWORD}@/luma?host=/nonexistent", f"password={PASSWORD} nonsense"]
)
def test_a_server_with_an_unusable_database_url_says_so_in_one_line(
    tmp_path: Path, transport: tuple[str, ...], url: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "luma_mcp", "--sandbox", *transport],
        env=server_env(tmp_path, LUMA_MCP_DATABASE_URL=url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "LUMA_MCP_DATABASE_URL=" in done.stderr and PASSWORD not in done.stderr


V3_SCHEMA = """
CREATE TABLE generations (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL,
    request_json TEXT NOT NULL, estimated_cost_usd REAL, state TEXT NOT NULL, failure_code TEXT,
    failure_reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, paths_json TEXT NOT NULL DEFAULT '{}',
    provider TEXT NOT NULL DEFAULT 'luma', request_id TEXT
);
CREATE TABLE spend (id TEXT PRIMARY KEY, day TEXT NOT NULL, amount_usd REAL NOT NULL, created_at TEXT NOT NULL);
PRAGMA user_version = 3;
"""


async def test_a_v3_history_becomes_the_local_users(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    history = History(path)
    with sqlite3.connect(path) as db:
        db.executescript(V3_SCHEMA)
        db.execute(
            "INSERT INTO generations (id, type, model, prompt, request_json, state, created_at, updated_at)"
            " VALUES ('luma-old', 'video', 'ray-3.2', 'a fox', '{}', 'queued', '2026-01-01T00:00:00Z', 'x')"
        )
        db.execute("INSERT INTO spend VALUES ('old', strftime('%Y-%m-%d', 'now'), 0.3, 'x')")
    await history.open()
    try:
        [record] = await history.list(10)
        assert (record.id, record.owner) == ("luma-old", "")
        assert await history.list(10, owner="alice") == []
        assert await history.spent_today("") == pytest.approx(0.3) == await history.spent_today()
        await submitted(history, "luma-new", owner="alice")
        assert [r.id for r in await history.claim_unsettled("h", 10, 60)] == ["luma-new", "luma-old"]
    finally:
        await history.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
