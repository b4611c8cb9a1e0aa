"""Everything the bot writes to Telegram, with retries that give up cleanly.

429s are waited out by PTB's AIORateLimiter; 5xx and timeouts are retried here with capped
exponential backoff; a user who blocked the bot raises `Blocked` at once, never a retry loop.
A message whose markup Telegram refuses goes again as plain text: a crisis screen with a bad
tag in some translation still arrives, only without bold.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ForumIconColor
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot.channels.render import Renderer
from bot.channels.telegram.keyboard import markup
from bot.flow.replies import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")
DELETE_BATCH = 100  # deleteMessages takes 1-100 ids
DELETE_WINDOW = dt.timedelta(hours=48)  # older messages cannot be deleted by a bot
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAG = re.compile(r"<[^<>]*>")


class Blocked(Exception):
    """The survivor blocked the bot (403): stop writing to them."""


def thread_missing(exc: BaseException) -> bool:
    """Telegram's answer for a forum topic that was deleted (or never existed)."""
    return isinstance(exc, BadRequest) and "thread not found" in exc.message.lower()


def markup_refused(exc: BaseException) -> bool:
    """Telegram could not parse the message's HTML (a bad tag, an isolate inside a tag...)."""
    return isinstance(exc, BadRequest) and "can't parse entities" in exc.message.lower()


def as_plain(text: str) -> str:
    """The words of an HTML message without its markup: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest | RetryAfter)


class Sender:
    __slots__ = ("_attempts", "_wait", "bot", "protect", "renderer")

    def __init__(
        self,
        bot: Bot,
        renderer: Renderer,
        protect: bool = True,
        attempts: int = 4,
        wait: float = 0.5,
    ) -> None:
        self.bot = bot
        self.renderer = renderer
        self.protect = protect
        self._attempts = attempts
        self._wait = wait

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient),
                wait=wait_exponential(multiplier=self._wait, max=8 * self._wait),
                stop=stop_after_attempt(self._attempts),
                reraise=True,
            ):
                with attempt:
                    return await call()
        except Forbidden as exc:
            raise Blocked(what) from exc
        raise AssertionError("unreachable")

    async def reply(
        self, chat_id: int, reply: Reply, lang: str | None, thread_id: int | None = None
    ) -> list[int]:
        """Send one engine reply (split if long; buttons on the last part). Returns ids."""
        rendered = self.renderer.reply(reply, lang)
        keyboard = markup(reply.token, rendered.buttons)
        protect = self.protect and reply.sensitive
        ids: list[int] = []
        for i, text in enumerate(rendered.messages):
            last = i == len(rendered.messages) - 1
            message = await self.send(
                chat_id, text, keyboard if last else None, protect, thread_id
            )
            ids.append(message.message_id)
        return ids

    async def send(
        self,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
        protect: bool = False,
        thread_id: int | None = None,
    ) -> Message:
        """Send one HTML message; as plain text if Telegram refuses its markup."""

        def send(body: str, mode: str | None) -> Callable[[], Awaitable[Message]]:
            return lambda: self.bot.send_message(
                chat_id,
                body,
                parse_mode=mode,
                reply_markup=keyboard,
                protect_content=protect,
                message_thread_id=thread_id,
                link_preview_options=NO_PREVIEW,
            )

        try:
            return await self._call("sendMessage", send(text, "HTML"))
        except BadRequest as exc:
            if not markup_refused(exc):
                raise
            _log_refused("sendMessage")
            return await self._call("sendMessage", send(as_plain(text), None))

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """Replace a message's text and buttons; False when Telegram would not (too old...).
        Markup Telegram refuses is dropped: the new words arrive as plain text."""
        try:
            await self._edit_text(chat_id, message_id, text, keyboard)
        except BadRequest as exc:
            log.debug("could not edit a message: %s", exc.message)
            return False
        return True

    async def _edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
    ) -> None:
        def edit(body: str, mode: str | None) -> Callable[[], Awaitable[Message | bool]]:
            return lambda: self.bot.edit_message_text(
                body,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=mode,
                reply_markup=keyboard,
                link_preview_options=NO_PREVIEW,
            )

        try:
            await self._call("editMessageText", edit(text, "HTML"))
        except BadRequest as exc:
            if not markup_refused(exc):
                raise
            _log_refused("editMessageText")
            await self._call("editMessageText", edit(as_plain(text), None))

    async def create_topic(self, chat_id: int, name: str) -> int:
        """Open a forum topic (the bot needs can_manage_topics); returns its thread id."""
        topic = await self._call(
            "createForumTopic",
            lambda: self.bot.create_forum_topic(chat_id, name[:128], ForumIconColor.BLUE),
        )
        return topic.message_thread_id

    async def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a forum topic and all its messages; one already gone counts as deleted."""
        try:
            await self._call(
                "deleteForumTopic", lambda: self.bot.delete_forum_topic(chat_id, thread_id)
            )
        except BadRequest as exc:
            if not thread_missing(exc):
                raise

    async def show_answer(self, message: Message, label: str | None) -> None:
        """Edit an answered question: the answer stays visible, the buttons go."""
        text = message.text_html or ""
        if label:
            text = f"{text}\n\n<b>✓ {html.escape(label)}</b>"
        try:
            await self._edit_text(message.chat_id, message.message_id, text, None)
        except BadRequest as exc:  # too old to edit, or already edited: harmless
            log.debug("could not edit an answered question: %s", exc.message)

    async def replace_keyboard(
        self, message: Message, token: str | None, reply: Reply, lang: str | None
    ) -> None:
        rendered = self.renderer.reply(reply, lang)
        try:
            await self._call(
                "editMessageReplyMarkup",
                lambda: self.bot.edit_message_reply_markup(
                    chat_id=message.chat_id,
                    message_id=message.message_id,
                    reply_markup=markup(token, rendered.buttons),
                ),
            )
        except BadRequest as exc:
            log.debug("could not update a keyboard: %s", exc.message)

    async def answer_callback(self, query_id: str, text: str | None = None) -> None:
        try:
            await self._call(
                "answerCallbackQuery",
                lambda: self.bot.answer_callback_query(
                    query_id, text=(text or None) and text[:200]
                ),
            )
        except (BadRequest, Blocked) as exc:  # the query expired: nothing to do
            log.debug("callback answer failed: %s", exc)

    async def delete(
        self, chat_id: int, message_ids: Sequence[int], now: dt.datetime | None = None
    ) -> int:
        """Delete messages in batches of 100; Telegram skips what it can no longer delete."""
        ids = sorted(set(message_ids))
        deleted = 0
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start : start + DELETE_BATCH]
            try:
                await self._call(
                    "deleteMessages", partial(self.bot.delete_messages, chat_id, batch)
                )
                deleted += len(batch)
            except (BadRequest, Blocked) as exc:
                log.info("could not delete %d messages: %s", len(batch), exc)
            except TelegramError as exc:
                log.warning("deleting messages failed after retries: %s", type(exc).__name__)
        return deleted

    async def delete_one(self, chat_id: int, message_id: int) -> bool:
        """Delete one incoming message (media): at once, and never downloaded."""
        try:
            await self._call("deleteMessage", lambda: self.bot.delete_message(chat_id, message_id))
        except (BadRequest, Blocked, TelegramError) as exc:
            log.info("could not delete a media message: %s", type(exc).__name__)
            return False
        return True


def _log_refused(method: str) -> None:
    # One line, no content: the text may be a survivor's words or a crisis screen.
    log.warning("%s: Telegram refused the HTML markup; sent as plain text instead", method)
