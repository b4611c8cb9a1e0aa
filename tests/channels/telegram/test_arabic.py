"""An Arabic-speaking survivor, end to end through the fake Bot API: crisis help arrives."""

from __future__ import annotations

import logging
import re

import pytest

from bot.channels.render import LRI, PDI
from bot.flow import keys
from bot.flow.crisis import CrisisMatcher
from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeMessage

# An adult in the UK whose real images were shared on social media, wanting them removed.
ADULT_UK: list[str | list[str]] = [
    "ok", "no", "no", "self", "adult", "shared", "real", "yes", ["social"], "gb", "skip",
    ["removal"],
]  # fmt: skip
_ISOLATE = re.compile("[\u2066-\u2069]")


def _reads_left_to_right(text: str, *pieces: str) -> None:
    """Each piece (a number, "/exit") sits inside its own left-to-right isolate."""
    for piece in pieces:
        at = text.index(piece)
        before = _ISOLATE.findall(text[:at])
        assert before and before[-1] == LRI, f"{piece!r} is not isolated left to right"
        assert PDI in text[at + len(piece) :][:80], f"{piece!r} isolate never closes"


def _refused(api: FakeBotApi) -> list[str]:
    return [
        str((c.response or {}).get("description"))
        for c in api.calls
        if c.method.lower() in ("sendmessage", "editmessagetext") and not c.ok
    ]


async def test_an_arabic_survivor_who_types_they_want_to_die_gets_the_crisis_screen(
    bot: Bot, api: FakeBotApi, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    amal = api.add_user("أمل", language_code="ar")
    welcome = await bot.send(amal, "/start")
    assert any("/exit" in (m.text or "") for m in welcome)
    _reads_left_to_right(bot.text(amal), "/exit")

    phrase = CrisisMatcher.parse_list(runtime.catalogs.text("ar", keys.CRISIS_WORDS["selfharm"]))
    replies = await bot.send(amal, phrase[0])

    crisis = replies[0]
    assert crisis.text is not None
    assert crisis.text.startswith(runtime.catalogs.text("ar", keys.CRISIS_SELFHARM)[:20])
    _reads_left_to_right(crisis.text, "https://findahelpline.com")  # before a country is known
    # Telling the bot where they are brings that country's lines, still reading correctly.
    [uk] = [d for d in crisis.callback_data() if d.endswith("_cc:gb")]
    await api.user_presses(amal, crisis, uk)
    await bot.settle()
    crisis = api.bot_messages(amal.id)[-1]
    assert crisis.text is not None
    assert "999" in crisis.text and "116 123" in crisis.text  # the UK's emergency and Samaritans
    _reads_left_to_right(crisis.text, "116 123", "999")
    assert {"bold"} <= {e["type"] for e in crisis.entities}  # service names: markup kept
    assert "<" not in crisis.text  # no tag turned into text
    assert _refused(api) == [] and "plain text" not in caplog.text


async def test_an_arabic_survivor_walks_the_flow_and_gets_results(
    bot: Bot, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    amal = api.add_user("أمل", language_code="ar")
    await bot.send(amal, "/start")
    await bot.walk(amal, *ADULT_UK)
    results: list[FakeMessage] = [
        m for m in api.bot_messages(amal.id) if "StopNCII" in (m.text or "")
    ]
    assert results and all(m.protect_content for m in results)
    text = "\n".join(m.text or "" for m in results)
    assert "Revenge Porn Helpline" in text and "<" not in text
    assert any(e["type"] == "bold" for m in results for e in m.entities)
    _reads_left_to_right(text, "0345 6000 459")  # the helpline's number, left to right
    assert _refused(api) == [] and "plain text" not in caplog.text
    # Answered questions show the answer, in Arabic, edited in place without a refusal.
    assert sum("✓" in (m.text or "") for m in api.bot_messages(amal.id)) >= 10
