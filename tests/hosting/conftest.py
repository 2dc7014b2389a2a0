"""Fixtures for the hosting tests. PostgreSQL ones are named `postgres_*`; a test that uses them is marked
`hosting` (run with `uv run pytest -m hosting -rs`) and skips, saying why, when no server can be had.

`stores` runs a test once per store implementation: SQLite in the default suite, PostgreSQL under `hosting`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from luma_mcp.store import Store

from .pg_support import NoPostgres, Schema, fresh_schema, postgres_server
from .store_support import Stores


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The session's server: `LUMA_MCP_TEST_DATABASE_URL`, or a throwaway cluster (see pg_support)."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server())
        except NoPostgres as exc:
            pytest.skip(str(exc))
        yield url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[Schema]:
    """A fresh, empty schema of the session's server, dropped after the test."""
    with fresh_schema(postgres_url) as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.hosting)])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    """Opens store instances over one backing: two instances are two processes on one data dir (SQLite), or
    two replicas on one database (PostgreSQL)."""
    if request.param == "sqlite":
        from luma_mcp.history import History

        opened = Stores(lambda: History(tmp_path / "history.sqlite3"))
    else:
        from luma_mcp.pg_store import PostgresStore

        schema: Schema = request.getfixturevalue("postgres_schema")
        opened = Stores(lambda: PostgresStore(schema.server_url, schema=schema.name))
    try:
        yield opened
    finally:
        await opened.aclose()


@pytest.fixture
async def store(stores: Stores) -> Store:
    return await stores.open()
