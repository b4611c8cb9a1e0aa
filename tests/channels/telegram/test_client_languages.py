"""A Telegram user whose app speaks one of the sixteen languages gets the welcome in it."""

from __future__ import annotations

from pathlib import Path

from bot.flow.replies import Text
from bot.runtime import Runtime
from tests.channels.telegram.harness import running_bot
from tests.fakebot import FakeBotApi

# Telegram's language_code as apps send it -> the locale that should answer.
CLIENT_CODES = {
    "en": "en", "ar": "ar", "de": "de", "es": "es", "fa": "fa", "fil": "fil", "fr": "fr",
    "hi": "hi", "id": "id", "ja": "ja", "ko": "ko", "pt-br": "pt-BR", "th": "th", "vi": "vi",
    "zh-hans": "zh-Hans", "zh-hant": "zh-TW",
}  # fmt: skip


async def test_every_client_language_gets_the_welcome_in_its_language(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    assert sorted(CLIENT_CODES.values()) == sorted(runtime.catalogs.codes)
    async with running_bot(api, runtime, tmp_path) as bot:
        for client, locale in CLIENT_CODES.items():
            user = api.add_user(f"U-{client}", language_code=client)
            replies = await bot.send(user, "/start")
            welcome = runtime.renderer.plain(Text.of("welcome.body"), locale)
            assert replies and welcome.split("\n")[0] in (replies[0].text or ""), client
