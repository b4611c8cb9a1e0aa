"""The aiohttp transport keeps PTB's meaning of failures, which the outbox's retries rely on:
a slow answer is a timeout (ambiguous: it may have arrived), no server is a network error."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.http import AiohttpRequest
from tests.fakebot import FakeBotApi

from .harness import free_port


async def test_calls_arrive_and_failures_keep_their_meaning(api: FakeBotApi) -> None:
    user = api.add_user("Ida", started=True)
    api.private_chat(user)
    bot = Bot(api.token, base_url=f"{api.base_url}/bot", request=AiohttpRequest())
    async with bot:
        sent = await bot.send_message(user.id, "<b>hello</b>", parse_mode="HTML")
        assert api.last_bot_message(user.id).text == "hello"
        assert sent.message_id == api.last_bot_message(user.id).message_id
        api.delay_next("sendMessage", 2.0)
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "slow", read_timeout=0.2)
        api.fail_next("sendMessage", 500)
        with pytest.raises(NetworkError):
            await bot.send_message(user.id, "a 5xx")
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{free_port()}/bot{api.token}/getMe")
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_the_outbox_s_plain_calls_fail_as_ptb_s_do(api: FakeBotApi) -> None:
    """The outbox sends without PTB's objects (`AiohttpRequest.call`): the message arrives
    with its buttons, and every failure the outbox's retries rely on is the same exception
    PTB raises for it."""
    user = api.add_user("Ida", started=True)
    api.private_chat(user)
    request = AiohttpRequest()
    bot = Bot(api.token, base_url=f"{api.base_url}/bot", request=request)
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "t.yes"}]]}

    async def send(text: str, wait: float | None = 5.0) -> object:
        params = {"chat_id": user.id, "text": text, "parse_mode": "HTML",
                  "reply_markup": keyboard, "protect_content": True}  # fmt: skip
        return await request.call(f"{bot.base_url}/sendMessage", params, wait)

    async with bot:
        sent = await send("<b>hello</b>")
        message = api.last_bot_message(user.id)
        assert message.text == "hello" and message.callback_data() == ["t.yes"]
        assert isinstance(sent, dict) and sent["message_id"] == message.message_id
        for status, expected in ((429, RetryAfter), (400, BadRequest), (403, Forbidden),
                                 (500, NetworkError)):  # fmt: skip
            api.fail_next("sendMessage", status)
            with pytest.raises(expected):
                await send("refused")
        api.delay_next("sendMessage", 2.0)
        with pytest.raises(TimedOut):
            await send("slow", wait=0.2)
    assert "refused" not in [m.text for m in api.bot_messages(user.id)]  # failed: not sent
