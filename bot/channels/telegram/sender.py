"""Everything the bot writes to Telegram, with retries that give up cleanly.

Every message waits for its turn in the bot's one `Pacer` (Telegram's rate limits), so 429s
are rare; one that comes anyway is waited out (its `retry_after`) by the Sender that retries,
and handed back to the outbox by the Courier's. 5xx and timeouts are retried here with capped
exponential backoff; a user who blocked the bot raises `Blocked` at once, never a retry loop.
A message whose markup Telegram refuses goes again as plain text: a crisis screen with a bad
tag in some translation still arrives, only without bold.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ForumIconColor
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.channels.render import Renderer
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.keyboard import markup
from bot.channels.telegram.pacer import Pacer
from bot.flow.replies import Reply
from bot.store import Store, StoreUnavailable
from bot.store.outbox import LEASE, Delivery, Op

log = logging.getLogger(__name__)
T = TypeVar("T")
CALLBACK_TIMEOUT_S = 5.0  # a button's spinner: not worth waiting longer
DELETE_BATCH = 100  # deleteMessages takes 1-100 ids
DELETE_WINDOW = dt.timedelta(hours=48)  # older messages cannot be deleted by a bot
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_NO_PREVIEW = {"is_disabled": True}  # the same, as sent
_TAG = re.compile(r"<[^<>]*>")


class WebhookAnswer:
    """One Bot API call the webhook may return in its HTTP response, as Telegram allows
    (its result is never known, so only a callback answer goes this way). Closed once the
    response is built: a later caller, e.g. a background task, calls the API itself."""

    __slots__ = ("body", "closed")

    def __init__(self) -> None:
        self.body: dict[str, Any] | None = None
        self.closed = False

    def take(self, query_id: str, text: str | None) -> bool:
        if self.closed or self.body is not None:
            return False
        self.body = {"method": "answerCallbackQuery", "callback_query_id": query_id}
        if text:
            self.body["text"] = text[:200]
        return True

    def close(self) -> dict[str, Any] | None:
        self.closed = True
        return self.body


WEBHOOK_ANSWER: ContextVar[WebhookAnswer | None] = ContextVar("webhook_answer", default=None)


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
    """Worth trying again: a 429 (after its retry_after), a 5xx, a timeout, no connection."""
    return isinstance(exc, RetryAfter) or (
        isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)
    )


class Sender:
    __slots__ = ("_attempts", "_timeouts", "_wait", "bot", "pacer", "protect", "renderer")

    def __init__(
        self,
        bot: Bot,
        renderer: Renderer,
        protect: bool = True,
        attempts: int = 4,
        wait: float = 0.5,
        read_timeout: float | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.bot = bot
        self.renderer = renderer
        self.protect = protect
        self.pacer = pacer  # None: no pacing (a local Bot API without limits)
        self._attempts = attempts
        self._wait = wait
        # Sends and edits wait longer than other calls: giving up early on a slow Telegram
        # is what sends a message twice (it may still deliver the first one).
        self._timeouts: dict[str, Any] = (
            {"read_timeout": read_timeout} if read_timeout is not None else {}
        )

    def ops(self, reply: Reply, lang: str | None) -> list[Op]:
        """One engine reply as outbox operations: a send per part, buttons on the last."""
        rendered = self.renderer.reply(reply, lang)
        keyboard = markup(reply.token, rendered.buttons)
        protect = self.protect and reply.sensitive
        last = len(rendered.messages) - 1
        return [
            {
                "k": "send",
                "text": text,
                "kb": keyboard.to_dict() if keyboard is not None and i == last else None,
                "protect": protect,
            }
            for i, text in enumerate(rendered.messages)
        ]

    def keyboard_op(self, message_id: int, reply: Reply, lang: str | None) -> Op:
        """Replace a question's buttons in place (a multi-choice toggle)."""
        rendered = self.renderer.reply(reply, lang)
        keyboard = markup(reply.token, rendered.buttons)
        return {"k": "markup", "mid": message_id, "kb": keyboard.to_dict() if keyboard else None}

    def _backoff(self, state: RetryCallState) -> float:
        """Telegram's `retry_after` for a 429, else capped exponential backoff."""
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryAfter):
            return _seconds(exc.retry_after)
        return float(min(self._wait * 2 ** (state.attempt_number - 1), 8 * self._wait))

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient),
                wait=self._backoff,
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
        *,
        urgent: bool = False,
        alert: bool = False,
    ) -> Message:
        """Send one HTML message (when the pacer gives it its turn; `urgent` ones first, and
        an `alert` to a group may use its reserved sends), as plain text if Telegram refuses
        its markup."""
        if self.pacer is None:
            return await self._send(chat_id, text, keyboard, protect, thread_id)
        async with self.pacer.turn(chat_id, urgent, alert):
            return await self._send(chat_id, text, keyboard, protect, thread_id)

    async def _send(
        self,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
        protect: bool,
        thread_id: int | None,
    ) -> Message:

        def send(body: str, mode: str | None) -> Callable[[], Awaitable[Message]]:
            return lambda: self.bot.send_message(
                chat_id,
                body,
                parse_mode=mode,
                reply_markup=keyboard,
                protect_content=protect,
                message_thread_id=thread_id,
                link_preview_options=NO_PREVIEW,
                **self._timeouts,
            )

        return await self._html_or_plain("sendMessage", text, send)

    async def _html_or_plain(
        self, method: str, text: str, call: Callable[[str, str | None], Callable[[], Awaitable[T]]]
    ) -> T:
        """`call(text, "HTML")`; if Telegram refuses the markup, once more as plain text."""
        try:
            return await self._call(method, call(text, "HTML"))
        except BadRequest as exc:
            if not markup_refused(exc):
                raise
            _log_refused(method)
            return await self._call(method, call(as_plain(text), None))

    async def send_stored(
        self,
        chat_id: int,
        text: str,
        keyboard: dict[str, Any] | None = None,
        protect: bool = False,
        *,
        urgent: bool = False,
    ) -> int:
        """`send` for the outbox: the stored keyboard as it is, the message id back. No PTB
        objects either way (see `AiohttpRequest.call`); the same turn, retries and plain-text
        fallback as `send`."""
        if not isinstance(self.bot.request, AiohttpRequest):  # another transport: PTB's way
            markup_ = InlineKeyboardMarkup.de_json(keyboard, None) if keyboard else None
            return (await self.send(chat_id, text, markup_, protect, urgent=urgent)).message_id

        def send(body: str, mode: str | None) -> Callable[[], Awaitable[Any]]:
            return partial(
                self._raw,
                "sendMessage",
                {
                    "chat_id": chat_id,
                    "text": body,
                    "parse_mode": mode,
                    "reply_markup": keyboard,
                    "protect_content": protect,
                    "link_preview_options": _NO_PREVIEW,
                },
            )

        async def go() -> int:
            result = await self._html_or_plain("sendMessage", text, send)
            return int(result["message_id"])

        if self.pacer is None:
            return await go()
        async with self.pacer.turn(chat_id, urgent):
            return await go()

    async def edit_stored(
        self, chat_id: int, message_id: int, text: str, keyboard: dict[str, Any] | None
    ) -> None:
        """`_edit_text` for the outbox, without PTB objects (see `send_stored`)."""
        if not isinstance(self.bot.request, AiohttpRequest):
            markup_ = InlineKeyboardMarkup.de_json(keyboard, None) if keyboard else None
            await self._edit_text(chat_id, message_id, text, markup_)
            return

        def edit(body: str, mode: str | None) -> Callable[[], Awaitable[Any]]:
            return partial(
                self._raw,
                "editMessageText",
                {
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "text": body,
                    "parse_mode": mode,
                    "reply_markup": keyboard,
                    "link_preview_options": _NO_PREVIEW,
                },
            )

        await self._html_or_plain("editMessageText", text, edit)

    async def markup_stored(
        self, chat_id: int, message_id: int, keyboard: dict[str, Any] | None
    ) -> None:
        """Replace a message's buttons (the outbox's "markup" operation), without PTB objects."""
        if not isinstance(self.bot.request, AiohttpRequest):
            markup_ = InlineKeyboardMarkup.de_json(keyboard, None) if keyboard else None
            await self._call(
                "editMessageReplyMarkup",
                lambda: self.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=markup_
                ),
            )
            return
        params = {"chat_id": chat_id, "message_id": message_id, "reply_markup": keyboard}
        await self._call(
            "editMessageReplyMarkup", partial(self._raw, "editMessageReplyMarkup", params)
        )

    async def _raw(self, method: str, params: dict[str, Any]) -> Any:
        request = self.bot.request
        assert isinstance(request, AiohttpRequest)
        timeout = self._timeouts.get("read_timeout", request.read_timeout)
        return await request.call(f"{self.bot.base_url}/{method}", params, timeout)

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
                **self._timeouts,
            )

        await self._html_or_plain("editMessageText", text, edit)

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
        text = answered_text(message, label)
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
        """Stop the button's spinner: cosmetic, so one try, and a failure is only logged.
        While a webhook request is being handled, the answer rides on its HTTP response
        instead (see `WebhookAnswer`): one Bot API call fewer per tap."""
        answer = WEBHOOK_ANSWER.get()
        if answer is not None and answer.take(query_id, text):
            return
        try:
            await self.bot.answer_callback_query(
                query_id, text=(text or None) and text[:200], read_timeout=CALLBACK_TIMEOUT_S
            )
        except TelegramError as exc:  # expired, or Telegram is struggling: nothing to do
            log.debug("callback answer failed: %s", type(exc).__name__)

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


def answered_text(message: Message, label: str | None) -> str:
    """An answered question's text: the answer stays visible below it."""
    text = message.text_html or ""
    if label:
        text = f"{text}\n\n<b>✓ {html.escape(label)}</b>"
    return text


def _log_refused(method: str) -> None:
    # One line, no content: the text may be a survivor's words or a crisis screen.
    log.warning("%s: Telegram refused the HTML markup; sent as plain text instead", method)


class Courier:
    """Delivers the outbox: each chat's rows in order, urgent chats first, retried until sent.

    Failures are retried, never dropped, except where retrying cannot help or would repeat
    what the survivor already has:

    - a 5xx, a refused connection or a 429: the row is handed back and tried again after a
      capped backoff (or Telegram's retry_after), for as long as it takes;
    - a timeout is ambiguous (Telegram may have delivered the message anyway): the operation
      is tried once more, then counted as delivered. So a message arrives at most twice
      because of timeouts (see the README, "Delivery");
    - Telegram refuses the operation for good (400): it is skipped; the survivor blocked the
      bot (403): everything queued for the chat is dropped;
    - cosmetic operations (the edit that shows the chosen answer, a toggled keyboard) get one
      try: their failure never holds back the replies after them.

    Each sent message id is tracked for quick exit in the transaction that records it sent.
    A survivor's relay to staff ("staff") is one of their chat's operations, posted by the
    staff desk in their topic. Every send waits for its turn in the pacer (Telegram's rate
    limits); a row waiting for its turn does not hold one of the `concurrency` slots.
    """

    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        concurrency: int = 32,
        poll: float = 1.0,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        lease: dt.timedelta = LEASE,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        staff: Callable[[int, Op, Sender], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self._staff = staff  # posts a survivor's relay in their staff topic (bot/staff)
        self.sender = sender
        self._concurrency = concurrency
        self._poll = poll
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._lease = lease
        self._on_blocked = on_blocked
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._fails: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._trouble = False
        self._checked = 0.0
        # Claim only when something may be claimable: something was queued (wake), the last
        # claim filled every free slot, a chat whose row was in flight got more meanwhile,
        # or a poll went by (retries and leases come due). Not after every send.
        self._wakes = 0
        self._due = True
        self._claimed = 0.0
        self._wakes_at_claim: dict[int, int] = {}
        # Group commit: what finished (and whether to claim) while the last was committed.
        self._advances: list[tuple[Delivery, int, list[int], asyncio.Future[bool]]] = []
        self._claim = False  # `_run` asked for a claim with the next commit
        self._stopping = False
        self._flusher: asyncio.Task[None] | None = None
        if sender.pacer is not None:  # a row waiting for its chat's turn frees its slot
            sender.pacer.on_wait = self.wake

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wakes += 1
        self._due = True
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        if self.store.single_process:  # SQLite: no other sender; a crashed one left leases
            with suppress(StoreUnavailable):
                await self.store.release()
        self._task = asyncio.create_task(self._run(), name="courier")

    async def stop(self, grace: float = 5.0) -> None:
        """Finish what is being sent (up to `grace` seconds), hand the rest back, stop."""
        self._stopping = True  # claims no more (a claim being committed is handed back)
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._stop_inflight(grace)
            if self._flusher is not None:  # what was sent is recorded before stopping
                with suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(self._flusher), grace)
        finally:
            await self.store.resign()  # another worker becomes the sender

    async def _stop_inflight(self, grace: float) -> None:
        if self._inflight:
            _, late = await asyncio.wait(list(self._inflight.values()), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            ids = list(self._inflight)
            self._inflight.clear()
            with suppress(StoreUnavailable):
                await self.store.release(ids)

    async def drained(self, within: float = 10.0) -> None:
        """Wait until nothing is queued or being sent (tests, shutdown)."""
        deadline = time.monotonic() + within
        while self._inflight or await self._queued():
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain")
            self.wake()
            await asyncio.sleep(0.01)

    async def _queued(self) -> int:
        try:
            return await self.store.outbox_size()
        except StoreUnavailable:  # nothing can be sent until the store is back
            return 0

    async def _run(self) -> None:
        leading = False
        while True:
            self._wake.clear()
            room = self._concurrency - len(self._inflight) + self._pacing()
            if not leading or time.monotonic() - self._checked > self._poll:
                self._checked = time.monotonic()
                was, leading = leading, await self.store.lead()
                if leading and not was and not self.store.single_process:
                    # The one sender: leases left are a dead sender's, take them over now.
                    with suppress(StoreUnavailable):
                        await self.store.release()
                    await self.store.listen(self.wake)
            polled = time.monotonic() - self._claimed > self._poll
            if leading and room > 0 and (self._due or polled):
                self._due = False
                self._claimed = time.monotonic()
                self._claim = True  # in the next commit, with what was sent meanwhile
                self._kick()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    def _pacing(self) -> int:
        """Rows waiting for their turn to send: they hold no connection, so they do not
        keep other chats' rows (which may go at once) from being claimed."""
        pacer = self.sender.pacer
        return min(pacer.waiting, len(self._inflight)) if pacer is not None else 0

    async def _advance(self, d: Delivery, done: int, sent: list[int]) -> bool:
        """`Store.advance`, committed together with the others that finish meanwhile."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._advances.append((d, done, sent, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-commit")

    async def _flush(self) -> None:
        """Group commit: the records of what was sent (`_advance`) and a claim of the next
        rows (`_run`), whatever came while the previous commit was being made, in one
        transaction (`Store.advance_and_claim`): on SQLite's one write lock, a reply costs
        its step's commit and a share of one such commit, not a claim and a record."""
        while self._advances or self._claim:
            batch, self._advances = self._advances, []
            room = 0
            if self._claim and not self._stopping:
                self._claim = False
                # The rows whose last operation this records end with it: their slots free.
                ending = sum(1 for d, done, *_ in batch if done >= len(d.ops))
                room = self._concurrency - len(self._inflight) + ending + self._pacing()
                if room <= 0:
                    self._due = True  # asked when there was room: ask again when there is
            self._claim = False
            # Counted before the claim: a row queued while it runs may sit behind one it
            # returns, so that row's end must look again (see `_finished`).
            wakes = self._wakes
            try:
                results, claimed = await self.store.advance_and_claim(
                    [(d, done, sent) for d, done, sent, _ in batch], max(room, 0),
                    lease=self._lease,
                )  # fmt: skip
            except Exception as exc:  # StoreUnavailable, mostly: each delivery handles it
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if room > 0 and not isinstance(exc, StoreUnavailable):
                    log.error("outbox: claiming failed: %s", type(exc).__name__)
                elif room > 0 and not self._trouble:
                    self._trouble = True
                    log.info("outbox: the store is unavailable; delivery waits for it")
                continue
            if room > 0 and self._trouble:
                self._trouble = False
                log.info("outbox: the store answers again; delivering")
            for (*_, future), ok in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(ok)
            if self._stopping and claimed:  # claimed as the sender stopped: hand them back
                with suppress(StoreUnavailable):
                    await self.store.release([d.id for d in claimed])
                continue
            if room > 0 and len(claimed) >= room:
                self.wake()  # there may be more
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._inflight[delivery.id] = task
                self._wakes_at_claim[delivery.id] = wakes
                task.add_done_callback(partial(self._finished, delivery.id))

    def _finished(self, row_id: int, task: asyncio.Task[None]) -> None:
        self._inflight.pop(row_id, None)
        if self._wakes_at_claim.pop(row_id, None) != self._wakes:
            self._due = True  # something was queued meanwhile, maybe behind this row
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox: delivery failed: %s", type(task.exception()).__name__)
        self._wake.set()

    async def _deliver(self, d: Delivery) -> None:
        tries = d.tries
        try:
            for i in range(d.done, len(d.ops)):
                op = d.ops[i]
                cosmetic = op.get("k") in ("edit", "markup")
                try:
                    sent = await self._do(d.chat_id, op, d.urgent)
                except Blocked:
                    await self.store.drop_chat_outbox(d.chat_id)
                    if self._on_blocked is not None:
                        await self._on_blocked(d.chat_id)
                    return
                except RetryAfter as exc:
                    await self.store.retry_later(d, _seconds(exc.retry_after), tries=tries, done=i)
                    return
                except TimedOut:
                    if not cosmetic and tries < 1:  # once more; after that, assume it arrived
                        await self.store.retry_later(d, self._backoff, tries=tries + 1, done=i)
                        return
                    log.warning("outbox: %s timed out twice; counted as delivered", op.get("k"))
                    sent = []
                except BadRequest as exc:
                    log.warning("outbox: Telegram refused a %s: %s", op.get("k"), exc.message)
                    sent = []
                except TelegramError as exc:
                    if not cosmetic:
                        fails = self._fails[d.id] = self._fails.get(d.id, 0) + 1
                        wait = min(self._backoff * 2 ** (fails - 1), self._max_backoff)
                        log.info("outbox: %s failed (%s); again in %.1fs", op.get("k"),
                                 type(exc).__name__, wait)  # fmt: skip
                        await self.store.retry_later(d, wait, tries=tries, done=i)
                        return
                    sent = []
                self._fails.pop(d.id, None)
                tries = 0
                if cosmetic and not sent and i + 1 < len(d.ops):
                    # Recorded with the next operation: one commit fewer, and if the process
                    # dies in between, the edit is only made again (a no-op for Telegram).
                    continue
                if not await self._advance(d, i + 1, sent):
                    if sent:  # quick exit came while this was sending: take it back
                        await self.sender.delete(d.chat_id, sent)
                    return
        except StoreUnavailable:
            log.info("outbox: the store is unavailable; the row is tried again later")

    async def _do(self, chat_id: int, op: Op, urgent: bool) -> list[int]:
        kind = op.get("k")
        keyboard = op.get("kb") or None
        if kind == "send":
            message_id = await self.sender.send_stored(
                chat_id, op["text"], keyboard, bool(op.get("protect")), urgent=urgent
            )
            return [message_id]
        if kind == "edit":
            await self.sender.edit_stored(chat_id, int(op["mid"]), op["text"], keyboard)
            return []
        if kind == "markup":
            await self.sender.markup_stored(chat_id, int(op["mid"]), keyboard)
            return []
        if kind == "delete":
            await self.sender.delete(chat_id, [int(m) for m in op["ids"]])
            return []
        if kind == "staff" and self._staff is not None:  # to the staff chat: no id to track
            await self._staff(chat_id, op, self.sender)
            return []
        log.warning("outbox: unknown operation %r skipped", kind)
        return []


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
