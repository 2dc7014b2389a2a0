"""The provider column arrives through an ordered migration that keeps every row a v1 history held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from luma_mcp.history import History, Submission

V1_SCHEMA = """
CREATE TABLE generations (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL,
    request_json TEXT NOT NULL, estimated_cost_usd REAL, state TEXT NOT NULL, failure_code TEXT,
    failure_reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, paths_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX generations_by_time ON generations (created_at DESC);
"""
LUMA_ID = "d290f1ee-6c54-4b01-90e6-d701748f0851"


def make_v1_history(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO generations VALUES (?, 'video', 'ray-3.2', 'a fox', '{}', 0.3, 'completed', NULL, NULL,"
            " '2026-11-20T10:00:00Z', '2026-11-20T10:01:00Z', '{\"0\": \"/tmp/fox.mp4\"}')",
            (LUMA_ID,),
        )


async def test_a_v1_history_keeps_its_rows_as_lumas(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    make_v1_history(path)
    history = History(path)
    await history.open()
    try:
        [record] = await history.list(10)
        assert (record.id, record.provider, record.state, record.paths) == (
            LUMA_ID,
            "luma",
            "completed",
            {0: "/tmp/fox.mp4"},
        )
        assert await history.list(10, provider="aimlapi") == []
        local = await history.begin_submission(
            Submission("aimlapi", "video", "ray-2", {"prompt": "a hare"}, None, "lmcp-abc")
        )
        await history.confirm_submission(local, "aimlapi:x:luma/ray-2", "queued", None)
        [aiml] = await history.list(10, provider="aimlapi")
        assert (aiml.id, aiml.model, aiml.request_id) == ("aimlapi:x:luma/ray-2", "ray-2", "lmcp-abc")
        assert aiml.created_at.endswith("Z")  # the submit time stays when the API reports none
    finally:
        await history.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4  # 3: the spend ledger; 4: owners and claims


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    make_v1_history(path)
    for _ in range(2):
        history = History(path)
        await history.open()
        assert [record.id for record in await history.list(10)] == [LUMA_ID]
        await history.close()
