"""Run the real bot (PTB Application, store, bridge) against the fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY

from bot.channels.telegram import TelegramService
from bot.channels.telegram.sender import Sender
from bot.config import Settings
from bot.runtime import Runtime
from bot.staff.desk import MEMBER_TTL, StaffDesk
from bot.store import Store
from bot.web.app import make_app
from tests.fakebot import FakeBotApi
from tests.fakebot.models import FakeMessage, FakeUser

SECRET = "test-secret_123"


def handled() -> float:
    return REGISTRY.get_sample_value("helpline_update_seconds_count") or 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bot:
    """The bot under test plus helpers to talk to it as a survivor would."""

    api: FakeBotApi
    service: TelegramService
    settings: Settings
    webhook_port: int | None = None
    task: asyncio.Task[None] | None = None  # polling: the loop (a test may kill it)
    _seen: float = field(default_factory=handled)

    async def settle(self, updates: int = 1, within: float = 10.0) -> None:
        """Wait until the bot has finished handling `updates` more updates."""
        target = self._seen + updates
        deadline = time.monotonic() + within
        while handled() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"bot handled {handled() - self._seen} of {updates} updates")
            await asyncio.sleep(0.005)
        self._seen = handled()
        await self.service.courier.drained(max(deadline - time.monotonic(), 1.0))
        if isinstance(self.service.desk, StaffDesk):  # relays to staff run in the background
            await asyncio.wait_for(self.service.desk.drained(), deadline - time.monotonic() + 1)

    async def send(self, user: FakeUser, text: str) -> list[FakeMessage]:
        before = len(self.api.bot_messages(user.id))
        await self.api.user_sends(user, text)
        await self.settle()
        return self.api.bot_messages(user.id)[before:]

    async def press(self, user: FakeUser, option: str, message: FakeMessage | None = None,
                    data: str | None = None) -> list[FakeMessage]:  # fmt: skip
        """Press the button for `option` on the last question (or on `message`)."""
        target = message or self.question(user)
        if data is None:
            data = next(d for d in target.callback_data() if d.split(".", 1)[1] == option)
        before = len(self.api.bot_messages(user.id))
        await self.api.user_presses(user, target, data, check_button=False)
        await self.settle()
        return self.api.bot_messages(user.id)[before:]

    async def media(self, user: FakeUser, kind: str) -> list[FakeMessage]:
        before = len(self.api.bot_messages(user.id))
        await self.api.user_sends_media(user, kind)
        await self.settle()
        return self.api.bot_messages(user.id)[before:]

    def question(self, user: FakeUser) -> FakeMessage:
        """The latest bot message that still has buttons."""
        for m in reversed(self.api.bot_messages(user.id)):
            if not m.deleted and m.callback_data():
                return m
        raise AssertionError("no question with buttons in the chat")

    def options(self, user: FakeUser) -> list[str]:
        return [d.split(".", 1)[1] for d in self.question(user).callback_data()]

    def text(self, user: FakeUser) -> str:
        return "\n".join(m.text or "" for m in self.api.visible_messages(user.id))

    async def walk(self, user: FakeUser, *options: str | list[str]) -> None:
        for option in options:
            if isinstance(option, list):
                for o in option:
                    await self.press(user, o)
                await self.press(user, "_done")
            else:
                await self.press(user, option)


def fake_clock(api: FakeBotApi) -> Callable[[], dt.datetime]:
    return lambda: dt.datetime.fromtimestamp(api.clock.now(), dt.UTC)


def settings_for(api: FakeBotApi, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_token": api.token,
        "telegram_api_url": api.base_url,
        "data_dir": data_dir,
        "flood_messages": 30,
        "telegram_rate_limit": False,  # the fake enforces no limits unless a test asks
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    api: FakeBotApi,
    runtime: Runtime,
    data_dir: Path,
    mode: str = "polling",
    detector: Callable[[str], str | None] | None = None,
    send_timeout: float = 5.0,
    member_ttl: float = MEMBER_TTL,
    **overrides: Any,
) -> AsyncIterator[Bot]:
    port = free_port() if mode == "webhook" else None
    if port is not None:
        overrides.setdefault("webhook_url", f"http://127.0.0.1:{port}/telegram")
        overrides.setdefault("webhook_secret", SECRET)
        overrides.setdefault("listen", f"127.0.0.1:{port}")
    settings = settings_for(api, data_dir, **overrides)
    # With a staff chat, the store, bridge and desk all run on the fake's clock, so a test
    # moves time (re-announcements, topic deletion) with api.clock.advance().
    clock = fake_clock(api) if settings.staff_chat_id is not None else None
    store = await Store.open(settings, clock=clock)

    def desk(sender: Sender) -> StaffDesk:
        return StaffDesk(
            settings, runtime, store, sender, clock=clock, tick=0.02, member_ttl=member_ttl
        )

    service = TelegramService(
        settings, runtime, store, webhook=mode == "webhook", retry_wait=0.01, detector=detector,
        courier_poll=0.05, send_timeout=send_timeout, poll_pause=0.05,
        desk=desk if clock is not None else None, clock=clock,
    )  # fmt: skip
    bot = Bot(api, service, settings, port)
    try:
        if mode == "webhook":
            runner = web.AppRunner(make_app(service), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                yield bot
            finally:
                await runner.cleanup()
        else:
            stop = asyncio.Event()
            task = bot.task = asyncio.create_task(service.run_polling(stop))
            await api.wait_for_call("getUpdates", timeout=10, finished=False)
            try:
                yield bot
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 20)
    finally:
        await store.close()
