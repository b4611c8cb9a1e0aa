"""A staff forum supergroup in the fake Bot API, and what survivors and staff do in it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot, running_bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeChat, FakeMessage, FakeTopic, FakeUser

# Survivors and staff get ids, names and usernames that cannot turn up by accident, so a
# search of the other side's chat for them means a leak.
SURVIVOR_ID, MEI_ID, ANA_ID, BOSS_ID, OUTSIDER_ID = (7700011123, 8800022234, 8800033345,
                                                     8800044456, 9900055567)  # fmt: skip


@dataclass
class Staff:
    api: FakeBotApi
    chat: FakeChat
    mei: FakeUser  # a staff member
    ana: FakeUser  # a colleague
    boss: FakeUser  # the group's owner
    outsider: FakeUser  # not in the staff chat

    def topics(self, include_deleted: bool = False) -> list[FakeTopic]:
        return self.api.topics(self.chat, include_deleted=include_deleted)

    def topic(self) -> FakeTopic:
        [topic] = self.topics()
        return topic

    def in_topic(self, thread: int) -> list[FakeMessage]:
        """The bot's messages in a topic (not the topic-created service message)."""
        return [m for m in self.api.visible_messages(self.chat, thread_id=thread)
                if m.outgoing and not m.is_service]  # fmt: skip

    def general(self) -> list[FakeMessage]:
        return [m for m in self.api.bot_messages(self.chat) if m.message_thread_id is None]

    def card(self, thread: int) -> FakeMessage:
        return next(m for m in self.in_topic(thread) if m.callback_data())

    def text(self, thread: int) -> str:
        return "\n".join(m.text or "" for m in self.in_topic(thread))

    def everything(self) -> str:
        """Every text the staff chat ever showed: deleted messages, edits, buttons, topics."""
        parts: list[str] = []
        for m in self.api.messages(self.chat, include_deleted=True):
            parts += [m.text or "", m.caption or ""]
            parts += [str(h) for h in m.history]
            parts += [str(b) for b in m.callback_data()]
            parts += [str(m.to_api())]
        parts += [t.name for t in self.topics(include_deleted=True)]
        return "\n".join(parts)


def staff_world(api: FakeBotApi) -> Staff:
    mei = api.add_user("Mei", last_name="Lin", username="mei_at_work", user_id=MEI_ID)
    ana = api.add_user("Ana", username="ana_in_staff", user_id=ANA_ID)
    boss = api.add_user("Bo", username="bo_owner", user_id=BOSS_ID)
    outsider = api.add_user("Mallory", username="mallory_x", user_id=OUTSIDER_ID)
    chat = api.add_forum_group("Helpline staff", members=[mei, ana], owner=boss)
    # As on Telegram, message 1 is the group's creation and thread id 1 means General: the
    # first topic the bot opens is not number 1 (the bot never sends message_thread_id=1).
    chat.next_message_id = max(chat.next_message_id, 2)
    return Staff(api, chat, mei, ana, boss, outsider)


@asynccontextmanager
async def staffed_bot(
    api: FakeBotApi, runtime: Runtime, data_dir: Path, staff: Staff, **overrides: Any
) -> AsyncIterator[Bot]:
    async with running_bot(api, runtime, data_dir, staff_chat_id=staff.chat.id,
                           **overrides) as bot:  # fmt: skip
        yield bot


async def ask_for_a_person(bot: Bot, survivor: FakeUser, note: str | None = None) -> None:
    """The shortest way to a handoff: /start, /human, agree to share, a note or skip."""
    await bot.send(survivor, "/start")
    await bot.send(survivor, "/human")
    await bot.press(survivor, "share")
    if note is None:
        await bot.press(survivor, "_skip")
    else:
        await bot.send(survivor, note)


async def press(bot: Bot, user: FakeUser, message: FakeMessage, action: str) -> str:
    """A staff member presses Claim or Close; returns the pop-up text they saw."""
    data = next(d for d in message.callback_data() if d.startswith(f"staff:{action}:"))
    qid = await bot.api.user_presses(user, message, data)
    await bot.settle()
    answer = bot.api.callback_queries[qid].answer or {}
    return str(answer.get("text") or "")


async def staff_says(bot: Bot, staff: Staff, user: FakeUser, thread: int | None,
                     text: str) -> None:  # fmt: skip
    await bot.api.group_sends(staff.chat, user, text, thread_id=thread)
    await bot.settle()


async def quiet(seconds: float = 0.15) -> None:
    """Let the desk's housekeeping (every 0.02 s in tests) run a few times."""
    await asyncio.sleep(seconds)
