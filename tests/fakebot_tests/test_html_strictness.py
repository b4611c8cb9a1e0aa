"""The fake refuses what Telegram refuses: bidi isolates inside tags, unknown or unclosed
tags, over-long texts and callback data, for new messages and for edits alike."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from tests.fakebot import FakeBotApi
from tests.fakebot.markup import EntityParseError, parse_html

LRI, PDI = "\u2066", "\u2069"
PARSE = "Bad Request: can't parse entities: "
UNMATCHED = "Unmatched end tag at byte offset 4"


async def _refused(api: FakeBotApi, bot: Bot, chat: int, text: str) -> str:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        await bot.send_message(chat, text, parse_mode=ParseMode.HTML)
    return str(api.calls[-1].description)


async def test_an_isolate_inside_a_tag_is_refused_as_telegram_does(
    api: FakeBotApi, bot: Bot
) -> None:
    alice = api.add_user("Alice", started=True)
    cases = {  # the Arabic bug: "/b" of "</b>" wrapped in LRI…PDI
        "<b>اكتب</b>": None,
        f"<b>اكتب<{LRI}/b{PDI}>": f'Unsupported start tag "{LRI}/b{PDI}" at byte offset 11',
        f"<b{LRI}>x</b>": f'Unsupported start tag "b{LRI}" at byte offset 0',
        f"<b>x</b{PDI}>": f'{UNMATCHED}, expected "</b>", found "</b{PDI}>"',
        f"<b>x</{LRI}b>": f'{UNMATCHED}, expected "</b>", found "</{LRI}b>"',
    }
    for text, error in cases.items():
        if error is None:
            await bot.send_message(alice.id, text, parse_mode=ParseMode.HTML)
            continue
        assert await _refused(api, bot, alice.id, text) == PARSE + error
    # Between tags, isolates are ordinary characters inside the entity.
    ok = await bot.send_message(
        alice.id, f"<b>اكتب {LRI}/exit{PDI}</b>", parse_mode=ParseMode.HTML
    )
    assert ok.text == f"اكتب {LRI}/exit{PDI}"
    bold = [(e.offset, e.length) for e in ok.entities if e.type == "bold"]
    assert bold == [(0, 12)]
    assert len(api.visible_messages(alice.id)) == 2


async def test_unknown_and_unclosed_tags_are_refused(api: FakeBotApi, bot: Bot) -> None:
    alice = api.add_user("Alice", started=True)
    cases = {
        "<p>x</p>": 'Unsupported start tag "p" at byte offset 0',
        "a<br>b": 'Unsupported start tag "br" at byte offset 1',
        "<b><div>x</div></b>": 'Unsupported start tag "div" at byte offset 3',
        "<b><i>x</i>": 'Can\'t find end tag corresponding to start tag "b"',
        '<a href="https://example.org">x': 'Can\'t find end tag corresponding to start tag "a"',
        "<b": "Unclosed start tag at byte offset 0",
        "<b>x</b": "Unclosed end tag at byte offset 4",
        "x</b>": "Unexpected end tag at byte offset 1",
    }
    for text, error in cases.items():
        assert await _refused(api, bot, alice.id, text) == PARSE + error, text
    assert api.visible_messages(alice.id) == []


async def test_edits_are_held_to_the_same_rules(api: FakeBotApi, bot: Bot) -> None:
    alice = api.add_user("Alice", started=True)
    sent = await bot.send_message(alice.id, "<b>first</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Can't parse entities"):
        await bot.edit_message_text(
            f"<b>x<{LRI}/b{PDI}>", alice.id, sent.message_id, parse_mode=ParseMode.HTML
        )
    with pytest.raises(BadRequest, match="too long"):
        await bot.edit_message_text("a" * 4097, alice.id, sent.message_id)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="é" * 33)]])
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=too_long)
    assert api.calls[-1].description == "Bad Request: BUTTON_DATA_INVALID"
    [shown] = api.visible_messages(alice.id)
    assert shown.text == "first" and not shown.callback_data()


def test_the_parser_refuses_what_the_server_refuses() -> None:
    """parse_html itself, for tests that check rendered text without sending it."""
    with pytest.raises(EntityParseError, match="Unsupported start tag"):
        parse_html(f"<b>x<{LRI}/b{PDI}>")
    with pytest.raises(EntityParseError, match="Unescaped"):
        parse_html("Tom & Jerry")
    assert parse_html("Tom & Jerry", strict_ampersand=False) == ("Tom & Jerry", [])
    assert parse_html(f"{LRI}/exit{PDI} &amp; <i>x</i>")[0] == f"{LRI}/exit{PDI} & x"
