"""Country buttons, end to end through the fake Bot API: sorted by the name the survivor
reads, several to a row, with "Leave now" alone at the bottom."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.render import RenderedButton
from bot.channels.telegram.keyboard import markup, width
from bot.i18n.collate import sort_key
from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeMessage

TO_COUNTRY: list[str | list[str]] = [
    "ok", "no", "no", "self", "adult", "shared", "real", "yes", ["social"],
]  # fmt: skip


def _rows(message: FakeMessage) -> list[list[dict[str, Any]]]:
    assert message.reply_markup is not None
    rows: list[list[dict[str, Any]]] = message.reply_markup["inline_keyboard"]
    return rows


@pytest.mark.parametrize(
    ("language", "first", "per_row"),
    [("es", "Alemania", 2), ("de", "Australien", 2), ("zh-hant", None, 3)],
)
async def test_the_country_question_lists_names_in_the_survivors_order_several_a_row(
    bot: Bot, api: FakeBotApi, runtime: Runtime, language: str, first: str | None, per_row: int
) -> None:
    user = api.add_user("Ana", language_code=language)
    await bot.send(user, "/start")
    await bot.walk(user, *TO_COUNTRY)
    question = bot.question(user)
    rows = _rows(question)
    codes = {c.option_id for c in runtime.directory.national()}
    countries = [
        [b["text"] for b in row]
        for row in rows
        if all(b["callback_data"].split(".", 1)[1] in codes for b in row)
    ]
    names = [n for row in countries for n in row]
    lang = {"zh-hant": "zh-TW"}.get(language, language)
    assert names == sorted(names, key=lambda n: sort_key(n, lang)), names
    assert len(names) == len(codes)
    if first:
        assert names[0] == first
    for i, row in enumerate(countries):  # full rows; a long name keeps a row to itself
        following = countries[i + 1][:1] if i + 1 < len(countries) else []
        last_or_long = not following or any(width(n) > 18 for n in [*row, *following])
        assert len(row) == per_row or last_or_long, countries
    assert rows[-1][0]["callback_data"].endswith("._exit") and len(rows[-1]) == 1


async def test_the_crisis_screen_puts_countries_two_a_row_and_leave_now_last(
    bot: Bot, api: FakeBotApi
) -> None:
    user = api.add_user("Sam", language_code="en")
    await bot.send(user, "/start")
    replies = await bot.press(user, "ok")
    replies = await bot.press(user, "yes")  # in danger now: the crisis screen
    crisis = next(m for m in replies if any("_cc:" in d for d in m.callback_data()))
    rows = _rows(crisis)
    countries = [[b["text"] for b in row] for row in rows if "_cc:" in row[0]["callback_data"]]
    assert countries[0] == ["Australia", "Brazil"]
    assert all(len(row) == 2 for row in countries[:-1])
    assert [b["text"] for b in rows[-1]] == ["Leave now"]
    assert sum(len(r) for r in rows) <= 100 and all(len(r) <= 8 for r in rows)  # Telegram's caps


def test_long_names_keep_a_row_each_and_wide_characters_count_double() -> None:
    labels = ["Chile", "Cuba", "Saint Vincent and the Grenadines", "Peru", "Fiji", "Oman"]
    buttons = tuple(RenderedButton(f"c{i}", n, names=True) for i, n in enumerate(labels))
    keyboard = markup("t", (*buttons, RenderedButton("_exit", "Leave now")))
    assert keyboard is not None
    assert [[b.text for b in r] for r in keyboard.inline_keyboard] == [
        ["Chile", "Cuba"],
        ["Saint Vincent and the Grenadines"],
        ["Peru", "Fiji"],  # two a row: three only when every name is short
        ["Oman"],
        ["Leave now"],
    ]
    short = tuple(RenderedButton(f"c{i}", n, names=True) for i, n in enumerate(labels) if i != 2)
    keyboard = markup("t", short)
    assert keyboard is not None
    assert [len(r) for r in keyboard.inline_keyboard] == [3, 2]
    assert width("日本") == 4 and width("Japón") == 5
