"""Servers on one PostgreSQL (LUMA_MCP_DATABASE_URL): replicas share the history and the day's budget, the
schema is migrated once however many start together, and a database that refuses us is one line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import anyio
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from conftest import session, structured, text_of
from luma_mcp.pg_store import PostgresStore
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.server import startup_problem
from luma_mcp.settings import Settings
from luma_mcp.store import open_store

from .pg_support import Schema, drop_schema, schema_exists
from .store_support import submitted

pytestmark = pytest.mark.hosting

RAIN = {"prompt": "rain", "wait_seconds": 0}  # $0.30
SANDBOX_SCHEMA = "luma_mcp_sandbox"


@pytest.fixture
def sandbox_schema(postgres_url: str) -> Iterator[None]:
    """The schema sandbox servers keep to: dropped after the test, unless it was there before it."""
    existed = schema_exists(postgres_url, SANDBOX_SCHEMA)
    yield
    if not existed:
        drop_schema(postgres_url, SANDBOX_SCHEMA)


def replica(settings: Settings, name: str, url: str) -> Settings:
    """A server of its own (its own data and output dirs, as on another machine) on the shared database."""
    return replace(settings, data_dir=settings.data_dir / name, output_dir=settings.output_dir / name, database_url=url)


@pytest.mark.usefixtures("sandbox_schema")
async def test_replicas_share_the_history_and_the_days_budget(
    settings: Settings, emulator: Emulator, postgres_url: str
) -> None:
    budgeted = replace(settings, budget_usd=0.5)
    results: list[Any] = []
    one, two = replica(budgeted, "one", postgres_url), replica(budgeted, "two", postgres_url)
    async with session(one, emulator) as first, session(two, emulator) as second:

        async def call(client: Any) -> None:
            results.append(await client.call_tool("generate_video", RAIN))

        async with anyio.create_task_group() as group:
            for client in (first, second, first, second):
                group.start_soon(call, client)
        [made] = [result for result in results if not result.is_error]
        listed = [text_of(await client.call_tool("list_generations", {"limit": 10})) for client in (first, second)]
    assert len(emulator.generation_posts()) == 1
    assert all(structured(made)["id"] in text for text in listed), listed
    assert not (one.data_dir / "sandbox-history.sqlite3").exists()


async def test_the_url_may_choose_the_schema_and_the_sandbox_keeps_apart(postgres_schema: Schema) -> None:
    real = open_store(Settings(database_url=postgres_schema.url))
    assert isinstance(real, PostgresStore) and real.schema is None  # the URL's search_path decides
    await real.open()
    try:
        await submitted(real, "luma-real")
    finally:
        await real.close()
    with psycopg.connect(postgres_schema.server_url, autocommit=True) as connection:
        table = sql.Identifier(postgres_schema.name, "generations")
        row = connection.execute(sql.SQL("SELECT id FROM {}").format(table)).fetchone()
    assert row == ("luma-real",)
    sandbox = open_store(Settings(sandbox=True, database_url=postgres_schema.url))
    assert isinstance(sandbox, PostgresStore) and sandbox.schema == SANDBOX_SCHEMA


async def test_replicas_starting_together_apply_each_migration_once(postgres_schema: Schema) -> None:
    replicas = [PostgresStore(postgres_schema.server_url, schema=postgres_schema.name) for _ in range(6)]
    try:
        async with anyio.create_task_group() as group:
            for store in replicas:
                group.start_soon(store.open)
        await replicas[0].close()
        await replicas[0].open()  # and once more, later: nothing to do
    finally:
        for store in replicas:
            await store.close()
    with psycopg.connect(postgres_schema.url, autocommit=True) as connection:
        versions = connection.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert versions == [(1,)]


async def test_a_database_that_refuses_us_is_one_line(settings: Settings, postgres_url: str) -> None:
    url = make_conninfo(postgres_url, dbname="luma_mcp_no_such_database", password="s3cret-Pw")
    problem = await startup_problem(replace(settings, database_url=url))
    assert problem is not None and len(problem.splitlines()) == 1, problem
    assert problem.startswith("LUMA_MCP_DATABASE_URL=") and 'database "luma_mcp_no_such_database"' in problem
    assert "s3cret-Pw" not in problem


async def test_a_server_on_postgresql_answers_and_recovers(
    settings: Settings, emulator: Emulator, postgres_url: str, sandbox_schema: None
) -> None:
    hosted = replica(settings, "one", postgres_url)
    async with session(hosted, emulator) as client:
        made = structured(await client.call_tool("generate_video", RAIN))
    async with session(replica(settings, "two", postgres_url), emulator) as client:
        shown = await client.call_tool("get_generation", {"generation_id": made["id"], "wait_seconds": 20})
    assert not shown.is_error, text_of(shown)
    assert structured(shown)["state"] == "completed"
