"""The running Telegram bot: PTB Application, the bridge, the purge, and start-up checks.

Long polling by default; with HELPLINE_WEBHOOK_URL the aiohttp app in bot/web serves the
webhook instead. Either way every update goes through `Bridge.handle`, and all state lives in
the store, so several webhook workers can serve one bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.channels.telegram.bridge import Bridge, Desk
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.pacer import Limits, Pacer
from bot.channels.telegram.sender import Courier, Sender
from bot.config import Settings
from bot.flow import keys
from bot.metrics import PURGED
from bot.runtime import Runtime
from bot.store import PurgeReport, Store, StoreUnavailable

log = logging.getLogger(__name__)
# chat_member: Telegram says at once when someone leaves the staff chat (their rights end).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]
TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{5,}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Sends wait this long for Telegram before the outbox treats them as ambiguous (see Courier):
# well above a healthy Bot API's answer, below the outbox lease.
SEND_READ_TIMEOUT_S = 40.0
POLL_SECONDS = 30  # getUpdates long-poll


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class StartupError(Exception):
    """One line telling the operator what to fix."""


def config_problems(settings: Settings) -> list[str]:
    problems = []
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token:
        problems.append(
            "HELPLINE_TELEGRAM_TOKEN is not set: create a bot with @BotFather and pass its token "
            "(or try `helpline demo`, which needs none)"
        )
    elif not TOKEN.match(token):
        problems.append(
            "HELPLINE_TELEGRAM_TOKEN does not look like a bot token (digits, a colon, then "
            "letters, digits, - or _)"
        )
    api = urlparse(settings.telegram_api_url)
    if api.scheme not in ("http", "https") or not api.netloc:
        problems.append(
            f"HELPLINE_TELEGRAM_API_URL must be an http(s) URL such as https://api.telegram.org, "
            f"not {settings.telegram_api_url!r}"
        )
    if settings.webhook_url:
        hook = urlparse(settings.webhook_url)
        if hook.scheme not in ("http", "https") or not hook.netloc:
            problems.append("HELPLINE_WEBHOOK_URL must be a full https:// URL")
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        if not SECRET.match(secret):
            problems.append(
                "HELPLINE_WEBHOOK_SECRET must be set with the webhook: 1-256 characters of "
                "A-Z, a-z, 0-9, _ and - (the same on every worker)"
            )
        host, _, port = settings.listen.rpartition(":")
        if not host or not port.isdigit():
            problems.append(f"HELPLINE_LISTEN must be host:port, not {settings.listen!r}")
    return problems


DeskFactory = Callable[[Sender], Desk]  # the staff desk is built on the service's Sender


def _count_purged(report: PurgeReport) -> None:
    for what in ("conversations", "cases", "tracked", "updates", "keys", "audit", "transcripts"):
        PURGED.labels(what=what).inc(getattr(report, what))


class TelegramService:
    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        store: Store,
        *,
        webhook: bool = False,
        desk: DeskFactory | None = None,
        limits: Limits | None = None,
        retry_wait: float = 0.5,
        send_timeout: float = SEND_READ_TIMEOUT_S,
        courier_poll: float = 1.0,
        poll_pause: float = 2.0,
        detector: Callable[[str], str | None] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        problems = config_problems(settings)
        if problems:
            raise StartupError(problems[0])
        self.settings = settings
        self.runtime = runtime
        self.store = store
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        api = settings.telegram_api_url
        # One pacer for every message this process sends (the outbox's and the few sent
        # directly); PTB's own rate limiter is not used (see pacer.py for why).
        self.pacer = Pacer(limits) if settings.telegram_rate_limit else None
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .request(AiohttpRequest(64, read_timeout=15, connect_timeout=10))
            .get_updates_request(AiohttpRequest(1, read_timeout=40, connect_timeout=10))
        )
        builder = builder.updater(None)  # polling is ours (run_polling): at least once
        self.application = builder.build()
        self.sender = Sender(
            self.application.bot,
            runtime.renderer,
            settings.protect_content,
            wait=retry_wait,
            pacer=self.pacer,
        )
        self.desk = desk(self.sender) if desk is not None else None
        # The outbox's own sender: one try per call (the outbox retries, knowing what is
        # ambiguous), and a read timeout long enough for a slow Telegram.
        self.courier = Courier(
            store,
            Sender(
                self.application.bot,
                runtime.renderer,
                settings.protect_content,
                attempts=1,
                read_timeout=send_timeout,
                pacer=self.pacer,
            ),
            poll=courier_poll,
            backoff=retry_wait * 2,
            on_blocked=self._blocked,
            staff=self.desk.deliver if self.desk is not None else None,
        )
        if self.desk is not None:
            self.desk.wake = self.courier.wake
        self.bridge = Bridge(
            settings,
            runtime.engine,
            runtime.catalogs,
            runtime.renderer,
            store,
            self.sender,
            detector=detector,
            desk=self.desk,
            wake=self.courier.wake,
        )
        if clock is not None:
            self.bridge.clock = clock
        self._purge_task: asyncio.Task[None] | None = None
        self._poll_pause = poll_pause
        self.started = False

    async def _blocked(self, chat_id: int) -> None:
        log.info("a survivor has blocked the bot; stopped writing to them")
        if self.desk is not None:
            await self.desk.survivor_left(chat_id, "blocked")  # staff are told, once

    async def start(self) -> None:
        """Check the token against the API, set the command menu, start the purge."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise StartupError(
                "Telegram rejected HELPLINE_TELEGRAM_TOKEN: check it with @BotFather"
            ) from None
        except NetworkError as exc:
            raise StartupError(
                f"cannot reach the Telegram Bot API at {self.settings.telegram_api_url} "
                f"({type(exc).__name__}); check the network or HELPLINE_TELEGRAM_API_URL"
            ) from None
        await self.set_commands()
        if self.desk is not None:
            await self.desk.start()  # checks the staff chat: a clear line if it is wrong
        self._purge_task = asyncio.create_task(
            self.store.purge_forever(_count_purged), name="purge"
        )
        await self.courier.start()
        self.started = True

    async def stop(self) -> None:
        """Within half of HELPLINE_SHUTDOWN_SECONDS (the other half is for the updates in
        flight): finish the sends in flight (a quarter at most; what is left stays in the
        outbox for the next sender), stop the rest."""
        self.started = False
        budget = self.settings.shutdown_seconds / 2
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                await self.courier.stop(grace=budget / 2)  # a quarter of the whole
                if self.desk is not None:
                    await self.desk.stop()
                if self._purge_task is not None:
                    self._purge_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._purge_task
        except TimeoutError:
            log.warning("shutdown: gave up waiting after %.0f s", time.monotonic() - started)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(max(1.0, budget - (time.monotonic() - started))):
                await self.application.shutdown()

    async def set_commands(self) -> None:
        """The command menu, in every offered language Telegram can tell apart."""
        catalogs = self.runtime.catalogs
        names = [
            "start",
            "help",
            "language",
            "restart",
            "mydata",
            "delete",
            "resume",
            "about",
            "exit",
        ]
        if self.bridge.desk is not None:
            names.insert(2, "human")
        seen: set[str | None] = set()
        for code in [None, *catalogs.codes]:
            # setMyCommands takes ISO 639-1 only: Filipino's is Tagalog's "tl"
            language = code.split("-")[0].replace("fil", "tl") if code else None
            if language in seen or language == "en":
                continue
            seen.add(language)
            commands = [
                BotCommand(name, catalogs.text(code, keys.COMMAND_MENU[name])[:256])
                for name in names
            ]
            try:
                await self.application.bot.set_my_commands(commands, language_code=language)
            except TelegramError as exc:
                log.warning("could not set the command menu (%s): %s", language, exc)

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Long polling until `stop` is set, confirming updates only once they are applied.

        Telegram forgets an update when a later getUpdates names an offset past it. That
        offset is sent only after the whole batch was handled (each update committed with its
        replies in the outbox), so a crash mid-batch gets the batch again: what was applied
        comes back as duplicates and changes nothing, the rest is applied. An update the store
        could not take holds the offset at itself and is fetched again after a pause.
        """
        await self.start()
        bot = self.application.bot
        offset: int | None = None
        try:
            await bot.delete_webhook()  # getUpdates is refused while a webhook is set
            log.info("polling Telegram for updates (Ctrl-C to stop)")
            while not stop.is_set():
                fetch = asyncio.create_task(
                    bot.get_updates(
                        offset=offset,
                        timeout=POLL_SECONDS,
                        allowed_updates=ALLOWED_UPDATES,
                        read_timeout=POLL_SECONDS + 10,
                    )
                )
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not fetch.done():  # stopping: what was not fetched stays with Telegram
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, TelegramError):
                        await fetch
                    break
                try:
                    updates = fetch.result()
                except TelegramError as exc:
                    log.warning("getUpdates failed (%s); trying again", type(exc).__name__)
                    await _pause(stop, self._poll_pause)
                    continue
                if not updates:
                    continue
                held = await self._finish(self._apply_batch(updates), stop)
                offset = held if held is not None else updates[-1].update_id + 1
                if held is not None:
                    await _pause(stop, self._poll_pause)
        finally:
            await self.stop()

    async def _finish(
        self, batch: Coroutine[Any, Any, int | None], stop: asyncio.Event
    ) -> int | None:
        """Run a batch; once stopping, give it half the shutdown time, then hand the rest
        back to Telegram (raises CancelledError: the offset is not confirmed)."""
        task = asyncio.create_task(batch)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                done, _ = await asyncio.wait({task}, timeout=self.settings.shutdown_seconds / 2)
                if not done:
                    log.warning("shutdown: updates still being handled are left to Telegram")
                    task.cancel()
            return await task
        finally:
            stopping.cancel()

    async def _apply_batch(self, updates: Sequence[Update]) -> int | None:
        """Handle a batch: chats at the same time, each chat's updates in order. Returns the
        first update id the store could not take (to fetch again), or None."""
        chats: dict[int, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            chats.setdefault(chat.id if chat is not None else 0, []).append(update)
        refused: list[int] = []

        async def run(queue: list[Update]) -> None:
            for update in queue:
                try:
                    await self.bridge.handle(update)
                except StoreUnavailable:
                    refused.append(update.update_id)
                    return  # this chat's later updates wait for it
                except Exception as exc:  # a bug: logged, and not fetched forever
                    log.error("update failed: %s", type(exc).__name__)

        await asyncio.gather(*(run(queue) for queue in chats.values()))
        return min(refused) if refused else None
