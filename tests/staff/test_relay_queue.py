"""Relays to staff never hold up the survivor: a flood reaches the team, /exit is at once;
relays both ways wait in the outbox through a failing Bot API and a restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.runtime import Runtime
from bot.store import Store
from tests.channels.telegram.harness import Bot, handled
from tests.fakebot import FakeBotApi
from tests.staff.helpers import Staff, ask_for_a_person, press, staff_says, staffed_bot

NOT_READ = "haven't read your last one"


async def fill(store: Store, code: str, size: int) -> None:
    for _ in range(200):
        await store.append_transcript(code, "survivor", "x" * size)


async def test_a_flood_during_a_handoff_all_reaches_the_topic_in_order(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff, flood_messages=3) as bot:
        ria = api.add_user("Ria")
        await ask_for_a_person(bot, ria)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        for i in range(12):
            await api.user_sends(ria, f"part {i} of my story")
        await bot.settle(12, within=30)
        topic = staff.text(thread)
        positions = [topic.find(f"part {i} of my story") for i in range(12)]
        assert -1 not in positions, "a message meant for staff was swallowed"
        assert positions == sorted(positions)  # in the order she wrote them
        assert not any(NOT_READ in (m.text or "") for m in api.bot_messages(ria.id))


async def test_exit_right_after_a_burst_of_relays_does_not_wait_for_them(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        sol = api.add_user("Sol")
        await ask_for_a_person(bot, sol)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        posted = len(staff.in_topic(thread))
        # A slow staff chat (as when Telegram's ~20 messages a minute per group bites):
        # each post takes 0.4 s, so ten relays would take 4 s.
        api.delay_next("sendMessage", 0.4, times=12, chat_id=staff.chat.id)
        for i in range(10):
            await api.user_sends(sol, f"burst {i}")
        await api.user_sends(sol, "/exit")
        started = time.monotonic()  # the burst is handled first (in order), then /exit
        while api.visible_messages(sol.id):
            assert time.monotonic() - started < 2.0, "/exit waited behind relays to staff"
            await asyncio.sleep(0.01)
        cleared = time.monotonic() - started
        assert len(staff.in_topic(thread)) - posted < 10  # the rest were dropped, not posted
        await bot.settle(11, within=10)
        await api.wait_for(lambda: staff.topics() == [], timeout=5)  # the topic is deleted
        assert api.visible_messages(sol.id) == []
        assert cleared < 10 * 0.4 / 2


async def test_a_transcript_too_big_to_store_stops_neither_the_relay_nor_quick_exit(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        una = api.add_user("Una")
        await ask_for_a_person(bot, una)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        store = bot.service.store
        case = await store.case_of_chat(una.id)
        assert case is not None
        for size in (4000, 400, 40, 4, 1):  # a long talk: far past the transcript's budget
            await fill(store, case.code, size)  # the store drops the oldest, never fails
        await bot.send(una, "are you still there?")
        assert "are you still there?" in staff.text(thread)
        await staff_says(bot, staff, staff.mei, thread, "Yes, still here.")
        assert "Yes, still here." in (api.last_bot_message(una.id).text or "")
        await bot.send(una, "/exit")
        assert api.visible_messages(una.id) == []


def failed(api: FakeBotApi, chat: int) -> bool:
    return any(c.params.get("chat_id") == chat and c.status == 502 for c in api.calls)


async def applied(bot: Bot, updates: int) -> None:
    """Wait until the bot applied `updates` more updates (their replies may still be queued)."""
    target = bot._seen + updates
    deadline = time.monotonic() + 30
    while handled() < target:
        assert time.monotonic() < deadline, "the bot did not apply the updates"
        await asyncio.sleep(0.005)
    bot._seen = handled()


async def test_relays_both_ways_survive_a_failing_bot_api_and_a_restart_once_and_in_order(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    tia = api.add_user("Tia")
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        await ask_for_a_person(bot, tia)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        # The Bot API fails every message to either side, then the bot stops (a deploy, a
        # crash) with everything still queued.
        api.fail_next("sendMessage", 502, "Bad Gateway", times=10_000, chat_id=staff.chat.id)
        api.fail_next("sendMessage", 502, "Bad Gateway", times=10_000, chat_id=tia.id)
        for i in range(4):
            await api.user_sends(tia, f"survivor line {i}")
            await api.group_sends(staff.chat, staff.mei, f"staff line {i}", thread_id=thread)
        await applied(bot, 8)
        # Her lane (relays both ways, in order) is held by the first failure.
        await api.wait_for(lambda: failed(api, staff.chat.id) or failed(api, tia.id), timeout=30)
    assert "survivor line" not in staff.text(thread)
    api.clear_faults()
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:  # a new process
        await bot.service.courier.drained(30)
    topic = [m.text or "" for m in staff.in_topic(thread)]
    from_her = [t for t in topic if "survivor line" in t]
    assert from_her == [f"Survivor:\nsurvivor line {i}" for i in range(4)]  # once, in order
    to_her = [m.text or "" for m in api.bot_messages(tia.id) if "staff line" in (m.text or "")]
    assert [t.split("\n")[-1] for t in to_her] == [f"staff line {i}" for i in range(4)]


async def test_a_failing_staff_chat_never_holds_back_the_survivors_crisis_screen(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        zoe = api.add_user("Zoe")
        await ask_for_a_person(bot, zoe)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        api.fail_next("sendMessage", 502, "Bad Gateway", times=10_000, chat_id=staff.chat.id)
        await api.user_sends(zoe, "are you there?")
        await api.user_sends(zoe, "I want to kill myself")
        await api.wait_for(  # her crisis screen, while both relays wait for the staff chat
            lambda: any("findahelpline.com" in (m.text or "") for m in api.bot_messages(zoe.id)),
            timeout=10,
        )
        assert "kill myself" not in staff.text(thread)
        api.clear_faults()
        await bot.settle(2, within=60)
        text = staff.text(thread)
        assert -1 < text.find("are you there?") < text.find("I want to kill myself")


async def test_words_of_crisis_reach_a_staff_chat_whose_minute_is_nearly_used_up(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    """Telegram allows a group 20 messages a minute; a few are kept for words of crisis, so
    another survivor's long story cannot hold Zoe's back for up to a minute."""
    async with staffed_bot(api, runtime, tmp_path, staff, telegram_rate_limit=True) as bot:
        ria, zoe = api.add_user("Ria"), api.add_user("Zoe")
        await ask_for_a_person(bot, ria)
        await ask_for_a_person(bot, zoe)

        def posted(words: str) -> list[str]:
            return [m.text or "" for m in api.bot_messages(staff.chat) if words in (m.text or "")]

        for i in range(20):
            await api.user_sends(ria, f"part {i} of my story")
        # Two cards and 15 parts (one a second): the 17 a minute that ordinary posts may use.
        await api.wait_for(lambda: len(posted("of my story")) >= 15, timeout=40)
        await asyncio.sleep(1.5)  # the rest of Ria's story now waits for the minute to turn
        assert len(posted("of my story")) == 15
        await api.user_sends(zoe, "I want to kill myself")
        await api.wait_for(lambda: bool(posted("kill myself")), timeout=10)
        assert len(posted("of my story")) == 15  # Zoe's words went first, from the reserve
