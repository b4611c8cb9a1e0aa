"""The fake Bot API driven by the real python-telegram-bot 22 over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebot import FakeBotApi, FakeUser, parse_html, utf16_len

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Urgent", callback_data="triage:urgent")],
     [InlineKeyboardButton("Later", callback_data="triage:later")]]
)  # fmt: skip


async def raw_post(api: FakeBotApi, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as s, s.post(api.method_url(method), **kwargs) as r:
        return r.status, await r.json()


def started_user(api: FakeBotApi, name: str = "Alice") -> FakeUser:
    return api.add_user(name, language_code="uk", started=True)


# --------------------------------------------------------------------------- transport


async def test_envelope_token_and_unknown_method(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "helpline_test_bot"
    assert me.can_read_all_group_messages is False  # privacy mode, like a fresh bot

    async with aiohttp.ClientSession() as s:
        async with s.post(f"{api.base_url}/bot999:wrong/getMe") as r:
            assert r.status == 401
            assert await r.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with s.post(api.method_url("noSuchMethod")) as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with s.get(api.method_url("GETME")) as r:  # GET works, names are case-insensitive
            body = await r.json()
            assert r.status == 200
            assert body["ok"] is True
            assert body["result"]["id"] == 123456

    with pytest.raises(InvalidToken):
        async with Bot(token="999:wrong", base_url=api.url_for_ptb):
            pass


async def test_form_json_multipart_and_query_bodies(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    # PTB: form-urlencoded, non-string values JSON-encoded
    sent = await bot.send_message(alice.id, "hello", reply_markup=KEYBOARD, protect_content=True)
    call = api.calls_to("sendMessage")[-1]
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.params["chat_id"] == alice.id
    assert call.params["text"] == "hello"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "triage:urgent"
    assert sent.has_protected_content is True

    # a JSON body and query-string parameters are accepted too
    status, body = await raw_post(
        api,
        "sendMessage",
        json={"chat_id": alice.id, "text": "12345", "disable_notification": True},
    )
    assert status == 200
    assert body["result"]["text"] == "12345"
    assert api.calls_to("sendMessage")[-1].params["text"] == "12345"  # stays a string
    status, body = await raw_post(
        api, "sendMessage", params={"chat_id": str(alice.id), "text": "q"}
    )
    assert status == 200
    assert body["result"]["chat"] == {
        "id": alice.id,
        "type": "private",
        "first_name": "Alice",
    }

    # multipart upload through PTB
    photo = await bot.send_photo(
        alice.id, InputFile(b"\x89PNG fake", filename="p.png"), caption="c"
    )
    call = api.calls_to("sendPhoto")[-1]
    assert call.content_type == "multipart/form-data"
    [upload] = call.files.values()
    assert upload.data == b"\x89PNG fake"
    assert upload.filename == "p.png"
    assert photo.caption == "c"
    assert photo.photo[-1].width == 1280


# --------------------------------------------------------------------------- messages


async def test_send_edit_delete_round_trip(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    msg = await bot.send_message(
        alice.id, "<b>Hi</b> there", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert msg.text == "Hi there"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 0, 2)]
    assert msg.reply_markup == KEYBOARD
    [stored] = api.visible_messages(alice.id)
    assert stored.outgoing
    assert stored.callback_data() == ["triage:urgent", "triage:later"]

    edited = await bot.edit_message_text("Updated", chat_id=alice.id, message_id=msg.message_id)
    assert edited.text == "Updated"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # omitting reply_markup removes the keyboard

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Updated", chat_id=alice.id, message_id=msg.message_id)
    assert api.calls_to("editMessageText")[-1].description == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    await bot.edit_message_reply_markup(alice.id, msg.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(alice.id, msg.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)

    assert await bot.delete_message(alice.id, msg.message_id) is True
    assert api.visible_messages(alice.id) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice.id, msg.message_id)
    assert api.calls_to("deleteMessage")[-1].description == (
        "Bad Request: message to delete not found"
    )


async def test_bad_html_is_rejected_with_telegrams_words(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    cases = {
        "<foo>x</foo>": 'can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
        "Привет <bar>": 'can\'t parse entities: Unsupported start tag "bar" at byte offset 13',
        "1 < 2": 'can\'t parse entities: Unsupported start tag "" at byte offset 2',
        "<b>bold": "can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        "<b>x</i>": "can't parse entities: Unmatched end tag at byte offset 4, "
        'expected "</b>", found "</i>"',
        "Tom & Jerry": "can't parse entities: Unescaped",
    }
    for text, description in cases.items():
        with pytest.raises(BadRequest) as info:
            await bot.send_message(alice.id, text, parse_mode=ParseMode.HTML)
        assert api.calls[-1].description.startswith("Bad Request: " + description), text
        # PTB strips "Bad Request: " and str.capitalize()s the rest (lower-casing it)
        assert str(info.value).startswith("Can't parse entities: ")
    assert api.visible_messages(alice.id) == []

    ok = await bot.send_message(
        alice.id,
        '&lt;b&gt; &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> '
        '<tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">t</span> <blockquote>q</blockquote> '
        '<pre><code class="language-python">x = 1</code></pre>',
        parse_mode=ParseMode.HTML,
    )
    assert ok.text.startswith("<b> & link s t q x = 1")
    kinds = {e.type: e for e in ok.entities}
    assert kinds["text_link"].url == "https://example.org/?a=1&b=2"
    assert kinds["pre"].language == "python"
    assert "spoiler" in kinds
    assert "blockquote" in kinds


async def test_text_length_is_checked_after_entity_parsing(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    await bot.send_message(alice.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "<b>  </b>", parse_mode=ParseMode.HTML)
    assert len(api.visible_messages(alice.id)) == 1


async def test_callback_data_is_limited_to_64_bytes(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("é", callback_data="é" * 32)]])  # 64 bytes
    await bot.send_message(alice.id, "fits", reply_markup=ok)
    for data in ("x" * 65, "é" * 33):  # 65 and 66 bytes, 65 and 33 characters
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])
        with pytest.raises(BadRequest) as info:
            await bot.send_message(alice.id, "too long", reply_markup=too_long)
        assert api.calls[-1].description == "Bad Request: BUTTON_DATA_INVALID"
        assert str(info.value) == "Button_data_invalid"  # PTB's capitalize() at work
    assert [m.text for m in api.visible_messages(alice.id)] == ["fits"]


async def test_blocked_and_never_started_users_are_forbidden(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    sent = await bot.send_message(alice.id, "before")
    api.block(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "after")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.edit_message_text("edit", chat_id=alice.id, message_id=sent.message_id)
    assert api.calls[-1].status == 403
    assert api.calls[-1].response == {
        "ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user",
    }  # fmt: skip

    stranger = api.add_user("Bob")  # never wrote to the bot
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")


# --------------------------------------------------------------------------- fault injection


async def test_scripted_429_raises_retry_after(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    api.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(alice.id, "flood")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    assert api.calls[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert api.visible_messages(alice.id) == []  # the failed call had no effect
    await bot.send_message(alice.id, "second try")
    assert [m.text for m in api.visible_messages(alice.id)] == ["second try"]

    # faults can target one chat; other chats are unaffected
    bob = started_user(api, "Bob")
    api.fail_next("sendMessage", 403, "Forbidden: user is deactivated", chat_id=bob.id)
    await bot.send_message(alice.id, "alice is fine")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(bob.id, "bob is gone")

    # optional strict flood control over the fake clock
    api.clock.freeze()
    api.enforce_flood_limits(per_chat_per_second=1, retry_after=2)
    await bot.send_message(bob.id, "one")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(bob.id, "two")
    assert info.value.retry_after == dtm.timedelta(seconds=2)
    api.clock.advance(seconds=1.5)
    await bot.send_message(bob.id, "two, later")


async def test_502_is_a_network_error_and_delays_time_out(api: FakeBotApi) -> None:
    alice = started_user(api)
    request = HTTPXRequest(read_timeout=0.2, connect_timeout=1)
    async with Bot(api.token, base_url=api.url_for_ptb, request=request) as bot:
        api.fail_next("sendMessage", 502, times=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway") as info:
                await bot.send_message(alice.id, "x")
            assert not isinstance(info.value, BadRequest)

        api.delay_next("sendMessage", 0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "slow")
        # like Telegram, the server still carries the request out after the client gave up
        [late] = await api.wait_for_messages(alice.id, 1, timeout=3)
        assert late.text == "slow"


# --------------------------------------------------------------------------- deletion rules


async def test_delete_messages_respects_the_48_hour_rule(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    incoming = await api.user_sends(alice, "my story")
    old = [await bot.send_message(alice.id, f"old {i}") for i in range(2)]
    api.clock.advance(hours=47)
    fresh = await bot.send_message(alice.id, "fresh")
    api.clock.advance(hours=2)  # the first three are now 49 h old, `fresh` 2 h old

    ids = [incoming.message_id, *(m.message_id for m in old), fresh.message_id, 9999]
    assert await bot.delete_messages(alice.id, ids) is True  # skips what it can't delete
    assert [m.text for m in api.visible_messages(alice.id)] == ["my story", "old 0", "old 1"]

    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(alice.id, old[0].message_id)
    with pytest.raises(BadRequest, match="Message identifiers are not specified"):
        await bot.delete_messages(alice.id, [])
    with pytest.raises(BadRequest, match="Too many message identifiers specified"):
        await bot.delete_messages(alice.id, list(range(1, 102)))

    # within 48 h the bot may delete the user's incoming messages in private chats
    newer = await api.user_sends(alice, "please forget this")
    assert await bot.delete_message(alice.id, newer.message_id)
    assert newer.deleted


async def test_group_deletion_needs_the_admin_right(api: FakeBotApi, bot: Bot) -> None:
    staff = api.add_user("Staff")
    group = api.add_group("Team", members=[staff], bot_status="member")
    theirs = await api.group_sends(group, staff, "/note hello")
    mine = await bot.send_message(group.id, "bot note")
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(group.id, theirs.message_id)
    assert await bot.delete_message(group.id, mine.message_id)  # own messages: always
    api.set_bot_membership(group, "administrator", ["can_delete_messages"])
    assert await bot.delete_message(group.id, theirs.message_id)
    assert api.visible_messages(group) == []


# --------------------------------------------------------------------------- topics & commands


async def test_forum_topics(api: FakeBotApi, bot: Bot) -> None:
    staff = api.add_user("Staff")
    forum = api.add_forum_group("Helpline staff", members=[staff])
    topic = await bot.create_forum_topic(forum.id, "Case 12", icon_color=7322096)
    assert topic.name == "Case 12"
    assert topic.icon_color == 7322096
    sent = await bot.send_message(forum.id, "new case", message_thread_id=topic.message_thread_id)
    assert sent.is_topic_message
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.chat.is_forum is True
    reply = await api.staff_sends_in_topic(forum, staff, topic.message_thread_id, "on it")
    assert reply.to_api()["is_topic_message"] is True
    assert reply.to_api()["reply_to_message"]["forum_topic_created"]["name"] == "Case 12"

    assert await bot.close_forum_topic(forum.id, topic.message_thread_id)
    assert await bot.delete_forum_topic(forum.id, topic.message_thread_id)
    assert api.visible_messages(forum, thread_id=topic.message_thread_id) == []
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(forum.id, "again", message_thread_id=topic.message_thread_id)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(forum.id, "general", message_thread_id=1)

    plain = api.add_group("Not a forum")
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(plain.id, "x")
    weak = api.add_forum_group("No rights", bot_rights=["can_delete_messages"])
    with pytest.raises(BadRequest, match="Not enough rights to create a topic"):
        await bot.create_forum_topic(weak.id, "x")
    me = await bot.get_chat_member(forum.id, bot.id)
    assert me.status == "administrator"
    assert me.can_manage_topics is True


async def test_commands_scopes_and_languages(api: FakeBotApi, bot: Bot) -> None:
    group = api.add_group("Staff")
    assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    assert await bot.set_my_commands([BotCommand("start", "Почати")], language_code="uk")
    assert await bot.set_my_commands(
        [BotCommand("cases", "Open cases")], scope=BotCommandScopeChat(group.id)
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="uk")] == ["Почати"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(group.id))] == [
        "cases"
    ]
    assert await bot.delete_my_commands(language_code="uk")
    assert await bot.get_my_commands(language_code="uk") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Command", "x")])
    assert await bot.set_my_description("A helpline", language_code="uk")
    assert (await bot.get_my_description("uk")).description == "A helpline"
    assert await bot.set_my_short_description("Help")
    chat = await bot.get_chat(group.id)
    assert chat.title == "Staff"
    assert chat.type == "supergroup"
    assert await bot.leave_chat(group.id)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(group.id, "still here?")


# --------------------------------------------------------------------------- getUpdates


async def test_get_updates_long_polls_and_confirms(api: FakeBotApi, bot: Bot) -> None:
    alice = api.add_user("Alice")
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9  # held for the whole timeout

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    sent_at = time.monotonic()
    await api.user_sends(alice, "/start")
    [update] = await poll
    assert time.monotonic() - sent_at < 1.0  # answered as soon as the update arrived
    assert update.message.text == "/start"
    [entity] = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)

    again = await bot.get_updates()  # not confirmed yet: delivered again
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert api.pending_updates == []

    # A second long poll terminates the first one, like the real server.  (PTB's Bot gives
    # getUpdates its own one-connection pool, so two concurrent polls need two clients.)
    first = asyncio.create_task(raw_post(api, "getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    await api.user_sends(alice, "hello")
    assert [u.message.text for u in await second] == ["hello"]


async def test_application_polling_end_to_end(api: FakeBotApi) -> None:
    alice = api.add_user("Alice", language_code="uk")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("How urgent is it?", reply_markup=KEYBOARD)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You chose: {query.data}")

    async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Received, not stored.")

    app = ApplicationBuilder().token(api.token).base_url(api.url_for_ptb).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.PHOTO | filters.VOICE | filters.Document.ALL, media))
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await app.start()
        try:
            await api.user_sends(alice, "/start")
            [question] = await api.wait_for_messages(alice.id, 1)
            assert question.text == "How urgent is it?"

            qid = await api.user_presses(alice, question, "triage:urgent")
            await api.wait_for(lambda: api.callback_queries[qid].answered)
            await api.wait_for(lambda: question.text == "You chose: triage:urgent")
            assert api.callback_queries[qid].answer["text"] == "Noted"
            assert question.reply_markup is None

            for kind in ("photo", "voice", "document"):
                await api.user_sends_media(alice, kind)
            await api.wait_for_messages(alice.id, 3, after=question)
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.calls_to("getMe")
    assert api.calls_to("deleteWebhook")
    assert api.calls_to("getFile") == []  # the bot never downloads what users send
    assert api.calls_to("copyMessage") == api.calls_to("forwardMessage") == []
    await api.wait_until_consumed()


# --------------------------------------------------------------------------- webhooks


async def test_webhook_delivery_with_secret_and_retries(api: FakeBotApi, bot: Bot) -> None:
    alice = api.add_user("Alice")
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [500]  # the first POST fails, the retry succeeds

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=answers.pop(0) if answers else 200)

    receiver = web.Application()
    receiver.router.add_post("/tg", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token="not allowed!")
        assert await bot.set_webhook(
            f"http://127.0.0.1:{port}/tg", secret_token="s3cr3t_-X", allowed_updates=["message"]
        )
        assert api.calls[-1].response["description"] == "Webhook was set"
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()

        msg = await api.user_sends(alice, "hi there")
        await api.wait_for(lambda: len(received) == 2)
        assert [secret for secret, _ in received] == ["s3cr3t_-X", "s3cr3t_-X"]
        assert received[1][1]["message"]["text"] == "hi there"
        assert received[1][1]["message"]["message_id"] == msg.message_id
        assert [(d.attempt, d.status) for d in api.webhook_deliveries] == [(1, 500), (2, 200)]
        info = await bot.get_webhook_info()
        assert info.url.endswith("/tg")
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        await api.inline_query(alice, "not allowed")  # filtered by allowed_updates
        assert api.dropped_updates[-1]["inline_query"]["query"] == "not allowed"

        assert await bot.delete_webhook()
        await api.user_sends(alice, "polled again")
        [polled] = await bot.get_updates()
        assert polled.message.text == "polled again"
    finally:
        await runner.cleanup()


async def test_webhook_into_an_application_without_updater(api: FakeBotApi) -> None:
    """The production shape: our own aiohttp route feeds PTB's update_queue."""
    alice = api.add_user("Alice")
    app = Application.builder().token(api.token).base_url(api.url_for_ptb).updater(None).build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text.upper())

    app.add_handler(MessageHandler(filters.TEXT, echo))

    async def route(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "topsecret":
            return web.Response(status=401)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post("/webhook", route)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with app:
            await app.start()
            await app.bot.set_webhook(f"http://127.0.0.1:{port}/webhook", secret_token="topsecret")
            await api.user_sends(alice, "quiet please")
            [reply] = await api.wait_for_messages(alice.id, 1)
            assert reply.text == "QUIET PLEASE"
            await app.stop()
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- simulated users


async def test_user_updates_have_bot_api_shapes(api: FakeBotApi, bot: Bot) -> None:
    alice = api.add_user("Alice", username="alice_k", language_code="uk")
    staff = api.add_user("Staff")
    group = api.add_group("Team", members=[staff], bot_status="member")  # privacy mode on
    forum = api.add_forum_group("Cases", members=[staff])
    topic = api.add_topic(forum, "Case 1")
    channel = api.add_channel("News")

    original = await api.user_sends(alice, "/start@helpline_test_bot now")
    for kind in (
        "photo",
        "video",
        "document",
        "voice",
        "video_note",
        "sticker",
        "animation",
        "audio",
    ):
        await api.user_sends_media(alice, kind, caption="c" if kind == "photo" else None)
    await api.user_edits(original, "edited text")
    await api.group_sends(group, staff, "chit-chat the bot must not see")
    await api.group_sends(group, staff, "/help")
    await api.staff_sends_in_topic(forum, staff, topic.message_thread_id, "taking this case")
    await api.channel_post(channel, "announcement")
    await api.bot_added_to_group(api.add_group("New"), by=staff)

    updates = await bot.get_updates(allowed_updates=Update.ALL_TYPES)
    ids = [u.update_id for u in updates]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    first = updates[0].message
    assert first.from_user.language_code == "uk"
    assert first.chat.username == "alice_k"
    assert first.entities[0].type == "bot_command"
    assert first.entities[0].length == 24
    media = {u.message.effective_attachment.__class__.__name__ for u in updates[1:9]}
    assert media == {
        "tuple",
        "Video",
        "Document",
        "Voice",
        "VideoNote",
        "Sticker",
        "Animation",
        "Audio",
    }
    assert updates[1].message.photo[-1].file_size > updates[1].message.photo[0].file_size
    assert updates[9].edited_message.text == "edited text"
    texts = [u.message.text for u in updates if u.message and u.message.chat.id == group.id]
    assert texts == ["/help"]  # privacy mode hides ordinary group chatter
    topic_msg = next(u.message for u in updates if u.message and u.message.chat.id == forum.id)
    assert topic_msg.is_topic_message
    assert topic_msg.message_thread_id == topic.message_thread_id
    assert topic_msg.chat.is_forum
    assert next(u for u in updates if u.channel_post).channel_post.sender_chat.id == channel.id
    added = [u for u in updates if u.my_chat_member]
    assert added[0].my_chat_member.new_chat_member.status == "member"
    assert updates[-1].message.new_chat_members[0].id == bot.id
    for update in updates:
        assert update.api_kwargs == {}  # every field is known to PTB 22.8


async def test_callback_queries_expire(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    sent = await bot.send_message(alice.id, "?", reply_markup=KEYBOARD)
    [msg] = api.visible_messages(alice.id)
    qid = await api.user_presses(alice, msg, "triage:later")
    [update] = await bot.get_updates()
    assert update.callback_query.message.message_id == sent.message_id
    assert update.callback_query.data == "triage:later"
    assert update.callback_query.chat_instance
    api.clock.advance(seconds=60)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(qid)
    with pytest.raises(AssertionError, match="no button"):
        await api.user_presses(alice, msg, "not:a:button")


async def test_copy_forward_and_get_file_are_recorded(api: FakeBotApi, bot: Bot) -> None:
    alice = started_user(api)
    group = api.add_group("Staff")
    photo = await api.user_sends_media(alice, "photo")
    copied = await bot.copy_message(group.id, alice.id, photo.message_id)
    forwarded = await bot.forward_message(group.id, alice.id, photo.message_id)
    assert forwarded.forward_origin.sender_user.id == alice.id
    file = await bot.get_file(photo.media[-1]["file_id"])
    assert file.file_path
    assert file.file_size == photo.media[-1]["file_size"]
    watched = ("copyMessage", "forwardMessage", "getFile")
    assert [c.method for c in api.calls if c.method in watched] == [
        "copyMessage", "forwardMessage", "getFile",
    ]  # fmt: skip
    assert api.message(group, copied.message_id).created_by == "copyMessage"
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


def test_html_parser_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>жирний</b> <i>𝄞x</i>", strict_ampersand=True)
    assert text == "😀 жирний 𝄞x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "italic", "offset": 10, "length": 3},
    ]
    assert utf16_len("😀") == 2
    raw = json.dumps(entities)
    assert "language" not in raw
