"""A store outage under the webhook: refused (Telegram delivers again), one notice, no loss."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from bot.runtime import Runtime
from bot.store import StoreUnavailable, engines
from tests.fakebot import FakeBotApi

from .harness import handled, running_bot


async def _until(check: object, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_store_outage_is_retried_not_dropped(
    api: FakeBotApi,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    api.webhook_max_attempts = 1000  # Telegram keeps redelivering for hours
    api.webhook_retry_delay = 0.002
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        ana = api.add_user("Ana")
        await bot.send(ana, "/start")
        await bot.press(ana, bot.options(ana)[0])
        before = len(api.bot_messages(ana.id))
        # the courier may be committing a delivery: wait for it, then hold the lock
        blocker = sqlite3.connect(tmp_path / "helpline.db", isolation_level=None, timeout=10)
        blocker.execute("BEGIN IMMEDIATE")  # a stuck writer, a full disk: no write gets in
        try:
            caplog.clear()
            caplog.set_level(logging.WARNING)
            for word in ("one", "two", "three"):
                await api.user_sends(ana, word)
            await _until(lambda: len(api.bot_messages(ana.id)) > before)
            failed = handled()
            await _until(lambda: handled() > failed + 10)  # refused again and again...
            notices = api.bot_messages(ana.id)[before:]
            assert len(notices) == 1  # ...but told once
            url = f"http://127.0.0.1:{bot.webhook_port}/readyz"
            async with aiohttp.ClientSession() as http, http.get(url) as r:
                assert r.status == 503  # it can read, but cannot write: not ready
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await _until(lambda: not api.pending_updates)
        assert not api.webhook_failed_updates  # nothing was dropped
        await bot.service.courier.drained()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert sum("store is unavailable" in w for w in warnings) == 1
        assert sum("available again" in w for w in warnings) == 1
        bot._seen = handled()
        await bot.send(ana, "/exit")
        assert api.visible_messages(ana.id) == []  # the notice was tracked, and left too


def test_a_postgres_server_starting_up_is_an_outage() -> None:
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    with pytest.raises(StoreUnavailable), engines.unavailable():
        raise DBAPIError("SELECT 1", {}, starting)
    stopping = asyncpg.exceptions.AdminShutdownError("terminating connection")
    with pytest.raises(StoreUnavailable), engines.unavailable():
        raise DBAPIError("SELECT 1", {}, stopping)
