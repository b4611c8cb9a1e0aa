"""Async engines that never leak: no SQL echo, parameters hidden, dead connections replaced.

SQLite: WAL for the main database (readers never wait for the writer), every transaction
starts with BEGIN IMMEDIATE (one writer at a time, no lock upgrades that fail half-way),
secure_delete so freed pages are zeroed. The key store uses a rollback journal instead of
WAL, so a deleted data key leaves no copy behind in a -wal file.
PostgreSQL (asyncpg): short connect timeout, so an outage surfaces quickly as
StoreUnavailable; the first statement that finds a connection dead invalidates the whole
pool, so it recovers by itself when the server is back. No ping per checkout: that was a
round trip (and, on SQLite, a thread hop) before every transaction.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.errors import StoreConfigError, StoreUnavailable
from bot.store.sqlite_driver import use_one_handoff
from bot.store.urls import is_sqlite, sqlite_path

SQLITE_BUSY_TIMEOUT_S = 10.0  # how long a writer waits for another worker's transaction
PG_CONNECT_TIMEOUT_S = 5.0
PG_COMMAND_TIMEOUT_S = 30.0
PG_POOL_TIMEOUT_S = 10.0  # how long a transaction waits for one of the worker's connections


def make_engine(url: URL, *, name: str, keystore: bool, pool_size: int = 10) -> AsyncEngine:
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                # Owner-only from the start; SQLite gives -wal and -shm the same mode.
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise StoreConfigError(
                    f"cannot write the SQLite file {path} ({exc.strerror or exc}): check that "
                    "the folder exists and belongs to the user running the bot"
                ) from None
        # A file: one connection, so this process's transactions queue for it in order
        # (every one is BEGIN IMMEDIATE: they could not overlap anyway) instead of spinning
        # in SQLite's busy handler, whose growing sleeps left a step waiting ~1 s under load.
        pool: dict[str, Any] = (
            {"pool_size": 1, "max_overflow": 0, "pool_timeout": SQLITE_BUSY_TIMEOUT_S}
            if path is not None
            else {}
        )
        engine = create_async_engine(
            url,
            echo=False,
            hide_parameters=True,
            logging_name=name,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
            **pool,
        )
        use_one_handoff(engine)
        _sqlite_hooks(engine, journal="DELETE" if keystore else "WAL")
    else:
        connect_args: dict[str, Any] = {}
        if url.drivername == "postgresql+asyncpg":
            connect_args = {
                "timeout": PG_CONNECT_TIMEOUT_S,
                "command_timeout": PG_COMMAND_TIMEOUT_S,
            }
        # A fixed pool, no overflow: a transaction beyond `pool_size` waits for a connection.
        # With overflow, a busy worker closed the extra connection after each transaction
        # and opened a new one for the next (one new PostgreSQL backend every ~3 updates).
        engine = create_async_engine(
            url,
            echo=False,
            hide_parameters=True,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=PG_POOL_TIMEOUT_S,
            pool_recycle=1800,
            logging_name=name,
            connect_args=connect_args,
        )
    if keystore:
        # Wrapped data keys must never be copied into logs, whatever the root level: a log
        # archive would otherwise outlive crypto-shredding.
        logging.getLogger(f"sqlalchemy.engine.Engine.{name}").setLevel(logging.WARNING)
        logging.getLogger(f"sqlalchemy.pool.impl.AsyncAdaptedQueuePool.{name}").setLevel(
            logging.WARNING
        )
    aiosqlite_log = logging.getLogger("aiosqlite")
    if aiosqlite_log.getEffectiveLevel() < logging.INFO:
        aiosqlite_log.setLevel(logging.INFO)  # its DEBUG lines repr every query's parameters
    return engine


def _sqlite_hooks(engine: AsyncEngine, journal: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            f"PRAGMA journal_mode={journal}",
            f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}",
            "PRAGMA secure_delete=ON",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=FULL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unavailable() -> Iterator[None]:
    """Turn "cannot reach the database" into StoreUnavailable; other errors pass through."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeout, OSError) as exc:
        raise StoreUnavailable("the database is unavailable right now") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated or _connection_state(exc):
            raise StoreUnavailable("the database is unavailable right now") from exc
        raise


# SQLSTATE classes meaning "no usable connection": 08 (connection exception), 57P (the server
# is starting up, shutting down or was restarted: asyncpg's CannotConnectNowError and
# AdminShutdownError), 53 (out of resources: too many connections, disk full).
_UNAVAILABLE_STATES = ("08", "57P", "53")


def _connection_state(exc: DBAPIError) -> bool:
    seen: BaseException | None = exc.orig
    for _ in range(4):  # SQLAlchemy wraps asyncpg's error in its adapter's, and so on
        if seen is None:
            return False
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
