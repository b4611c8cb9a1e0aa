"""SQLite under asyncio with one hand-off to its thread per statement.

aiosqlite runs each call on its own thread, and SQLAlchemy's adapter makes four such calls for
a SELECT (make a cursor, execute, fetch, close): at about 50 µs of CPU for each hand-off (a
queue put, a thread wake-up, a wake-up of the event loop), the ~45 of an update were about a
third of a SQLite worker's CPU, and the single connection was held across each of them. Here
a statement is executed, fetched and closed in one hand-off; SQLAlchemy's aiosqlite adapter
sees an aiosqlite connection whose cursors already hold their results.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_Result = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any) -> _Result:
    """In the connection's thread: the whole statement, its rows read, its cursor closed."""
    cursor = connection.execute(sql, parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, sql: str, rows: Iterable[Any]) -> _Result:
    cursor = connection.executemany(sql, rows)
    try:
        return cursor.description, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class Cursor:
    """A statement's results, complete once `execute` returns: reading them waits for nothing."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows.clear()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        result = await self._connection.call(_run, sql, parameters)
        self._keep(result)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)
        result = await self._connection.call(_run_many, sql, rows)
        self._keep(result)
        return self

    def _keep(self, result: _Result) -> None:
        self.description, self.rowcount, self.lastrowid, rows = result
        self._rows = deque(rows)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class Connection(aiosqlite.Connection):
    """aiosqlite's connection, whose cursors run a statement in one hand-off."""

    def __init__(self, connector: Any) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True  # as SQLAlchemy sets it for aiosqlite's own connections

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    async def call(self, fn: Callable[..., _Result], sql: str, parameters: Any) -> _Result:
        """`fn(sqlite3 connection, sql, parameters)` in the connection's thread."""
        result: _Result = await self._execute(fn, self._conn, sql, parameters)  # type: ignore[no-untyped-call]
        return result


def _connector(*args: Any, **kwargs: Any) -> Connection:
    return Connection(partial(sqlite3.connect, *args, **kwargs))  # SQLAlchemy awaits it


def use_one_handoff(engine: AsyncEngine) -> None:
    """Open this SQLite engine's connections with `Connection` (same arguments as before)."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=_connector, **cparams)
