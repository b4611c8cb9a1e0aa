"""A kept case with a code word, end to end: real PTB against the fake Bot API, on SQLite and
PostgreSQL. Whoever holds the phone gets no case details without the word, wrong tries lock
the case, /delete works without it, and /start shows nothing of it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.config import Settings
from bot.logs import configure
from bot.runtime import Runtime
from bot.store.commands import upgrade_databases
from tests.channels.telegram.harness import Bot, running_bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeUser

ADULT_UK = ["ok", "no", "no", "self", "adult", "shared", "real", "yes", ["social"], "gb", "skip",
            ["removal"]]  # fmt: skip
WORD = "Heron Lake"
ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgres"])
async def urls(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=3).close()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    name = f"helpline_cw_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    try:
        for db in (name, f"{name}_keys"):
            await admin.execute(f'CREATE DATABASE "{db}"')
        found = {
            "database_url": f"postgresql://postgres@127.0.0.1:5432/{name}",
            "keystore_url": f"postgresql://postgres@127.0.0.1:5432/{name}_keys",
        }
        await upgrade_databases(Settings(_env_file=None, data_dir=tmp_path, **found))  # type: ignore[call-arg]
        yield found
    finally:
        for db in (name, f"{name}_keys"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def bot(runtime: Runtime, tmp_path: Path, urls: dict[str, str]) -> AsyncIterator[Bot]:
    async with FakeBotApi() as api, running_bot(api, runtime, tmp_path, **urls) as b:
        yield b


async def keep(bot: Bot, user: FakeUser) -> None:
    await bot.send(user, "/start")
    await bot.walk(user, *ADULT_UK, "keep", "yes")
    assert "Would you like a code word?" in bot.question(user).text


def hidden(bot: Bot, user: FakeUser, text: str) -> bool:
    """The survivor's message with `text` was deleted, and the bot never wrote it back."""
    mine = [m for m in bot.api.messages(user.id, include_deleted=True) if m.text == text]
    echoed = [m for m in bot.api.bot_messages(user.id) if text.lower() in (m.text or "").lower()]
    return bool(mine) and all(m.deleted for m in mine) and not echoed


def start_calls(bot: Bot, user: FakeUser, since: int) -> list[str]:
    """What /start sent this user, as the bytes of each request without the chat id."""
    calls = [
        c for c in bot.api.calls[since:] if c.params.get("chat_id") in (user.id, str(user.id))
    ]
    out = []
    for c in calls:
        params: dict[str, Any] = {k: v for k, v in c.params.items() if k != "chat_id"}
        out.append(f"{c.method} {json.dumps(params, sort_keys=True, ensure_ascii=False)}")
    return out


def without_tokens(calls: list[str]) -> list[str]:
    """Button data carries the conversation's turn counter, which only the app sees."""
    import re

    return [re.sub(r'\\"callback_data\\": \\"\d+\.|"callback_data": "\d+\.', "", c) for c in calls]


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """The bot's own logging at DEBUG, as an operator might run it while looking into a bug."""
    configure("DEBUG")
    yield
    logging.getLogger().handlers.clear()


async def test_a_code_word_guards_the_case_locks_after_wrong_tries_and_never_blocks_delete(
    capfd: pytest.CaptureFixture[str], debug_logs: None, bot: Bot
) -> None:
    api = bot.api
    ana = api.add_user("Ana")
    await keep(bot, ana)
    await bot.send(ana, WORD)
    assert hidden(bot, ana, WORD)
    assert "Your code word is set" in bot.text(ana)

    # Whoever holds the phone later: /resume and /mydata's details wait for the word.
    replies = await bot.send(ana, "/resume")
    assert (
        "Please type your code word" in replies[-1].text and "Start here" not in replies[-1].text
    )
    replies = await bot.send(ana, "/mydata")
    assert "protected by your code word" in replies[0].text
    assert "United Kingdom" not in replies[0].text  # no answers without the word
    replies = await bot.send(ana, "heron")
    assert hidden(bot, ana, "heron") and "Tries left: 4" in replies[0].text
    replies = await bot.send(ana, "  heron LAKE ")  # a phone keyboard's capitals and spaces
    assert "United Kingdom" in replies[0].text and hidden(bot, ana, "  heron LAKE ")

    await bot.send(ana, "/resume")
    replies = await bot.send(ana, "heron lake")
    assert any("Start here" in (m.text or "") for m in replies)  # the kept results, back

    # Wrong tries lock the case: the right word does not open it until the lock ends.
    await bot.send(ana, "/resume")
    for left in (4, 3, 2, 1):
        replies = await bot.send(ana, f"guess {left}")
        assert f"Tries left: {left}" in replies[0].text
    replies = await bot.send(ana, "guess 0")
    assert "locked for now" in replies[0].text and "15 minutes" in replies[0].text
    replies = await bot.send(ana, "/resume")
    assert "locked for now" in replies[0].text
    await bot.send(ana, "heron lake")  # not asked now: an ordinary message, never checked
    assert not any("Start here" in (m.text or "") for m in bot.api.bot_messages(ana.id)[-3:])
    replies = await bot.send(ana, "/mydata")
    assert "United Kingdom" not in replies[0].text
    assert any("locked for now" in (m.text or "") for m in replies)

    # /delete needs no code word, locked or not.
    await bot.send(ana, "/delete")
    await bot.press(ana, "_yes")
    assert "Everything is deleted" in bot.text(ana)
    replies = await bot.send(ana, "/resume")
    assert "no saved answers" in replies[0].text

    out, err = capfd.readouterr()
    assert "DEBUG" in out + err
    for secret in ("Heron", "heron", "guess 0"):
        assert secret not in out + err


async def test_start_is_byte_identical_whether_or_not_a_code_word_guards_a_case(
    bot: Bot,
) -> None:
    api = bot.api
    ana, cara, ben = api.add_user("Ana"), api.add_user("Cara"), api.add_user("Ben")
    await keep(bot, ana)
    await bot.send(ana, WORD)
    await keep(bot, cara)
    await bot.press(cara, "_skip")  # the same steps, and no code word
    mark = len(api.calls)
    await bot.send(ana, "/start")
    await bot.send(cara, "/start")
    await bot.send(ben, "/start")  # never here before
    with_word, without_word, new = (start_calls(bot, u, mark) for u in (ana, cara, ben))
    assert with_word and with_word == without_word
    assert without_tokens(with_word) == without_tokens(new)


async def test_crisis_words_go_through_while_the_code_word_is_asked(bot: Bot) -> None:
    ana = bot.api.add_user("Ana")
    await keep(bot, ana)
    await bot.send(ana, WORD)
    await bot.send(ana, "/resume")
    replies = await bot.send(ana, "honestly i just want to die")
    assert "Please type your code word" not in replies[0].text
    assert any(ch.isdigit() for ch in replies[0].text)  # numbers to call, at once
    replies = await bot.send(ana, "/exit")
    assert not [m for m in bot.api.messages(ana.id) if m.outgoing and not m.deleted]


async def test_every_message_at_the_code_word_prompt_goes_even_in_a_flood(bot: Bot) -> None:
    """Held back unread, a code word would stay readable in the chat: these are never held."""
    ana = bot.api.add_user("Ana")
    await keep(bot, ana)
    tries = [f"x{n}" for n in range(32)]  # too short each: the offer stays, over the limit
    for text in tries:
        await bot.send(ana, text)
    assert [t for t in tries if not hidden(bot, ana, t)] == []
    assert "coming in very fast" not in bot.text(ana)
    await bot.send(ana, WORD)
    assert hidden(bot, ana, WORD) and "Your code word is set" in bot.text(ana)


async def test_hashing_a_code_word_leaves_the_event_loop_free(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow hash runs in a worker thread: made slower still here, the bot's event loop
    (every other chat's updates, deliveries, the staff desk) keeps turning meanwhile."""
    import asyncio
    import time

    from bot.store import codeword

    slow = 4.0
    derive = codeword.derive

    def slow_derive(word: str) -> bytes:
        time.sleep(slow)
        return derive(word)

    monkeypatch.setattr(codeword, "derive", slow_derive)
    ana = bot.api.add_user("Ana")
    await keep(bot, ana)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            gaps.append(time.monotonic() - last)
            last = time.monotonic()

    ticker = asyncio.create_task(tick())
    await bot.send(ana, WORD)  # handled once the word is hashed and kept
    ticker.cancel()
    assert sum(gaps) >= slow and max(gaps) < slow / 2, max(gaps)
    assert hidden(bot, ana, WORD) and (await bot.service.store.stored(ana.id)).code_word


async def _key_store_files(store: Any) -> bytes:
    """The key store's data, as whoever holds the disk (or a superuser) reads it."""
    from sqlalchemy import text

    from bot.store.urls import sqlite_path

    engine = store._keys_engine
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        return b"".join(f.read_bytes() for f in sorted(path.parent.glob(f"{path.name}*")))
    async with engine.begin() as conn:  # its pages (through the server) and its file
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        blocks = (await conn.execute(text("SELECT pg_relation_size('data_key') / 8192"))).scalar()
        out = [
            bytes((await conn.execute(text(f"SELECT get_raw_page('data_key', {b})"))).scalar())
            for b in range(int(blocks or 0))
        ]
        raw = await conn.execute(
            text("SELECT pg_read_binary_file(pg_relation_filepath('data_key'), 0, 67108864, true)")
        )
        return b"".join(out) + bytes(raw.scalar_one() or b"")


async def test_after_delete_the_bots_own_purge_leaves_no_key_of_the_case_on_disk(
    runtime: Runtime, tmp_path: Path, urls: dict[str, str]
) -> None:
    """/delete through the bot, then nothing but the bot's own maintenance (its purge round
    runs when it starts and every HELPLINE_PURGE_INTERVAL_MINUTES): the wrapped keys of the
    case and the answers are gone from the key store's files."""
    from sqlalchemy import text

    async with FakeBotApi() as api:
        ana = api.add_user("Ana")
        async with running_bot(api, runtime, tmp_path, **urls) as bot:
            await keep(bot, ana)
            await bot.send(ana, WORD)
            store = bot.service.store
            async with store._main.connect() as conn:
                ids = {
                    str(k)
                    for (k,) in (
                        await conn.execute(
                            text(
                                "SELECT key_id FROM kept_case "
                                "UNION SELECT key_id FROM conversation"
                            )
                        )
                    ).all()
                }
            async with store._keys_engine.connect() as conn:
                rows = (await conn.execute(text("SELECT id, wrapped FROM data_key"))).all()
            wrapped = {str(k): bytes(w) for k, w in rows if str(k) in ids}
            disk = await _key_store_files(store)
            assert len(wrapped) == 2 and all(w in disk for w in wrapped.values())
            await bot.send(ana, "/delete")
            await bot.press(ana, "_yes")
            assert "Everything is deleted" in bot.text(ana)
        async with running_bot(api, runtime, tmp_path, **urls) as bot:  # a later start
            for _ in range(100):
                disk = await _key_store_files(bot.service.store)
                left = [w for w in wrapped.values() if w in disk]
                if not left:
                    break
                await asyncio.sleep(0.1)
            assert left == []
