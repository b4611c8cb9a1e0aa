"""Relays to staff never hold up the survivor: a flood reaches the team, /exit is at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.runtime import Runtime
from bot.staff.desk import StaffDesk
from bot.store import Store
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


async def test_stopping_the_bot_lets_queued_relays_finish(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        tia = api.add_user("Tia")
        await ask_for_a_person(bot, tia)
        thread = staff.topic().message_thread_id
        desk = bot.service.desk
        assert isinstance(desk, StaffDesk)
        api.delay_next("sendMessage", 0.4, times=5, chat_id=staff.chat.id)
        for i in range(5):
            await api.user_sends(tia, f"before the restart {i}")
        started = time.monotonic()
        while desk.queued(tia.id) + staff.text(thread).count("before the restart") < 5:
            assert time.monotonic() - started < 5
            await asyncio.sleep(0.01)
        assert desk.queued(tia.id) >= 2  # still waiting when the service stops
    # The service stopped (a deploy): what was queued was posted first, in order.
    text = staff.text(thread)
    positions = [text.find(f"before the restart {i}") for i in range(5)]
    assert -1 not in positions and positions == sorted(positions)
