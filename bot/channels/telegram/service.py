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
from collections.abc import Callable
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.channels.telegram.bridge import Bridge, Desk
from bot.channels.telegram.sender import Courier, Sender
from bot.config import Settings
from bot.flow import keys
from bot.metrics import PURGED
from bot.runtime import Runtime
from bot.store import PurgeReport, Store

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{5,}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Sends wait this long for Telegram before the outbox treats them as ambiguous (see Courier):
# well above a healthy Bot API's answer, below the outbox lease.
SEND_READ_TIMEOUT_S = 40.0


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


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of one chat in order, different chats at the same time (in this process)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: object) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else 0
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine  # type: ignore[misc]
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


DeskFactory = Callable[[Sender], Desk]  # the staff desk is built on the service's Sender


def _count_purged(report: PurgeReport) -> None:
    for what in ("conversations", "cases", "tracked", "updates", "keys", "audit"):
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
        rate_limiter: BaseRateLimiter[int] | None = None,
        retry_wait: float = 0.5,
        send_timeout: float = SEND_READ_TIMEOUT_S,
        courier_poll: float = 1.0,
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
        limiter: BaseRateLimiter[int] | None = rate_limiter or (
            AIORateLimiter(max_retries=3) if settings.telegram_rate_limit else None
        )
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .concurrent_updates(PerChatProcessor(64))
            .connect_timeout(10)
            .read_timeout(15)
            .write_timeout(15)
            .get_updates_read_timeout(40)
        )
        if limiter is not None:
            builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
        if webhook:
            builder = builder.updater(None)
        self.application = builder.build()
        self.sender = Sender(
            self.application.bot, runtime.renderer, settings.protect_content, wait=retry_wait
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
            ),
            poll=courier_poll,
            backoff=retry_wait * 2,
            on_blocked=self._blocked,
        )
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
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._purge_task: asyncio.Task[None] | None = None
        self.started = False

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await self.bridge.handle(update)

    async def _blocked(self, chat_id: int) -> None:
        log.info("a survivor has blocked the bot; stopped writing to them")
        if self.desk is not None:
            await self.desk.survivor_left(chat_id, "blocked")  # staff are told, once

    async def _on_error(self, _: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error("update failed: %s", type(error).__name__ if error else "unknown error")

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
        self.started = False
        await self.courier.stop()
        if self.desk is not None:
            await self.desk.stop()
        if self._purge_task is not None:
            self._purge_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purge_task
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
            language = code.split("-")[0] if code else None
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
        """Long polling until `stop` is set."""
        await self.start()
        app = self.application
        updater = app.updater
        assert updater is not None
        try:
            await app.start()
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=30)
            log.info("polling Telegram for updates (Ctrl-C to stop)")
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
            await self.stop()
