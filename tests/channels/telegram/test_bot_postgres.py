"""The bot on PostgreSQL, including the database going away and coming back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.store.commands import upgrade_databases
from tests.channels.telegram.harness import handled, running_bot
from tests.fakebot import FakeBotApi

PG = ("127.0.0.1", 5432)
ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


class Proxy:
    """A TCP relay to PostgreSQL that the test can cut, like a network or server outage."""

    def __init__(self) -> None:
        self.port = 0
        self.down = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.down = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*PG)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def databases() -> AsyncIterator[tuple[str, str]]:
    try:
        socket.create_connection(PG, timeout=3).close()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    name = f"helpline_bot_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    try:
        for db in (name, f"{name}_keys"):
            await admin.execute(f'CREATE DATABASE "{db}"')
        yield name, f"{name}_keys"
    finally:
        for db in (name, f"{name}_keys"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


async def test_a_conversation_on_postgresql_survives_a_database_outage(
    runtime: Runtime, tmp_path: Path, databases: tuple[str, str]
) -> None:
    main, keys = databases
    async with Proxy() as proxy, FakeBotApi() as api:
        urls = {
            "database_url": f"postgresql://postgres@127.0.0.1:{proxy.port}/{main}",
            "keystore_url": f"postgresql://postgres@127.0.0.1:5432/{keys}",
        }
        await upgrade_databases(Settings(_env_file=None, data_dir=tmp_path, **urls))  # type: ignore[call-arg]
        async with running_bot(api, runtime, tmp_path, **urls) as bot:
            una = api.add_user("Una", language_code="en")
            await bot.send(una, "/start")
            await bot.walk(una, "ok", "no")
            proxy.cut()
            replies = await bot.send(una, "hello?")
            assert "having trouble" in replies[0].text
            assert "findahelpline.com" in replies[0].text  # with crisis numbers, always
            proxy.restore()
            # The refused update is fetched again and applied: nothing lost, no second notice.
            deadline = time.monotonic() + 15
            while api.pending_updates or await bot.service.store.outbox_size():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            await bot.service.courier.drained()
            texts = [m.text or "" for m in api.bot_messages(una.id)]
            assert sum("having trouble" in t for t in texts) == 1
            bot._seen = handled()
            await bot.press(una, "no")  # the same conversation carries on by itself
            assert "Who are you asking for?" in bot.question(una).text
