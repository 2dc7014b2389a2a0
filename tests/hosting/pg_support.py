"""A PostgreSQL server for the hosting tests: the one `LUMA_MCP_TEST_DATABASE_URL` names, or a private
throwaway cluster made with Debian's binaries (`/usr/lib/postgresql/*/bin`) in a temp folder.

The throwaway cluster listens on a unix socket in its own folder only (no TCP port to collide with), trusts
local connections, and skips fsync: it lives for one test session. initdb refuses to run as root, so under
root it runs as the `postgres` system user (`runuser`). Each test gets a fresh schema, dropped after it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

TEST_URL_VARIABLE = "LUMA_MCP_TEST_DATABASE_URL"
SYSTEM_USER = "postgres"


class NoPostgres(Exception):
    """Why no server could be had; the tests skip with it."""


@dataclass(frozen=True)
class Schema:
    """A fresh schema on the test server: `url` puts new connections in it (its search_path)."""

    server_url: str
    name: str

    @property
    def url(self) -> str:
        separator = "&" if "?" in self.server_url else "?"
        return f"{self.server_url}{separator}options={quote(f'-c search_path={self.name}')}"


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL for the session; raises NoPostgres, saying why, when there is none to be had."""
    given = os.environ.get(TEST_URL_VARIABLE, "").strip()
    if given:
        yield given
        return
    with _throwaway_cluster() as url:
        yield url


@contextmanager
def fresh_schema(server_url: str) -> Iterator[Schema]:
    import psycopg
    from psycopg import sql

    schema = Schema(server_url, f"luma_test_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema.name)))
    try:
        yield schema
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema.name)))


def schema_exists(server_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)).fetchone()
    return found is not None


def drop_schema(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def _throwaway_cluster() -> Iterator[str]:
    binaries = _binaries()
    as_user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="luma-mcp-pg-"))
    try:
        if as_user:
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        data = folder / "data"
        _run(
            [
                *as_user,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            "initdb",
        )
        server_options = f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        pg_ctl = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
        _run([*pg_ctl, "-l", str(folder / "server.log"), "-o", server_options, "start"], "pg_ctl start")
        try:
            yield f"postgresql:///postgres?host={quote(str(folder))}&user=postgres"
        finally:
            subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True, check=False, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: _version(path.parent.parent))
    if not found:
        raise NoPostgres(
            f"no PostgreSQL: set {TEST_URL_VARIABLE} to a server, or install Debian's `postgresql` package "
            "(no /usr/lib/postgresql/*/bin/initdb)"
        )
    return found[-1].parent


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in folder.name.split(".") if part.isdigit())


def _run_as() -> list[str]:
    """initdb and the server refuse root: under root, run them as the `postgres` system user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise NoPostgres(f"running as root and there is no `{SYSTEM_USER}` user to run PostgreSQL as") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise NoPostgres("running as root and there is no `runuser` to start PostgreSQL as another user")
    return [runuser, "-u", SYSTEM_USER, "--"]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise NoPostgres(f"{what} failed: {detail[-1] if detail else done.returncode}")
