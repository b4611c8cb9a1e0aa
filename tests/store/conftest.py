"""Every store test runs twice: on SQLite files under tmp_path and on the local PostgreSQL.

PostgreSQL tests get their own pair of databases (main + key store), named after this session
and test, dropped afterwards, so parallel runs never collide. They are never skipped in CI:
if the server is missing there, the run fails.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.store import Store
from bot.store.commands import upgrade_databases
from bot.store.urls import async_url

PG_HOST = os.environ.get("HELPLINE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("HELPLINE_TEST_PG_PORT", "5432"))
PG_ADMIN_DB = "test"
SESSION = uuid.uuid4().hex[:8]

MASTER_V1 = "v1:" + base64.b64encode(hashlib.sha256(b"test master key v1").digest()).decode()
MASTER_V2 = "v2:" + base64.b64encode(hashlib.sha256(b"test master key v2").digest()).decode()
PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef0123456789"
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def _pg_tool(tool: str, *args: str, input: bytes | None = None) -> bytes:
    """pg_dump / psql against the test server; stdout as bytes."""
    cmd = [tool, "-h", PG_HOST, "-p", str(PG_PORT), "-U", "postgres", *args]
    return subprocess.run(cmd, input=input, check=True, capture_output=True).stdout


def pg_dsn(db: str) -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{db}"


async def _pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(pg_dsn(PG_ADMIN_DB), timeout=5)
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres() -> bool:
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=3).close()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_HOST}:{PG_PORT} is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_HOST}:{PG_PORT}")
    return True


@dataclass
class Backend:
    """One pair of databases (main + key store) and raw access to them for inspection."""

    name: str
    tmp: Path
    main_url: str
    keys_url: str
    pg_dbs: list[str] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)
    _engines: list[AsyncEngine] = field(default_factory=list)

    @property
    def sqlite(self) -> bool:
        return self.name == "sqlite"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": self.tmp / "data",
            "database_url": self.main_url,
            "keystore_url": self.keys_url,
            "master_key": MASTER_V1,
            "pseudonym_key": PSEUDONYM_KEY,
            "master_key_file": None,
            "pseudonym_key_file": None,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    async def open(self, **overrides: Any) -> Store:
        return await Store.open(self.settings(**overrides), clock=self.clock)

    def _engine(self, url: str) -> AsyncEngine:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        self._engines.append(engine)
        return engine

    async def sql(self, query: str, keys: bool = False, **params: Any) -> list[Any]:
        """Run raw SQL on the main database (or the key store) and return the rows."""
        engine = self._engine(self.keys_url if keys else self.main_url)
        async with engine.begin() as conn:
            result = await conn.execute(text(query), params)
            rows = list(result.all()) if result.returns_rows else []
        await engine.dispose()
        return rows

    async def count(self, table: str, keys: bool = False) -> int:
        return int((await self.sql(f"SELECT count(*) FROM {table}", keys=keys))[0][0])

    def raw_bytes(self) -> bytes:
        """Everything an attacker holding the disk or a backup would see."""
        if self.sqlite:
            out = b""
            for f in sorted((self.tmp / "db").iterdir()):
                out += f.read_bytes()
            return out
        return b"".join(_pg_tool("pg_dump", db) for db in self.pg_dbs)

    async def copy_main(self, label: str) -> str:
        """A backup of the main database as it is now; returns its URL."""
        if self.sqlite:
            src = Path(self.main_url.removeprefix("sqlite:///"))
            dest_dir = self.tmp / label
            dest_dir.mkdir()
            for f in src.parent.iterdir():
                if f.name.startswith(src.name):
                    shutil.copy2(f, dest_dir / f.name)
            return f"sqlite:///{dest_dir / src.name}"
        db = f"{self.pg_dbs[0]}_{label}"
        await _pg_admin(f'CREATE DATABASE "{db}"')
        self.pg_dbs.append(db)
        dump = await asyncio.to_thread(_pg_tool, "pg_dump", self.pg_dbs[0])
        await asyncio.to_thread(_pg_tool, "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", db,
                                input=dump)  # fmt: skip
        return pg_dsn(db)

    async def dispose(self) -> None:
        for engine in self._engines:
            await engine.dispose()


_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        db_dir = tmp_path / "db"
        b = Backend("sqlite", tmp_path, f"sqlite:///{db_dir}/helpline.db",
                    f"sqlite:///{db_dir}/keys.db")  # fmt: skip
        yield b
        await b.dispose()
        return
    request.getfixturevalue("postgres")
    base = f"helpline_t{SESSION}_{next(_counter)}"
    dbs = [base, f"{base}_keys"]
    await _pg_admin(*(f'CREATE DATABASE "{db}"' for db in dbs))
    b = Backend("postgres", tmp_path, pg_dsn(dbs[0]), pg_dsn(dbs[1]), pg_dbs=dbs)
    await upgrade_databases(b.settings())
    try:
        yield b
    finally:
        await b.dispose()
        await _pg_admin(*(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in b.pg_dbs))


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = await backend.open()
    yield s
    await s.close()


@pytest.fixture(autouse=True)
def _no_helpline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the store explicitly; the developer's HELPLINE_* must not leak in."""
    for name in list(os.environ):
        if name.startswith("HELPLINE_") and not name.startswith("HELPLINE_TEST_"):
            monkeypatch.delenv(name)
