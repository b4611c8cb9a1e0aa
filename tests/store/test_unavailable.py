"""Database outage: a clear StoreUnavailable (the adapter shows the crisis line), then recovery."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store, StoreUnavailable, engines

from .conftest import PG_HOST, PG_PORT, Backend

CHAT = 4455


class Proxy:
    """A loopback TCP proxy to PostgreSQL that the test can cut and restore."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in list(self._writers):
            w.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def _step(store: Store, n: int) -> None:
    async with store.conversation(CHAT, update_id=n) as conv:
        conv.save({"step": n})


async def test_outage_then_recovery(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.sqlite:
        monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT_S", 0.2)
        store = await backend.open()
        db_file = backend.main_url.removeprefix("sqlite:///")
        blocker = sqlite3.connect(db_file, isolation_level=None)

        def cut() -> None:
            blocker.execute("BEGIN EXCLUSIVE")  # e.g. a stuck process or a full disk

        def restore() -> None:
            blocker.execute("ROLLBACK")
    else:
        proxy = Proxy()
        await proxy.start()
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/{backend.pg_dbs[0]}"
        store = await backend.open(database_url=url)

        def cut() -> None:
            asyncio.get_running_loop().create_task(proxy.stop())

        def restore() -> None:
            asyncio.get_running_loop().create_task(proxy.start())

    try:
        await _step(store, 1)
        assert await store.ping()
        cut()
        await asyncio.sleep(0.05)
        with pytest.raises(StoreUnavailable) as caught:
            await _step(store, 2)
        assert "unavailable" in str(caught.value)
        assert not await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.stored(CHAT)
        restore()
        await asyncio.sleep(0.05)
        await _step(store, 3)  # the pool replaced its dead connections by itself
        assert await store.ping()
        async with store.conversation(CHAT) as conv:
            assert conv.state == {"step": 3}
    finally:
        await store.close()


async def test_an_unwritable_sqlite_file_is_one_clear_error(tmp_path: Path) -> None:
    from bot.config import Settings
    from bot.store import StoreConfigError

    (tmp_path / "file").touch()  # a data folder that cannot be created, even by root
    settings = Settings(_env_file=None, data_dir=tmp_path / "file" / "data")  # type: ignore[call-arg]
    with pytest.raises(StoreConfigError, match="cannot write the SQLite file"):
        await Store.open(settings)
