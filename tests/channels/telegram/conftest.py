"""The fake Bot API and a running bot, shared by the Telegram tests (a file may define its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.runtime import Runtime
from tests.channels.telegram.harness import Bot, running_bot
from tests.fakebot import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi, runtime: Runtime, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(api, runtime, tmp_path) as b:
        yield b
