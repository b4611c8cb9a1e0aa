"""The Telegram bot end to end: real PTB over HTTP against the fake Bot API, real store."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import aiohttp
import pytest

from bot.channels.telegram import StartupError, TelegramService
from bot.runtime import Runtime
from bot.store import Store
from tests.channels.telegram.harness import SECRET, Bot, running_bot, settings_for
from tests.fakebot import FakeBotApi

ADULT_UK = ["ok", "no", "no", "self", "adult", "shared", "real", "yes", ["social"], "gb", "skip",
            ["removal"]]  # fmt: skip


@pytest.mark.parametrize(("mode", "lang"), [("polling", "en"), ("webhook", "zh-TW")])
async def test_a_full_conversation_ends_in_the_right_resources(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, mode: str, lang: str
) -> None:
    async with running_bot(api, runtime, tmp_path, mode) as bot:
        alice = api.add_user("Alice", language_code=lang)
        welcome = await bot.send(alice, "/start")
        assert runtime.catalogs.text(lang, "welcome.body").splitlines()[0] in welcome[0].text
        assert bot.options(alice) == ["ok", "notnow", "unsure", "_exit"]
        await bot.walk(alice, *ADULT_UK)
        text = bot.text(alice)
        assert "StopNCII" in text and "Revenge Porn Helpline" in text
        results = [m for m in api.bot_messages(alice.id) if "StopNCII.org" in (m.text or "")]
        assert results and all(m.protect_content for m in results)
        assert bot.options(alice)[:1] == ["talk"]
        # Answered questions keep the answer and lose their buttons: nothing to press twice.
        answered = [m for m in api.bot_messages(alice.id) if "✓" in (m.text or "")]
        assert len(answered) >= 10 and all(not m.callback_data() for m in answered)
        assert api.calls_to("getFile") == []


async def test_a_client_language_we_do_not_ship_gets_the_language_picker(
    bot: Bot, api: FakeBotApi, runtime: Runtime
) -> None:
    aino = api.add_user("Aino", language_code="fi")
    await bot.send(aino, "/start")
    assert {f"_lang:{c}" for c in runtime.catalogs.codes} <= set(bot.options(aino))
    await bot.press(aino, "_lang:ko")
    assert runtime.catalogs.text("ko", "safe.question") in bot.text(aino)


async def test_language_command_switches_mid_conversation(bot: Bot, api: FakeBotApi) -> None:
    ana = api.add_user("Ana", language_code="en")
    await bot.send(ana, "/start")
    await bot.press(ana, "ok")
    await bot.send(ana, "/language")
    await bot.press(ana, "_lang:es")
    assert bot.question(ana).text.startswith("Pregunta 2")


async def test_quick_exit_leaves_no_deletable_message_visible(bot: Bot, api: FakeBotApi) -> None:
    bea = api.add_user("Bea")
    await bot.send(bea, "/start")
    await bot.walk(bea, "ok", "no", "no", "self")
    await bot.send(bea, "some words")
    assert len(api.visible_messages(bea.id)) > 8
    await bot.send(bea, "/exit")
    assert api.visible_messages(bea.id) == []
    assert api.calls_to("deleteMessages")
    assert all(len(c.params["message_ids"]) <= 100 for c in api.calls_to("deleteMessages"))
    # Everything was forgotten: a new /start looks like the very first one.
    fresh = await bot.send(bea, "/start")
    assert "Question 1 of about" in fresh[-1].text


async def test_the_exit_button_works_from_an_old_question(bot: Bot, api: FakeBotApi) -> None:
    cy = api.add_user("Cy")
    await bot.send(cy, "/start")
    first = bot.question(cy)
    leave = next(d for d in first.callback_data() if d.endswith("._exit"))
    await bot.walk(cy, "ok", "no")
    await bot.press(cy, "_exit", message=first, data=leave)  # fmt: skip
    assert api.visible_messages(cy.id) == []


async def test_messages_older_than_48_hours_stay_and_the_rest_go(
    bot: Bot, api: FakeBotApi
) -> None:
    dee = api.add_user("Dee")
    await bot.send(dee, "/start")
    old = list(api.visible_messages(dee.id))
    api.clock.advance(hours=49)
    await bot.press(dee, "ok")
    await bot.send(dee, "/exit")
    visible = api.visible_messages(dee.id)
    assert [m.message_id for m in visible] == [m.message_id for m in old]


@pytest.mark.parametrize("kind", ["photo", "video", "document", "voice", "video_note", "sticker",
                                  "animation", "audio"])  # fmt: skip
async def test_media_is_deleted_at_once_never_fetched_and_explained(
    bot: Bot, api: FakeBotApi, kind: str
) -> None:
    eve = api.add_user("Eve")
    await bot.send(eve, "/start")
    replies = await bot.media(eve, kind)
    assert not [m for m in api.messages(eve.id) if m.media_kind and not m.deleted]
    assert "I never need your images" in replies[0].text
    assert api.calls_to("getFile") == [] and api.calls_to("forwardMessage") == []
    assert api.calls_to("copyMessage") == []


async def test_groups_are_left_with_a_short_note(bot: Bot, api: FakeBotApi) -> None:
    admin = api.add_user("Admin")
    group = api.add_group("Some group", members=[admin], supergroup=True)
    await api.bot_added_to_group(group, by=admin)
    await bot.settle()
    assert api.calls_to("leaveChat")
    note = api.bot_messages(group.id)
    assert note and "only talk in private chats" in note[-1].text


async def test_forged_and_stale_buttons_change_nothing(bot: Bot, api: FakeBotApi) -> None:
    fay = api.add_user("Fay")
    await bot.send(fay, "/start")
    first = bot.question(fay)
    await bot.press(fay, "ok")
    for data in ("1.ok", "garbage", "99999.yes", "", "7.__import__('os')", "ü" * 30):
        replies = await bot.press(fay, "x", message=first, data=data)
        assert "earlier question" in replies[0].text
        assert "Are you in danger" in replies[-1].text
    answers = [c for c in api.calls_to("answerCallbackQuery") if c.params.get("text")]
    assert len(answers) >= 6


async def test_a_flood_from_one_chat_slows_it_but_not_others(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, flood_messages=5) as bot:
        gus, hal = api.add_user("Gus"), api.add_user("Hal")
        for i in range(40):
            await api.user_sends(gus, f"message {i}")
        await api.user_sends(hal, "/start")
        await bot.settle(41, within=30)
        gus_texts = [m.text or "" for m in api.bot_messages(gus.id)]
        assert sum("haven't read your last one" in t for t in gus_texts) == 1
        assert len(gus_texts) < 20
        assert "Question 1 of about" in api.bot_messages(hal.id)[-1].text


async def test_a_survivor_who_blocked_the_bot_is_not_retried(bot: Bot, api: FakeBotApi) -> None:
    ivy = api.add_user("Ivy")
    await bot.send(ivy, "/start")
    api.block(ivy)
    before = len(api.calls_to("sendMessage"))
    await api.user_sends(ivy, "/help")
    await bot.settle()
    assert len(api.calls_to("sendMessage")) == before + 1  # one try, no loop


async def test_429_is_waited_out_and_the_reply_still_arrives(bot: Bot, api: FakeBotApi) -> None:
    jo = api.add_user("Jo")
    api.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    replies = await bot.send(jo, "/start")
    assert time.monotonic() - started >= 1
    assert replies and "Hello" in replies[0].text


async def test_5xx_delays_a_reply_but_never_loses_it(bot: Bot, api: FakeBotApi) -> None:
    kim = api.add_user("Kim")
    api.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    replies = await bot.send(kim, "/start")
    assert replies and "Hello" in replies[0].text
    api.fail_next("sendMessage", 502, "Bad Gateway", times=6)  # a Bot API in trouble for a while
    replies = await bot.send(kim, "/help")  # retried by the outbox until it arrives
    assert [m.text for m in replies if "scripted helpline assistant" in (m.text or "")]
    assert len(replies) == len({m.text for m in replies})  # and only once


async def test_survivor_text_is_escaped_in_formatted_messages(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    from bot.flow.screens import StaffStatus

    async with running_bot(api, runtime, tmp_path) as bot:
        bot.service.bridge.desk = _NoStaff(StaffStatus(open_now=True))  # handoff reachable
        lee = api.add_user("Lee")
        await bot.send(lee, "/start")
        await bot.walk(lee, *ADULT_UK, "talk", "share")
        await bot.send(lee, "<b>bold</b> & <script> *stars* _x_")
        await bot.send(lee, "/mydata")
        assert "<b>bold</b> & <script> *stars* _x_" in bot.text(lee)


async def test_conversation_state_survives_a_restart_mid_flow(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    mo = api.add_user("Mo")
    async with running_bot(api, runtime, tmp_path) as bot:
        await bot.send(mo, "/start")
        await bot.walk(mo, "ok", "no", "no", "self")
    async with running_bot(api, runtime, tmp_path) as bot:
        await bot.press(mo, "adult")
        assert "What is happening?" in bot.question(mo).text


async def test_a_button_from_before_a_restart_by_an_unknown_user_is_handled(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    ned = api.add_user("Ned")
    async with running_bot(api, runtime, tmp_path / "a") as bot:
        await bot.send(ned, "/start")
    async with running_bot(api, runtime, tmp_path / "b") as bot:  # a fresh database
        replies = await bot.press(ned, "ok")
        assert replies and bot.question(ned)


async def test_edited_messages_and_long_texts_get_a_kind_answer(bot: Bot, api: FakeBotApi) -> None:
    oz = api.add_user("Oz")
    sent = await bot.send(oz, "/start")
    mine = [m for m in api.messages(oz.id) if not m.outgoing][-1]
    before = len(api.bot_messages(oz.id))
    await api.user_edits(mine, "/stop")
    await bot.settle()
    assert "can't see changes" in api.bot_messages(oz.id)[before].text
    replies = await bot.send(oz, "x" * 4096)
    assert "Please choose one of the options" in replies[0].text
    assert sent


async def test_the_command_menu_is_set_per_language(bot: Bot, api: FakeBotApi) -> None:
    default = api.my_commands(None, "")
    assert [c["command"] for c in default][:2] == ["start", "help"]
    zh = api.my_commands(None, "zh")
    assert zh and zh[1]["description"] != default[1]["description"]
    for code in ("ar", "de", "es", "fa", "fr", "hi", "id", "ja", "ko", "pt", "th", "tl", "vi"):
        menu = api.my_commands(None, code)  # every shipped language has its menu
        assert menu and menu[1]["description"] != default[1]["description"], code


async def test_crisis_words_get_numbers_in_the_very_next_reply(bot: Bot, api: FakeBotApi) -> None:
    pat = api.add_user("Pat", language_code="en")
    await bot.send(pat, "/start")
    replies = await bot.send(pat, "I just want to kill myself")
    text = replies[0].text  # country not known yet: the international line, then where are you
    assert "findahelpline.com" in text and "I'll show the numbers for your country" in text


async def test_webhook_rejects_requests_without_the_right_secret(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        url = f"http://127.0.0.1:{bot.webhook_port}"
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                  "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False,
                  "first_name": "X"}}}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/telegram", json=update) as r:
                assert r.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(f"{url}/telegram", json=update, headers=headers) as r:
                assert r.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(f"{url}/telegram", data="{not json", headers=headers) as r:
                assert r.status == 400
            async with http.get(f"{url}/healthz") as r:
                assert r.status == 200
            async with http.get(f"{url}/readyz") as r:
                assert r.status == 200 and (await r.json())["ready"]
            async with http.get(f"{url}/metrics") as r:
                assert r.status == 404  # off unless HELPLINE_METRICS_TOKEN is set
        assert api.calls_to("sendMessage") == []  # nothing was processed
        [hook] = api.calls_to("setWebhook")
        assert hook.params["secret_token"] == SECRET


async def test_a_redelivered_update_is_applied_once(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        url = f"http://127.0.0.1:{bot.webhook_port}/telegram"
        update = {"update_id": 777, "message": {"message_id": 3, "date": int(time.time()),
                  "text": "/start", "entities": [{"type": "bot_command", "offset": 0,
                  "length": 6}], "chat": {"id": 4242, "type": "private", "first_name": "R"},
                  "from": {"id": 4242, "is_bot": False, "first_name": "R"}}}  # fmt: skip
        api.private_chat(api.add_user("R", user_id=4242, started=True))
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                async with http.post(url, json=update, headers=headers) as r:
                    assert r.status == 200
        await bot.service.courier.drained()
        assert len(api.bot_messages(4242)) == 1  # the language picker, once


async def test_startup_problems_are_one_clear_line(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    settings = settings_for(api, tmp_path, telegram_token="999:not-the-right-token")
    store = await Store.open(settings)
    try:
        service = TelegramService(settings, runtime, store)
        with pytest.raises(StartupError, match="rejected"):
            await service.start()
        unreachable = settings_for(api, tmp_path, telegram_api_url="http://127.0.0.1:9")
        with pytest.raises(StartupError, match="cannot reach"):
            await TelegramService(unreachable, runtime, store).start()
        with pytest.raises(StartupError, match="does not look like a bot token"):
            TelegramService(settings_for(api, tmp_path, telegram_token="nope"), runtime, store)
    finally:
        await store.close()


@pytest.mark.bench
async def test_median_time_of_a_full_triage(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prints the figure for the issue note; asserts only that every run reached results (as
    the first test here does). A benchmark: left out of the suite, run with `-m bench`."""
    async with running_bot(api, runtime, tmp_path) as bot:
        times = []
        for i in range(5):
            user = api.add_user(f"T{i}")
            started = time.perf_counter()
            await bot.send(user, "/start")
            await bot.walk(user, *ADULT_UK)
            times.append(time.perf_counter() - started)
            assert "StopNCII" in bot.text(user)
    with capsys.disabled():
        print(f"\nfull triage against the fake Bot API: median {statistics.median(times):.2f} s")


class _NoStaff:
    """A staff desk that accepts handoffs and does nothing (the real one is in bot/staff)."""

    def __init__(self, status: object) -> None:
        self._status = status
        self.wake = lambda: None

    def owns(self, chat_id: int) -> bool:
        return False

    def status(self) -> object:
        return self._status

    async def handle(self, update: object) -> None:
        return None

    async def opened(self, chat_id: int, state: object) -> None:
        return None

    def relay_op(self, text: str, withheld: str | None) -> dict[str, object]:
        return {"k": "staff"}

    async def deliver(self, chat_id: int, op: object, sender: object) -> None:
        await asyncio.sleep(0)

    async def survivor_left(self, chat_id: int, reason: str) -> None:
        return None


async def test_logs_at_debug_never_carry_ids_names_text_or_the_token(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bot.logs import configure

    configure("DEBUG")
    try:
        async with running_bot(api, runtime, tmp_path) as bot:
            canary = api.add_user("CanaryFirst", username="canary_user", user_id=918273645)
            await bot.send(canary, "/start")
            await bot.walk(canary, "ok", "no", "no")
            await bot.send(canary, "CANARY-TEXT-5f3a my ex posted my photos")
            await bot.media(canary, "photo")
            api.block(canary)
            await api.user_sends(canary, "/help")
            await bot.settle()
    finally:
        logging.getLogger().handlers.clear()
    out, err = capfd.readouterr()
    logs = out + err
    assert "DEBUG" in logs or "INFO" in logs  # something was logged
    for secret in ("918273645", "CanaryFirst", "canary_user", "CANARY-TEXT-5f3a", api.token):
        assert secret not in logs, secret


async def test_typing_in_another_language_gets_an_offer_not_a_switch(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    from bot.i18n.detect import LanguageDetector

    detector = LanguageDetector(runtime.catalogs.codes).detect
    async with running_bot(api, runtime, tmp_path, detector=detector) as bot:
        val = api.add_user("Val", language_code="en")
        await bot.send(val, "/start")
        replies = await bot.send(val, "alguien publicó mis fotos sin permiso")
        assert "Español" in replies[-1].text and "_yes" in bot.options(val)
        assert "is it safe for you to chat" in bot.text(val)  # still English until they say so
        await bot.press(val, "_yes")
        assert "Pregunta 1" in bot.question(val).text
