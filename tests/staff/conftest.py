"""Fixtures for the staff handoff tests: the fake Bot API with a staff forum supergroup."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture(autouse=True)
def _staff_chat_is_protected(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test here: each message the bot sent to the staff chat is protect_content.

    Case cards, relayed survivor messages and notices alike: none of them can be forwarded or
    saved, so no copy outlives the topic's deletion.
    """
    world: Staff | None = None
    if "staff" in request.fixturenames:
        world = request.getfixturevalue("staff")
    yield
    if world is None:
        return
    sent = [c for c in world.api.calls_to("sendMessage")
            if str(c.params.get("chat_id")) == str(world.chat.id)]  # fmt: skip
    unprotected = [c.params.get("text") for c in sent if not c.params.get("protect_content")]
    assert unprotected == []
