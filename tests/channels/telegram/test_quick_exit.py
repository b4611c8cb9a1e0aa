"""Quick exit leaves nothing behind, whatever came before: a flood, /delete, or both."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot, running_bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeUser

NOT_READ = "haven't read your last one"


async def flood(bot: Bot, user: FakeUser, count: int) -> None:
    for i in range(count):
        await bot.api.user_sends(user, f"message {i}")
    await bot.settle(count, within=30)


def notices(bot: Bot, user: FakeUser) -> int:
    return sum(NOT_READ in (m.text or "") for m in bot.api.bot_messages(user.id))


async def test_crisis_words_after_a_flood_get_the_crisis_screen_and_exit_clears_all(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=20) as bot:
        kim = api.add_user("Kim", language_code="en")
        await bot.send(kim, "/start")
        await flood(bot, kim, 25)
        assert notices(bot, kim) == 1  # told once, plainly, that the rest was not read
        answered = [m for m in api.bot_messages(kim.id) if "choose one of the options" in m.text]
        assert len(answered) < 25  # the notice is true: messages over the limit got no answer

        replies = await bot.send(kim, "I want to kill myself")
        assert replies, "crisis words were swallowed by the flood guard"
        assert "findahelpline.com" in replies[0].text  # the international line, at once
        # Still flooded: picking a country on the crisis screen brings its numbers.
        numbers = await bot.press(kim, "_cc:gb", message=replies[0])
        assert "999" in numbers[-1].text and "116 123" in numbers[-1].text

        assert len(api.visible_messages(kim.id)) > 40
        await bot.send(kim, "/exit")
        assert api.visible_messages(kim.id) == []  # both sides, held-back messages included


async def test_the_leave_now_button_after_a_flood_clears_the_chat(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=5) as bot:
        lou = api.add_user("Lou")
        await bot.send(lou, "/start")
        await flood(bot, lou, 20)
        assert notices(bot, lou) == 1
        await bot.press(lou, "_exit")
        assert api.visible_messages(lou.id) == []


@pytest.mark.parametrize("flooded", [False, True])
async def test_delete_then_exit_leaves_the_chat_empty(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, flooded: bool
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=5) as bot:
        max_ = api.add_user("Max")
        await bot.send(max_, "/start")
        await bot.walk(max_, "ok", "no")
        if flooded:
            await flood(bot, max_, 10)
        await bot.send(max_, "/delete")
        done = await bot.press(max_, "_yes")  # /delete's confirmation passes a flood too
        assert "Everything is deleted" in done[-1].text
        assert (await bot.service.store.stored(max_.id)).working_expires is None
        await bot.send(max_, "/exit")
        assert api.visible_messages(max_.id) == []


async def test_help_and_start_pass_a_flood(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=3) as bot:
        ned = api.add_user("Ned", language_code="en")
        await bot.send(ned, "/start")
        await flood(bot, ned, 6)
        held = await bot.send(ned, "one more")
        assert held == []  # over the limit, and already told: not read, no second notice
        assert await bot.send(ned, "/help")
        assert await bot.send(ned, "/start")
        assert notices(bot, ned) == 1
