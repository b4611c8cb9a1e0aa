"""The staff handoff end to end: real PTB over HTTP against the fake Bot API, real store.

A survivor asks for a person, staff in a forum supergroup claim the case, talk through the
bot, and close it; the topic goes after the configured delay. Time is the fake's clock.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from functools import partial
from pathlib import Path

import pytest

from bot.channels.telegram import StartupError, TelegramService
from bot.runtime import Runtime
from bot.staff.desk import StaffDesk
from bot.store import Store
from tests.channels.telegram.harness import Bot, settings_for
from tests.channels.telegram.test_bot import ADULT_UK
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeMessage
from tests.staff.helpers import (
    SURVIVOR_ID,
    Staff,
    ask_for_a_person,
    press,
    quiet,
    staff_says,
    staffed_bot,
)


def first_line(runtime: Runtime, lang: str, key: str, **params: object) -> str:
    text = runtime.catalogs.text(lang, key).splitlines()[0]
    for name, value in params.items():
        text = text.replace(f"{{{name}}}", str(value))
    return text


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
async def test_a_full_handoff_claim_talk_both_ways_close_and_topic_deleted(
    api: FakeBotApi,
    runtime: Runtime,
    tmp_path: Path,
    staff: Staff,
    lang: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    t = runtime.catalogs.text
    async with staffed_bot(api, runtime, tmp_path, staff, topic_delete_minutes=60) as bot:
        zoe = api.add_user("Zoe", language_code=lang, username="zoe_private")
        await bot.send(zoe, "/start")
        await bot.walk(zoe, *ADULT_UK)
        started = time.perf_counter()
        await bot.press(zoe, "talk")
        await bot.press(zoe, "share")
        told = await bot.send(zoe, "Please call me Z & use <care>")

        # One topic, named by the case code; the card with Claim and Close.
        topic = staff.topic()
        case = await bot.service.store.case_of_chat(zoe.id)
        assert case is not None and case.thread_id == topic.message_thread_id
        assert topic.name == t("en", "staff.topic_name").replace("{code}", case.code)
        card = staff.card(topic.message_thread_id)
        assert [d.split(":")[1] for d in card.callback_data()] == ["claim", "close"]
        assert "Please call me Z & use <care>" in card.text  # escaped, shown as typed
        assert "United Kingdom" in card.text and "Take care" not in card.text
        assert told[-1].text == t(lang, "handoff.queued_first")

        # Claim: the survivor hears that a person joined.
        toast = await press(bot, staff.mei, card, "claim")
        assert toast == t("en", "staff.claimed_toast")
        assert api.last_bot_message(zoe.id).text == t(lang, "handoff.joined")
        card = staff.card(topic.message_thread_id)
        assert [d.split(":")[1] for d in card.callback_data()] == ["close"]
        assert "Claimed by Mei." in card.text

        # Both ways, as the bot's own messages.
        await bot.send(zoe, "I am scared they will post it")
        assert "I am scared they will post it" in staff.in_topic(topic.message_thread_id)[-1].text
        await staff_says(bot, staff, staff.mei, topic.message_thread_id, "We can help. Breathe.")
        reply = api.last_bot_message(zoe.id)
        assert reply.text == f"{t(lang, 'handoff.team_name')}\nWe can help. Breathe."
        assert reply.protect_content

        # Close: a kind goodbye with resources; the topic stays for the delay, then goes.
        await press(bot, staff.mei, staff.card(topic.message_thread_id), "close")
        goodbye = api.last_bot_message(zoe.id).text
        assert first_line(runtime, lang, "handoff.closed") in goodbye
        assert "Samaritans" in goodbye  # the UK crisis line among their resources
        assert not api.topics(staff.chat)[0].is_deleted
        api.clock.advance(minutes=61)
        await api.wait_for(lambda: staff.topics() == [], timeout=5)
        elapsed = time.perf_counter() - started

        # The conversation left handoff mode: new text is not relayed any more.
        before = len(api.calls_to("sendMessage"))
        await bot.send(zoe, "one more thing")
        assert all(c.params["chat_id"] != staff.chat.id
                   for c in api.calls_to("sendMessage")[before:])  # fmt: skip
    assert api.calls_to("forwardMessage") == [] and api.calls_to("copyMessage") == []
    with capsys.disabled():
        print(f"\nfull handoff ({lang}) against the fake Bot API: {elapsed:.2f} s")


async def test_neither_side_ever_sees_the_others_account(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        zoe = api.add_user("Zelda", last_name="Quince", username="zelda_secret_42",
                           user_id=SURVIVOR_ID)  # fmt: skip
        await ask_for_a_person(bot, zoe, note="hello")
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        await bot.send(zoe, "it's me")
        await staff_says(bot, staff, staff.mei, thread, "Hi, how can I help?")
        await bot.media(zoe, "photo")
        await staff_says(bot, staff, staff.mei, None, "/cases")
        await press(bot, staff.mei, staff.card(thread), "close")

    staff_side = staff.everything() + json.dumps(
        [c.params for c in api.calls if c.params.get("chat_id") == staff.chat.id], default=str
    )
    for secret in (str(SURVIVOR_ID), "Zelda", "Quince", "zelda_secret_42"):
        assert secret not in staff_side, secret
    survivor_side = json.dumps(
        [m.to_api() for m in api.messages(zoe.id, include_deleted=True) if m.outgoing]
        + [c.params for c in api.calls if c.params.get("chat_id") == zoe.id],
        default=str, ensure_ascii=False,
    )  # fmt: skip
    for secret in (str(staff.mei.id), "Mei", "Lin", "mei_at_work", str(staff.chat.id),
                   "Helpline staff"):  # fmt: skip
        assert secret not in survivor_side, secret
    for method in ("forwardMessage", "forwardMessages", "copyMessage", "copyMessages"):
        assert api.calls_to(method) == []


async def test_the_staff_chat_must_be_a_forum_where_the_bot_manages_topics(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    plain = api.add_group("Not a forum", supergroup=True)
    weak = api.add_forum_group("No rights", bot_rights=("can_delete_messages",))
    for chat, says in ((plain, "not a forum"), (weak, "manage topics"), (-100999, "cannot see")):
        chat_id = chat if isinstance(chat, int) else chat.id
        settings = settings_for(api, tmp_path, staff_chat_id=chat_id)
        store = await Store.open(settings)
        try:
            desk = partial(StaffDesk, settings, runtime, store)
            service = TelegramService(settings, runtime, store, desk=desk)
            with pytest.raises(StartupError, match=says):
                await service.start()
            await service.stop()
        finally:
            await store.close()


async def test_outside_hours_the_survivor_hears_when_and_gets_crisis_lines(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    saturday_noon = dt.datetime(2026, 3, 7, 4, 0, tzinfo=dt.UTC)  # 12:00 in Taipei
    api.clock.set(saturday_noon.timestamp())
    async with staffed_bot(api, runtime, tmp_path, staff,
                           staff_hours="Mon-Fri 09:00-17:00 Asia/Taipei") as bot:  # fmt: skip
        kai = api.add_user("Kai", language_code="en")
        await bot.send(kai, "/start")
        await bot.walk(kai, *ADULT_UK, "talk", "share", "_skip")
        told = api.last_bot_message(kai.id).text
        assert told.startswith("The team isn't available right now; they'll be back on "
                               "Mon, Mar 9, 9:00\u202fAM (Taiwan Time).")  # fmt: skip
        assert "116 123" in told  # Samaritans, for someone in the UK
        thread = staff.topic().message_thread_id
        assert "Outside opening hours" in staff.card(thread).text
        # Nobody is there to hear a re-announcement at night: none until the team is back.
        api.clock.advance(hours=6)
        await quiet()
        assert len(staff.in_topic(thread)) == 1
        api.clock.set(dt.datetime(2026, 3, 9, 1, 0, 30, tzinfo=dt.UTC).timestamp())  # Monday 9:00
        await api.wait_for(lambda: len(staff.in_topic(thread)) == 2)
        assert "has been waiting for 45 hours" in staff.in_topic(thread)[-1].text


async def test_an_unclaimed_case_is_announced_again_until_someone_claims_it(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff, reannounce_minutes=30) as bot:
        lee = api.add_user("Lee")
        await ask_for_a_person(bot, lee)
        thread = staff.topic().message_thread_id
        api.clock.advance(minutes=29)
        await quiet()
        assert len(staff.in_topic(thread)) == 1  # just the card
        api.clock.advance(minutes=2)
        await api.wait_for(lambda: len(staff.in_topic(thread)) == 2)
        reminder = staff.in_topic(thread)[-1]
        assert "has been waiting for 31 minutes and nobody has claimed it yet" in reminder.text
        api.clock.advance(minutes=31)
        await api.wait_for(lambda: len(staff.in_topic(thread)) == 3)
        assert "62 minutes" in staff.in_topic(thread)[-1].text
        await press(bot, staff.ana, staff.in_topic(thread)[-1], "claim")  # from the reminder
        assert api.last_bot_message(lee.id).text == runtime.catalogs.text("en", "handoff.joined")
        count = len(staff.in_topic(thread))
        api.clock.advance(minutes=61)
        await quiet()
        assert len(staff.in_topic(thread)) == count  # claimed: no more reminders
        # /cases shows what waits and for how long, and nothing of what anyone said.
        await staff_says(bot, staff, staff.ana, None, "/cases")
        listing = staff.general()[-1].text
        case = await bot.service.store.case_of_chat(lee.id)
        assert case is not None and f"{case.code}: claimed 61 minutes ago" in listing


@pytest.mark.parametrize("how", ["/exit", "/delete"])
async def test_a_survivor_leaving_mid_handoff_ends_the_case_and_its_topic(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff, how: str
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        ivy = api.add_user("Ivy")
        await ask_for_a_person(bot, ivy, note="I might have to go suddenly")
        thread = staff.topic().message_thread_id
        case = await bot.service.store.case_of_chat(ivy.id)
        assert case is not None
        await press(bot, staff.mei, staff.card(thread), "claim")
        await bot.send(ivy, how)
        if how == "/delete":
            await bot.press(ivy, "_yes")
        else:
            assert api.visible_messages(ivy.id) == []  # quick exit wiped the chat
        assert staff.topics() == []  # at once, with everything said in it
        notice = staff.general()[-1].text
        assert notice == runtime.catalogs.text("en", "staff.survivor_erased").replace(
            "{code}", case.code
        )
        assert await bot.service.store.case_of_chat(ivy.id) is None  # erased
        assert await bot.service.store.handoff_case(case.code) is None
        # Staff writing now reach nobody, and the topic is not re-created for them.
        assert await bot.service.store.topics_due() == []


async def test_only_members_of_the_staff_chat_can_claim(
    api: FakeBotApi,
    runtime: Runtime,
    tmp_path: Path,
    staff: Staff,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        max_ = api.add_user("Max")
        await ask_for_a_person(bot, max_)
        thread = staff.topic().message_thread_id
        card = staff.card(thread)
        survivor_before = len(api.bot_messages(max_.id))
        toast = await press(bot, staff.outsider, card, "claim")
        assert toast == runtime.catalogs.text("en", "staff.not_staff")
        case = await bot.service.store.case_of_chat(max_.id)
        assert case is not None and case.status == "open"
        # A forged button from a real member: a case that is not this topic's.
        qid = await api.user_presses(staff.mei, card, "staff:claim:ZZZZ-2222", check_button=False)
        await bot.settle()
        assert api.callback_queries[qid].answer["text"] == runtime.catalogs.text(  # type: ignore[index]
            "en", "staff.unknown_case"
        )
        assert (await bot.service.store.case_of_chat(max_.id)).status == "open"  # type: ignore[union-attr]
        assert len(api.bot_messages(max_.id)) == survivor_before  # nothing reached the survivor
        # First press wins; a colleague's press a moment later changes nothing.
        await press(bot, staff.mei, card, "claim")
        qid = await api.user_presses(staff.ana, card, f"staff:claim:{case.code}",
                                     check_button=False)  # fmt: skip
        await bot.settle()
        taken = runtime.catalogs.text("en", "staff.already_claimed")
        assert api.callback_queries[qid].answer == {**api.callback_queries[qid].answer,  # type: ignore[dict-item]
                                                    "text": taken}  # fmt: skip
        claimed = await bot.service.store.case_of_chat(max_.id)
        assert claimed is not None
        assert claimed.claimed_by == bot.service.store.staff_pseudonym(staff.mei.id)
    assert "outside the staff chat" in caplog.text
    assert str(staff.outsider.id) not in caplog.text and "Mallory" not in caplog.text


async def test_media_is_never_relayed_either_way(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        sam = api.add_user("Sam")
        await ask_for_a_person(bot, sam)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        survivor_before = len(api.bot_messages(sam.id))
        await api.user_sends_media(staff.mei, "photo", chat=staff.chat, thread_id=thread)
        await bot.settle()
        not_sent = runtime.catalogs.text("en", "staff.media_not_sent")
        assert staff.in_topic(thread)[-1].text == not_sent
        assert len(api.bot_messages(sam.id)) == survivor_before  # nothing reached the survivor
        replies = await bot.media(sam, "video")
        assert "didn't pass it on" in replies[0].text
        assert not [m for m in api.messages(sam.id) if m.media_kind and not m.deleted]
        assert staff.in_topic(thread)[-1].text == runtime.catalogs.text("en", "staff.withheld")
    for method in ("getFile", "forwardMessage", "copyMessage", "sendPhoto", "sendVideo"):
        assert api.calls_to(method) == [], method


async def test_markup_characters_are_shown_as_typed_both_ways(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:  # the fake rejects bare & and <
        ola = api.add_user("Ola")
        await ask_for_a_person(bot, ola, note="<b>note</b> & <i>more</i>")
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
        await bot.send(ola, "<b>bold</b> & Tom's <script>")
        shown = staff.in_topic(thread)[-1]
        assert shown.text == "Survivor:\n<b>bold</b> & Tom's <script>"
        assert _formatting(shown) == ["bold"]  # only the bot's own label
        await staff_says(bot, staff, staff.mei, thread, "<i>x</i> & <a href='y'>z</a> 5 < 6")
        reply = api.last_bot_message(ola.id)
        assert reply.text.endswith("\n<i>x</i> & <a href='y'>z</a> 5 < 6")
        assert _formatting(reply) == ["bold"]  # the signature


async def test_a_survivor_who_blocked_the_bot_is_reported_once_and_not_retried(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    blocked = runtime.catalogs.text("en", "staff.blocked")
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        uma, vic = api.add_user("Uma"), api.add_user("Vic")
        for survivor in (uma, vic):
            await ask_for_a_person(bot, survivor)
        uma_topic, vic_topic = (t.message_thread_id for t in staff.topics())
        for thread in (uma_topic, vic_topic):
            await press(bot, staff.mei, staff.card(thread), "claim")

        # Uma blocks the bot: Telegram says so at once, and staff are told.
        await api.user_blocks_bot(uma)
        await bot.settle()
        assert staff.text(uma_topic).count(blocked) == 1
        # Vic blocks it silently: the first reply that bounces tells staff.
        api.block(vic)
        for survivor, thread in ((uma, uma_topic), (vic, vic_topic)):
            tries = len(_sends_to(api, survivor.id))
            for text in ("Are you there?", "I'll wait here."):
                await staff_says(bot, staff, staff.mei, thread, text)
            assert len(_sends_to(api, survivor.id)) - tries == 2  # one try each: no retry loop
            assert staff.text(thread).count(blocked) == 1
            assert staff.in_topic(thread)[-1].text == runtime.catalogs.text(
                "en", "staff.undelivered_blocked"
            )


async def test_the_relay_survives_a_restart_in_the_middle_of_a_handoff(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    wes = api.add_user("Wes", language_code="ko")
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        await ask_for_a_person(bot, wes)
        thread = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(thread), "claim")
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:  # a new process
        await staff_says(bot, staff, staff.mei, thread, "Still here after a restart")
        assert api.last_bot_message(wes.id).text == "상담팀\nStill here after a restart"
        await bot.send(wes, "고마워요")
        assert staff.in_topic(thread)[-1].text == "Survivor:\n고마워요"
        await staff_says(bot, staff, staff.mei, thread, "/close")
        assert "상담팀이 이 대화를 종료했어요" in api.last_bot_message(wes.id).text
    async with staffed_bot(api, runtime, tmp_path, staff):  # and another: the deletion is kept
        assert staff.topics() != []
        api.clock.advance(minutes=61)
        await api.wait_for(lambda: staff.topics() == [])


async def test_only_the_claimer_writes_and_nothing_outside_case_topics_is_relayed(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    t = runtime.catalogs.text
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        xia = api.add_user("Xia")
        await ask_for_a_person(bot, xia)
        thread = staff.topic().message_thread_id
        await staff_says(bot, staff, staff.mei, thread, "hello?")  # not claimed yet
        assert staff.in_topic(thread)[-1].text == t("en", "staff.claim_first")
        await press(bot, staff.mei, staff.card(thread), "claim")
        survivor_before = len(api.bot_messages(xia.id))
        await staff_says(bot, staff, staff.ana, thread, "I'll take over")  # a colleague
        assert staff.in_topic(thread)[-1].text == t("en", "staff.not_yours")
        await staff_says(bot, staff, staff.ana, None, "lunch anyone?")  # General
        other = api.add_topic(staff.chat, "Rota")  # a topic that is no case
        await staff_says(bot, staff, staff.mei, other.message_thread_id, "I'm off Friday")
        await staff_says(bot, staff, staff.mei, thread, "/note prefers evenings")
        assert staff.in_topic(thread)[-1].text == t("en", "staff.note_saved")
        await staff_says(bot, staff, staff.mei, None, "/note in the wrong place")
        assert staff.general()[-1].text == t("en", "staff.topic_only")
        assert len(api.bot_messages(xia.id)) == survivor_before  # none of it reached them
        case = await bot.service.store.case_of_chat(xia.id)
        assert case is not None
        assert [n.text for n in await bot.service.store.notes(case.code)] == ["prefers evenings"]
        # A display name chosen on purpose signs the claimer's messages from now on.
        await staff_says(bot, staff, staff.mei, None, "/name Mei")
        await staff_says(bot, staff, staff.mei, thread, "Hi, I'm here.")
        assert api.last_bot_message(xia.id).text == "Mei, Helpline team\nHi, I'm here."
        # A colleague cannot close someone else's case; the group's owner can.
        await staff_says(bot, staff, staff.ana, thread, "/close")
        assert staff.in_topic(thread)[-1].text == t("en", "staff.not_yours_close")
        await staff_says(bot, staff, staff.boss, thread, "/close")
        assert (await bot.service.store.handoff_case(case.code)).status == "closed"  # type: ignore[union-attr]
        events = await _audit(bot)
        assert {"handoff.claimed", "staff.note", "staff.relayed", "staff.denied.relay",
                "staff.denied.close", "handoff.closed", "staff.name"} <= set(events)  # fmt: skip


async def test_a_case_topic_deleted_by_hand_is_opened_again_with_its_context(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        yan = api.add_user("Yan")
        await ask_for_a_person(bot, yan)
        old = staff.topic().message_thread_id
        await press(bot, staff.mei, staff.card(old), "claim")
        await bot.send(yan, "first words")
        await staff_says(bot, staff, staff.mei, old, "first answer")
        api.remove_topic(staff.chat, old)
        await bot.send(yan, "are you still there?")
        new = staff.topic().message_thread_id
        assert new != old
        text = staff.text(new)
        assert text.startswith(runtime.catalogs.text("en", "staff.card.reopened"))
        assert "first words" in text and "first answer" in text
        assert text.endswith("Survivor:\nare you still there?")
        assert [d.split(":")[1] for d in staff.card(new).callback_data()] == ["close"]
        await staff_says(bot, staff, staff.mei, new, "yes, here")
        assert api.last_bot_message(yan.id).text.endswith("yes, here")


async def test_the_staff_chat_gets_its_own_command_menu(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff):
        menu = api.my_commands({"type": "chat", "chat_id": staff.chat.id})
        assert [c["command"] for c in menu] == ["cases", "note", "close", "name", "help"]
        assert "human" in [c["command"] for c in api.my_commands(None, "")]


async def _audit(bot: Bot) -> list[str]:
    from sqlalchemy import text

    async with bot.service.store._main.connect() as conn:
        rows = await conn.execute(text("SELECT event FROM audit_event ORDER BY id"))
        return [r[0] for r in rows]


def _formatting(message: FakeMessage) -> list[str]:
    """Formatting entities (Telegram also marks /commands and links in any text by itself)."""
    styles = ("bold", "italic", "underline", "strikethrough", "code", "pre", "text_link")
    return [e["type"] for e in message.entities if e["type"] in styles]


async def test_debug_logs_of_a_handoff_carry_no_ids_names_or_words(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import logging

    from bot.logs import configure

    configure("DEBUG")
    try:
        async with staffed_bot(api, runtime, tmp_path, staff) as bot:
            zoe = api.add_user("Zelda", username="zelda_secret_42", user_id=SURVIVOR_ID)
            await ask_for_a_person(bot, zoe, note="CANARY-NOTE-77aa")
            thread = staff.topic().message_thread_id
            await press(bot, staff.outsider, staff.card(thread), "claim")
            await press(bot, staff.mei, staff.card(thread), "claim")
            await bot.send(zoe, "CANARY-SURVIVOR-91bc")
            await staff_says(bot, staff, staff.mei, thread, "CANARY-STAFF-3c3c")
            await staff_says(bot, staff, staff.mei, thread, "/note CANARY-NOTE-88dd")
            await api.user_blocks_bot(zoe)
            await bot.settle()
            await staff_says(bot, staff, staff.mei, thread, "CANARY-STAFF-4d4d")
            await staff_says(bot, staff, staff.mei, thread, "/close")
    finally:
        logging.getLogger().handlers.clear()
    out, err = capfd.readouterr()
    logs = out + err
    assert "outside the staff chat" in logs  # the refusal is logged...
    ids = [str(SURVIVOR_ID), str(staff.mei.id), str(staff.outsider.id), str(staff.chat.id)]
    names = ["Zelda", "zelda_secret_42", "mei_at_work", "Mallory", "CANARY", api.token]
    secrets = ids + names
    for secret in secrets:
        assert secret not in logs, secret  # ...and nothing names anyone or quotes anything


def _sends_to(api: FakeBotApi, chat_id: int) -> list[object]:
    return [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == chat_id]
