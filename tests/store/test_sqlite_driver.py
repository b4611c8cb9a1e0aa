"""SQLite's one-hand-off driver gives the store exactly what aiosqlite gave it.

Rows, row counts, insert ids, many-row inserts, constraint errors and rollbacks are read
through the store's own engine (`make_engine`) and compared with what plain `sqlite3` says
of the same file; a statement costs the worker one hand-off to SQLite's thread, not four.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.store.engines import make_engine
from bot.store.sqlite_driver import Connection


async def test_rows_counts_and_errors_match_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "main.db"
    engine = make_engine(make_url(f"sqlite+aiosqlite:///{path}"), name="t", keystore=False)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            inserted = await conn.execute(
                text("INSERT INTO t (id, v) VALUES (:id, :v)"),
                [{"id": i, "v": f"row {i}"} for i in range(1, 151)],
            )
            assert inserted.rowcount == 150
            one = await conn.execute(text("INSERT INTO t (v) VALUES ('last')"))
            assert one.lastrowid == 151
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
            assert [tuple(r) for r in rows][:2] == [(1, "row 1"), (2, "row 2")]
            assert len(rows) == 151
            first = (await conn.execute(text("SELECT v FROM t WHERE id > 149"))).first()
            assert first is not None and first.v == "row 150"
            none = (await conn.execute(text("SELECT v FROM t WHERE id = 0"))).first()
            assert none is None
        async with engine.begin() as conn:
            changed = await conn.execute(text("UPDATE t SET v = 'x' WHERE id <= 10"))
            assert changed.rowcount == 10
            gone = await conn.execute(text("DELETE FROM t WHERE id > 100"))
            assert gone.rowcount == 51
        async with engine.connect() as conn:
            await conn.execute(text("DELETE FROM t WHERE id = 1"))
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO t (id, v) VALUES (2, 'twice')"))
            await conn.rollback()
    finally:
        await engine.dispose()
    # The failed transaction left nothing behind: row 1 is still there, as sqlite3 sees it.
    with sqlite3.connect(path) as plain:
        counts = plain.execute("SELECT count(*), min(id), max(id) FROM t").fetchone()
        assert counts == (100, 1, 100)
        assert plain.execute("SELECT v FROM t WHERE id = 10").fetchone() == ("x",)


async def test_a_statement_is_one_handoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handoffs = 0
    execute = Connection._execute

    async def counted(self: Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal handoffs
        handoffs += 1
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(Connection, "_execute", counted)
    engine = make_engine(
        make_url(f"sqlite+aiosqlite:///{tmp_path / 'main.db'}"), name="t", keystore=False
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # the connection is opened and set up
            before = handoffs
            rows = (await conn.execute(text("SELECT 1 UNION SELECT 2"))).all()
            assert len(rows) == 2
            assert handoffs - before == 1
    finally:
        await engine.dispose()
