"""With the rate limit on, a crowd of new chats all get their first reply and Telegram refuses
nothing: the fake Bot API enforces Telegram's limits strictly (one message a second per chat,
30 a second per bot, a 429 with retry_after 5 s beyond), and quick exit never waits for them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot, handled, running_bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeUser

CROWD = 40


async def applied(bot: Bot, updates: int) -> None:
    """Wait until the bot applied `updates` more updates (their replies may still be queued)."""
    target = bot._seen + updates
    deadline = time.monotonic() + 60
    while handled() < target:
        assert time.monotonic() < deadline, "the bot did not apply the updates"
        await asyncio.sleep(0.005)
    bot._seen = handled()


def refused(api: FakeBotApi) -> list[str]:
    return [c.method for c in api.calls if c.status == 429]


def has_first_reply(api: FakeBotApi, user: FakeUser) -> bool:
    """The welcome and the first question with its buttons, each once."""
    messages = api.bot_messages(user.id)
    return (
        len(messages) == 2
        and "Hello" in (messages[0].text or "")
        and bool(messages[1].callback_data())
    )


async def crowd_starts(bot: Bot, api: FakeBotApi) -> list[FakeUser]:
    users = [api.add_user(f"U{n}", language_code="en") for n in range(CROWD)]
    for user in users:
        await api.user_sends(user, "/start")
    return users


async def test_many_chats_starting_at_once_all_get_their_first_reply_without_a_429(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    api.enforce_flood_limits()
    async with running_bot(api, runtime, tmp_path, telegram_rate_limit=True) as bot:
        users = await crowd_starts(bot, api)
        await bot.settle(CROWD, within=60)
        assert [u.first_name for u in users if not has_first_reply(api, u)] == []
        assert refused(api) == []  # paced, so no message met a 429 (or waited 5 s for it)


async def test_quick_exit_during_the_crowd_is_done_at_once(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, telegram_rate_limit=True) as bot:
        eve = api.add_user("Eve", language_code="en")
        await bot.send(eve, "/start")
        await bot.press(eve, "ok")
        api.enforce_flood_limits()
        # A 429 elsewhere, with a long retry_after: before, it paused every call of the bot.
        users = await crowd_starts(bot, api)
        api.fail_next("sendMessage", 429, retry_after=5, chat_id=users[0].id)
        await applied(bot, CROWD)  # their replies are going out, one second per chat
        asked = api.clock.now()
        await api.user_sends(eve, "/exit")
        await api.wait_for(lambda: api.visible_messages(eve.id) == [], timeout=30)
        [wipe] = [c for c in api.calls_to("deleteMessages") if c.params["chat_id"] == eve.id]
        assert wipe.time - asked < 5, "quick exit waited behind the other chats' messages"
        load = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] != eve.id]
        assert sum(c.time < wipe.time for c in load) < 2 * CROWD  # the crowd was still going
        await bot.settle(1, within=60)
        assert [u.first_name for u in users if not has_first_reply(api, u)] == []
