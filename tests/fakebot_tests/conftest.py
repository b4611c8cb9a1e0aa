"""Fixtures for the fake Bot API's own tests.

The project runs pytest with ``--import-mode=importlib`` and ``pythonpath = ["."]``, so the
fake is imported as ``tests.fakebot``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.fakebot import FakeBotApi


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 returns datetime.timedelta for time periods (e.g. RetryAfter.retry_after) only
    # with this set; without it, it returns ints and emits a deprecation warning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token="123456:TEST-token") as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        token=api.token, base_url=api.url_for_ptb, base_file_url=api.file_url_for_ptb
    ) as b:
        yield b
