"""A message whose markup Telegram refuses still reaches the survivor, as plain text."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot as PtbBot
from telegram.error import BadRequest

from bot.channels.render import Renderer
from bot.channels.telegram.sender import Sender
from bot.flow import keys
from bot.i18n.catalog import Catalogs
from bot.runtime import Runtime
from tests.channels.telegram.harness import running_bot
from tests.fakebot import FakeBotApi

BROKEN = " <p>Bitte</p> <b>bleib</b> &amp; rede mit uns."  # <p>: a tag Telegram does not know


@pytest.fixture
async def ptb(api: FakeBotApi) -> AsyncIterator[PtbBot]:
    async with PtbBot(api.token, base_url=api.url_for_ptb) as bot:
        yield bot


def _with_broken(catalogs: Catalogs, code: str, key: str) -> Catalogs:
    """A copy of the catalogs where one translation carries markup Telegram refuses."""
    copied = copy.deepcopy(catalogs)
    catalog = copied.by_code[code]
    message = catalog.messages[key]
    forms = tuple(form + BROKEN for form in message.forms)
    catalog.messages[key] = dataclasses.replace(message, forms=forms)
    return copied


def _refusals(api: FakeBotApi, method: str) -> list[str]:
    return [
        str((c.response or {}).get("description"))
        for c in api.calls
        if c.method.lower() == method.lower() and not c.ok
    ]


async def test_a_crisis_screen_with_a_broken_translation_arrives_as_plain_text(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    broken = _with_broken(runtime.catalogs, "en", keys.CRISIS_SELFHARM)
    patched = dataclasses.replace(runtime, renderer=Renderer(broken))
    async with running_bot(api, patched, tmp_path) as bot:
        pat = api.add_user("Pat", language_code="en")
        await bot.send(pat, "/start")
        replies = await bot.send(pat, "I just want to kill myself")

    crisis = replies[0]
    assert crisis.text is not None
    assert crisis.text.startswith(runtime.catalogs.text("en", keys.CRISIS_SELFHARM))
    assert "Bitte bleib & rede mit uns." in crisis.text  # tags gone, &amp; decoded
    assert "https://findahelpline.com" in crisis.text  # the short list before a country
    assert any(d.endswith("_cc:gb") for d in crisis.callback_data())  # the buttons came along
    assert not [e for e in crisis.entities if e["type"] == "bold"]  # sent without parse_mode
    [refusal] = _refusals(api, "sendMessage")
    assert "can't parse entities" in refusal
    warnings = [r for r in caplog.records if "plain text" in r.getMessage()]
    assert len(warnings) == 1
    assert "Bitte" not in caplog.text and "kill" not in caplog.text
    assert "findahelpline" not in caplog.text


async def test_send_and_edit_fall_back_to_plain_text(
    api: FakeBotApi, ptb: PtbBot, runtime: Runtime
) -> None:
    user = api.add_user("Alice", started=True)
    sender = Sender(ptb, runtime.renderer, wait=0.01)

    sent = await sender.send(user.id, "<b>Hold on</b> <⁦/b⁩> 1 &lt; 2")
    assert sent.text == "Hold on  1 < 2" and not sent.entities
    edited = await sender.edit(user.id, sent.message_id, "<b>Still here</b> <p>x")
    assert edited
    [shown] = api.visible_messages(user.id)
    assert shown.text == "Still here x"
    assert len(_refusals(api, "sendMessage")) == len(_refusals(api, "editMessageText")) == 1

    good = await sender.send(user.id, "<b>Fine</b>")
    assert [e["type"] for e in api.visible_messages(user.id)[-1].entities] == ["bold"]
    assert good.text == "Fine" and len(_refusals(api, "sendMessage")) == 1


async def test_other_refusals_are_not_retried_as_plain_text(
    api: FakeBotApi, ptb: PtbBot, runtime: Runtime
) -> None:
    user = api.add_user("Alice", started=True)
    sender = Sender(ptb, runtime.renderer, wait=0.01)
    with pytest.raises(BadRequest, match="too long"):
        await sender.send(user.id, "x" * 5000)
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 1
