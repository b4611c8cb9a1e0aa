"""Fixtures for the staff handoff tests: the fake Bot API with a staff forum supergroup."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakebot import FakeBotApi
from tests.staff.helpers import Staff, staff_world


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def staff(api: FakeBotApi) -> Staff:
    return staff_world(api)
