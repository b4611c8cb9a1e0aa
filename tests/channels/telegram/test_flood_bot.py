"""The flood guard against the real bot: edits count once, taps are cheap, notices are few."""

from __future__ import annotations

from pathlib import Path

from bot.runtime import Runtime
from tests.channels.telegram.harness import running_bot
from tests.fakebot import FakeBotApi

NOT_READ = "haven't read your last one"
EDITED = "can't see changes"


def count(api: FakeBotApi, chat: int, words: str) -> int:
    return sum(words in (m.text or "") for m in api.bot_messages(chat))


async def test_a_flood_of_edits_gets_one_notice_and_counts_towards_the_limit(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=5) as bot:
        oli = api.add_user("Oli")
        await bot.send(oli, "/start")
        mine = [m for m in api.messages(oli.id) if not m.outgoing][-1]
        for i in range(12):
            await api.user_edits(mine, f"/start {i}")
        await bot.settle(12)
        assert count(api, oli.id, EDITED) == 1
        assert count(api, oli.id, NOT_READ) == 0  # one notice for the flood, not two
        held = await bot.send(oli, "hello?")  # the edits used up the minute's allowance
        assert [m.text for m in held] == [m.text for m in held if NOT_READ in m.text]
        assert len(held) == 1


async def test_button_taps_do_not_trip_the_guard_as_early_as_text(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=4) as bot:
        pia = api.add_user("Pia")
        await bot.send(pia, "/start")  # safety commands count too: 1 of 4
        first = bot.question(pia)
        old = next(d for d in first.callback_data() if d.endswith(".ok"))
        await bot.press(pia, "ok")
        # Taps on an old question: each is answered ("an earlier question"), none is refused.
        for _ in range(4):
            replies = await bot.press(pia, "ok", message=first, data=old)
            assert replies and "earlier question" in replies[0].text
        assert count(api, pia.id, NOT_READ) == 0
        # Typed messages reach the limit sooner: the next one is not read, and they are told.
        replies = await bot.send(pia, "some words")
        assert len(replies) == 1 and NOT_READ in replies[0].text
        # A tap costs half a message: one more still fits (3.5 of 4 were used), then no more.
        assert await bot.press(pia, "ok", message=first, data=old)
        assert await bot.press(pia, "ok", message=first, data=old) == []  # silently held back
        assert count(api, pia.id, NOT_READ) == 1
