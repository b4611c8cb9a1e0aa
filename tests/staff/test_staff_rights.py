"""Staff rights end when someone leaves the staff chat: at once when Telegram says so, and
within a few seconds when it does not (every action re-checks an older answer)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from bot.channels.telegram.service import ALLOWED_UPDATES
from bot.runtime import Runtime
from bot.staff.desk import MEMBER_TTL
from tests.fakebot import FakeBotApi
from tests.staff.helpers import Staff, ask_for_a_person, press, quiet, staff_says, staffed_bot


async def test_a_member_removed_from_the_staff_chat_loses_staff_rights_at_once(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    assert "chat_member" in ALLOWED_UPDATES
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        max_ = api.add_user("Max")
        await ask_for_a_person(bot, max_)
        thread = staff.topic().message_thread_id
        card = staff.card(thread)
        await press(bot, staff.mei, card, "claim")  # Mei is staff: claimed
        case = await bot.service.store.case_of_chat(max_.id)
        assert case is not None and case.status == "claimed"

        await api.member_leaves(staff.chat, staff.mei, removed_by=staff.boss)
        await bot.settle()
        # Seconds later, well inside any cache: the removal already counts.
        toast = await press(bot, staff.mei, staff.card(thread), "close")
        assert toast == runtime.catalogs.text("en", "staff.not_staff")
        case = await bot.service.store.case_of_chat(max_.id)
        assert case is not None and case.status == "claimed"


async def test_a_removal_telegram_did_not_report_counts_within_seconds(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    assert MEMBER_TTL <= 5  # the shipped setting: "within seconds"
    # The desk trusts an answer for member_ttl seconds; this test waits one out, so it runs
    # with a shorter one (the same code path) instead of sleeping 5 s.
    ttl = 0.3
    async with staffed_bot(api, runtime, tmp_path, staff, member_ttl=ttl) as bot:
        max_ = api.add_user("Max")
        await ask_for_a_person(bot, max_)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        case = await bot.service.store.case_of_chat(max_.id)
        assert case is not None and case.status == "claimed"
        api.add_member(staff.chat, staff.mei, status="left")  # no update reaches the bot
        await asyncio.sleep(ttl + 0.2)
        toast = await press(bot, staff.mei, staff.card(thread), "close")
        assert toast == runtime.catalogs.text("en", "staff.not_staff")
        case = await bot.service.store.case_of_chat(max_.id)
        assert case is not None and case.status == "claimed"


async def test_once_removed_every_staff_action_is_refused_at_once(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    """Claim, close, relaying to the survivor, /note, /close, /cases and /name: each checks."""
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        store = bot.service.store
        max_, lin = api.add_user("Max"), api.add_user("Lin")
        await ask_for_a_person(bot, max_)
        mine = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(mine), "claim")
        await ask_for_a_person(bot, lin)
        [waiting] = [t.message_thread_id for t in staff.topics() if t.message_thread_id != mine]
        mei = store.staff_pseudonym(staff.mei.id)
        survivor_saw = len(api.bot_messages(max_.id))
        staff_chat_saw = len(api.bot_messages(staff.chat))

        await api.member_leaves(staff.chat, staff.mei, removed_by=staff.boss)
        await bot.settle()
        refused = runtime.catalogs.text("en", "staff.not_staff")
        assert await press(bot, staff.mei, staff.card(waiting), "claim") == refused
        assert await press(bot, staff.mei, staff.card(mine), "close") == refused
        for said in ("are you still there?", "/note call back on Friday", "/close", "/cases",
                     "/name Mei"):  # fmt: skip
            await staff_says(bot, staff, staff.mei, mine, said)
        await staff_says(bot, staff, staff.mei, None, "/cases")
        await quiet()

        assert len(api.bot_messages(max_.id)) == survivor_saw  # nothing relayed, no goodbye
        assert len(api.bot_messages(staff.chat)) == staff_chat_saw  # no answer to a command
        claimed, open_ = await store.case_of_chat(max_.id), await store.case_of_chat(lin.id)
        assert claimed is not None and claimed.status == "claimed"
        assert open_ is not None and open_.status == "open"
        assert await store.notes(claimed.code) == []
        assert await store.transcript(claimed.code) == []
        assert await store.staff_name(mei) is None
        async with store._main.connect() as conn:
            rows = (await conn.execute(text("SELECT event FROM audit_event"))).all()
        assert [e for (e,) in rows].count("staff.denied.not_member") == 2  # both buttons
