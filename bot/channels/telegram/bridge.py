"""One Telegram update, end to end: classify, step the engine in the store, reply, apply effects.

The order matters for safety: media is deleted before anything else; the new state and the
update id are committed together before any reply goes out (each update applied at most once);
quick exit deletes what it can and erases the case without sending anything back.

The flood guard never stands between a survivor and safety: quick exit (command or button),
/delete and its confirmation, /help, /start, crisis words and everything said during a staff
handoff always reach the engine. Anything else over the limit is not read, and the survivor
is told so plainly (once per flood); its message id is still tracked, so /exit clears it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from telegram import Chat, Message, Update
from telegram.error import TelegramError

from bot.channels.render import Renderer
from bot.channels.telegram import flood as costs
from bot.channels.telegram.flood import FloodGuard
from bot.channels.telegram.keyboard import decode, label_of
from bot.channels.telegram.sender import Blocked, Sender, answered_text
from bot.config import Settings
from bot.flow import keys
from bot.flow.engine import Engine, Outcome
from bot.flow.events import (
    CaseLoaded,
    Choice,
    CodeWordChecked,
    Command,
    Event,
    Media,
    Start,
    TextIn,
)
from bot.flow.replies import (
    CheckCodeWord,
    EndHandoff,
    EraseData,
    HideMessage,
    KeepCase,
    LoadCase,
    QuickExit,
    RelayToStaff,
    Reply,
    SetCodeWord,
    StartHandoff,
    Text,
)
from bot.flow.screens import Env, StaffStatus, Stored
from bot.flow.state import State
from bot.i18n.catalog import Catalogs
from bot.metrics import UPDATE_SECONDS, UPDATES
from bot.store import Store, StoreUnavailable, codeword
from bot.store.outbox import Op

log = logging.getLogger(__name__)
Detector = Callable[[str], str | None]
MEDIA_KINDS = (
    "photo",
    "video",
    "document",
    "voice",
    "video_note",
    "sticker",
    "animation",
    "audio",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
)
SAFE_COMMANDS = frozenset({"exit", "delete", "help", "start"})  # never held back by the guard
CHARGED_KEPT = 10_000  # update ids remembered so a redelivery is not counted twice
SAFE_PROMPTS = ("delete", "help", "crisis:")  # their buttons are never held back either
CODEWORD_PROMPTS = ("codeword_set", "codeword:")  # typed answers are deleted, never held


class Desk(Protocol):
    """The staff side of a handoff (bot/staff). The bridge only reports survivor events.

    `survivor_left` reasons: "exit" and "delete" (their data is erased right after, and
    relays still queued for staff are dropped), "left" (a new start while with staff),
    "blocked" (they blocked the bot). A survivor's message for staff is an outbox operation
    (`relay_op`), queued with the step that read it and carried out by the sender (`deliver`),
    so the survivor never waits for the staff chat and a crash loses no relay.
    """

    wake: Callable[[], None]  # the outbox has work: set by the service to its sender's

    def owns(self, chat_id: int) -> bool: ...
    def status(self) -> StaffStatus: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def handle(self, update: Update) -> None: ...
    async def opened(self, chat_id: int, state: State) -> None: ...
    def relay_op(self, text: str, withheld: str | None) -> Op: ...
    async def deliver(self, chat_id: int, op: Op, sender: Sender) -> None: ...
    async def survivor_left(self, chat_id: int, reason: str) -> None: ...


@dataclass(slots=True)
class Bridge:
    settings: Settings
    engine: Engine
    catalogs: Catalogs
    renderer: Renderer
    store: Store
    sender: Sender
    detector: Detector | None = None
    desk: Desk | None = None
    wake: Callable[[], None] = field(default=lambda: None)  # the outbox has work: deliver it
    flood: FloodGuard = field(init=False)
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    _outage_since: float | None = field(default=None, init=False)
    _notified: set[int] = field(default_factory=set, init=False)  # one notice per outage
    _untracked: dict[int, list[int]] = field(default_factory=dict, init=False)
    _charged: dict[int, None] = field(default_factory=dict, init=False)  # recent update ids

    def __post_init__(self) -> None:
        self.flood = FloodGuard(self.settings.flood_messages)

    # ------------------------------------------------------------------ entry point

    async def handle(self, update: Update) -> None:
        started = time.perf_counter()
        kind = _kind(update)
        try:
            if self._untracked:
                await self._track_notices()
            await self._handle(update)
            UPDATES.labels(kind=kind, outcome="ok").inc()
            self._recovered()
        except Blocked:
            UPDATES.labels(kind=kind, outcome="blocked").inc()
            log.info("a survivor has blocked the bot; stopped writing to them")
        except StoreUnavailable:
            UPDATES.labels(kind=kind, outcome="store_unavailable").inc()
            if self._outage_since is None:
                self._outage_since = time.monotonic()
                log.warning(
                    "the store is unavailable: updates are refused so that Telegram delivers "
                    "them again, and each survivor writing meanwhile gets one notice"
                )
            await self._unavailable(update)
            raise  # not applied: the webhook answers 503, polling does not confirm it
        finally:
            UPDATE_SECONDS.observe(time.perf_counter() - started)

    def _charge(self, update_id: int) -> None:
        """Remember that this update counted towards a flood (redeliveries do not count)."""
        self._charged[update_id] = None
        if len(self._charged) > CHARGED_KEPT:
            del self._charged[next(iter(self._charged))]

    def _recovered(self) -> None:
        if self._outage_since is not None:
            log.warning(
                "the store is available again after %.0f s; refused updates are being "
                "applied as Telegram delivers them again",
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None
            self._notified.clear()

    async def _track_notices(self) -> None:
        """The outage notices, tracked for quick exit once the store takes writes again."""
        at = self.clock()
        for chat_id in list(self._untracked):
            await self.store.track_messages(chat_id, self._untracked[chat_id], at)
            del self._untracked[chat_id]

    async def _handle(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is None:
            return  # inline queries and other chat-less updates: nothing to serve
        if self.desk is not None and self.desk.owns(chat.id):
            await self.desk.handle(update)
            return
        if chat.type != Chat.PRIVATE:
            await self._leave(update, chat)
            return
        if update.my_chat_member is not None:  # blocked or unblocked: nothing to write
            blocked = update.my_chat_member.new_chat_member.status == "kicked"
            if blocked and self.desk is not None:
                await self.desk.survivor_left(chat.id, "blocked")  # staff are told, once
            return
        if update.edited_message is not None:
            self.flood.over(chat.id, costs.EDIT)  # edits count towards a flood
            if self.flood.first(chat.id, "edited"):  # one explanation per flood, not per edit
                await self._notice(chat.id, update.update_id, keys.EDITED)
            return
        message = update.message
        query = update.callback_query
        event = self._event(update)
        if event is None:
            if query is not None:
                await self.sender.answer_callback(query.id)
            return
        if isinstance(event, Media) and message is not None:
            await self.sender.delete_one(chat.id, message.message_id)  # never fetched
        cost = costs.TAP if query is not None else costs.TEXT
        if update.update_id in self._charged:
            pass  # a redelivery after an outage: it was counted when it first came
        elif self._urgent(event):
            self.flood.note(chat.id, cost)
            self._charge(update.update_id)
        else:
            verdict = self.flood.check(chat.id, cost)
            self._charge(update.update_id)
            if verdict != "ok" and not await self._safe_now(chat.id, event):
                await self._held_back(update, chat.id, verdict == "notice")
                return
        await self._step(update, chat.id, event)

    # ------------------------------------------------------------------ the flood guard

    def _urgent(self, event: Event) -> bool:
        """Safety that the guard never holds back, known from the update alone."""
        if isinstance(event, Start):
            return True
        if isinstance(event, Command):
            return event.name in SAFE_COMMANDS
        if isinstance(event, Choice):
            return event.option == "_exit"
        if isinstance(event, TextIn):
            return self.engine.crisis.match(event.text) is not None
        return False

    async def _safe_now(self, chat_id: int, event: Event) -> bool:
        """Over the limit: is this chat with staff (everything goes to them), or is this a
        button of a safety prompt (/delete's confirmation, /help, a crisis screen)?"""
        async with self.store.conversation(chat_id) as conv:
            state = State.from_dict(conv.state) if conv.state is not None else None
        if state is None:
            return False
        if state.mode == "handoff":
            return True
        if isinstance(event, TextIn) and (state.pending or "").startswith(CODEWORD_PROMPTS):
            return True  # held back, a code word would stay readable in the chat
        return isinstance(event, Choice) and (state.pending or "").startswith(SAFE_PROMPTS)

    async def _held_back(self, update: Update, chat_id: int, notice: bool) -> None:
        """Not read: say so once per flood; the message id is tracked so /exit clears it."""
        held = [update.message.message_id] if update.message is not None else []
        async with self.store.conversation(chat_id) as conv:
            conv.track(held)
            if notice:
                lang = State.from_dict(conv.state).lang if conv.state is not None else None
                reply = Reply((Text.of(keys.SLOW_DOWN),))
                conv.deliver(self.sender.ops(reply, lang or self.engine.default_lang))
        self.wake()
        if update.callback_query is not None:
            await self.sender.answer_callback(update.callback_query.id)

    # ------------------------------------------------------------------ the step

    async def _step(self, update: Update, chat_id: int, event: Event) -> None:
        message = update.message
        query = update.callback_query
        user = update.effective_user
        client = self.catalogs.match(user.language_code if user else None)
        if isinstance(event, Start):
            event = Start(client)
        incoming = [message.message_id] if message is not None else []
        outcome: Outcome | None = None
        quick = hide = False
        async with self.store.conversation(chat_id, update.update_id) as conv:
            env = self._env(conv.stored, client)  # read in the step's own transaction
            if conv.stale and not self._urgent(event):
                # Older than an update already applied (workers raced): never applied over
                # newer state. Safety (quick exit, crisis words, /help...) always applies.
                log.info("an update older than its chat's newest was not applied")
                conv.track(incoming)  # still the survivor's message: /exit clears it
            elif not conv.duplicate:
                state = State.from_dict(conv.state) if conv.state is not None else None
                outcome = self.engine.step(state, event, env)
                quick = any(isinstance(e, QuickExit) for e in outcome.effects)
                hide = any(isinstance(e, HideMessage) for e in outcome.effects)
                if quick or any(isinstance(e, EraseData) for e in outcome.effects):
                    conv.forget()
                else:
                    conv.save(outcome.state.to_dict())
                if quick:
                    conv.cancel_outbox()  # nothing more goes to this chat
                else:
                    lang = outcome.state.lang or self.engine.default_lang
                    replies = list(outcome.replies)
                    if conv.reset:
                        replies.insert(0, Reply((Text.of(keys.RESTARTED),)))
                    ops: list[Op] = []
                    if query is not None and isinstance(query.message, Message):
                        ops, replies = self._answered(query.message, query.data, replies, lang)
                    for reply in replies:
                        ops += self.sender.ops(reply, lang)
                    conv.deliver(ops, urgent=self._urgent(event))
                    relays = [  # to staff, with this step, in the chat's staff lane
                        self.desk.relay_op(e.text, e.withheld)
                        for e in outcome.effects
                        if isinstance(e, RelayToStaff) and self.desk is not None
                    ]
                    conv.deliver(relays, urgent=True, staff=True)
                    conv.track(incoming)  # with the step: /exit can clear it whatever follows
        if hide and message is not None:  # a code word: out of the chat before anything else
            await self.sender.delete_one(chat_id, message.message_id)
        self.wake()
        if query is not None:  # after the commit: the replies are safe whatever this does
            await self.sender.answer_callback(query.id, self._callback_notice(outcome))
        if outcome is None:  # a duplicate (applied before) or stale (newer state applied)
            return
        if quick:
            await self._quick_exit(chat_id, incoming, outcome)
            return
        await self._effects(chat_id, outcome)
        for effect in outcome.effects:
            if isinstance(effect, LoadCase):
                await self._resume(chat_id, env)
            elif isinstance(effect, CheckCodeWord):
                await self._check_code_word(chat_id, effect, env)
            elif isinstance(effect, SetCodeWord):  # slow on purpose: off the event loop
                record = await asyncio.to_thread(codeword.derive, effect.word)
                kept = await self.store.set_code_word(chat_id, record)
                await self._follow_up(chat_id, CodeWordChecked(ok=kept), env)

    def _callback_notice(self, outcome: Outcome | None) -> str | None:
        """The short notice shown over a stale button (the question was already answered)."""
        if outcome is None or not outcome.replies:
            return None
        if outcome.replies[0].body[:1] != (Text.of(keys.STALE),):
            return None
        return self.renderer.plain(
            Text.of(keys.STALE), outcome.state.lang or self.engine.default_lang
        )

    def _answered(
        self, message: Message, data: str | None, replies: list[Reply], lang: str
    ) -> tuple[list[Op], list[Reply]]:
        """Show the answer in place of the buttons, or update them (cosmetic operations)."""
        stale = bool(replies) and replies[0].body[:1] == (Text.of(keys.STALE),)
        toggles = [r for r in replies if r.replaces_last]
        if toggles:
            op = self.sender.keyboard_op(message.message_id, toggles[-1], lang)
            return [op], [r for r in replies if not r.replaces_last]
        if stale:
            return [], replies
        text = answered_text(message, label_of(message.reply_markup, data))
        return [{"k": "edit", "mid": message.message_id, "text": text, "kb": None}], replies

    async def _effects(self, chat_id: int, outcome: Outcome) -> None:
        state = outcome.state
        for effect in outcome.effects:
            if isinstance(effect, EndHandoff):  # before EraseData: staff hear it first
                erasing = any(isinstance(e, EraseData) for e in outcome.effects)
                await self._end_handoff(chat_id, outcome, "delete" if erasing else "left")
            elif isinstance(effect, EraseData):
                await self.store.erase(chat_id, "delete")
            elif isinstance(effect, KeepCase):
                await self.store.keep_case(
                    chat_id, state.answers, state.lang or self.engine.default_lang, effect.consent
                )
            elif isinstance(effect, StartHandoff) and self.desk is not None:
                await self.desk.opened(chat_id, state)

    async def _end_handoff(self, chat_id: int, outcome: Outcome, reason: str) -> None:
        if self.desk is not None and any(isinstance(e, EndHandoff) for e in outcome.effects):
            await self.desk.survivor_left(chat_id, reason)

    async def _quick_exit(self, chat_id: int, incoming: list[int], outcome: Outcome) -> None:
        """End a handoff first (quick: queued relays are dropped, the case closes so staff
        can write no more, the topic goes in the background), then clear the chat and
        erase the data, even if ending the handoff failed."""
        try:
            await self._end_handoff(chat_id, outcome, "exit")
        finally:
            try:
                tracked = await self.store.take_messages(chat_id)
                await self.sender.delete(chat_id, [m.message_id for m in tracked] + incoming)
            finally:
                await self.store.erase(chat_id, "exit")

    async def _check_code_word(self, chat_id: int, effect: CheckCodeWord, env: Env) -> None:
        """Check the word off the event loop, count the try, and let the engine answer; a
        right word for /resume goes on to load the case."""
        record, locked = await self.store.code_word(chat_id)
        if record is None:
            event = CodeWordChecked(ok=True)  # the word was removed meanwhile: nothing to guard
        elif locked is not None:
            event = CodeWordChecked(ok=False, locked_for=locked)
        else:
            ok = await asyncio.to_thread(codeword.verify, effect.word, record)
            tried = await self.store.code_word_tried(chat_id, ok)
            event = CodeWordChecked(tried.ok, tried.tries_left, tried.locked_for)
        await self._follow_up(chat_id, event, env)

    async def _follow_up(self, chat_id: int, event: CodeWordChecked, env: Env) -> None:
        """The engine's answer to what the host did for it (a code word kept or checked)."""
        async with self.store.conversation(chat_id) as conv:
            if conv.state is None:
                return  # erased meanwhile (/exit, /delete): nothing to answer, nothing to keep
            outcome = self.engine.step(State.from_dict(conv.state), event, env)
            conv.save(outcome.state.to_dict())
            lang = outcome.state.lang or self.engine.default_lang
            conv.deliver([op for reply in outcome.replies for op in self.sender.ops(reply, lang)])
        self.wake()
        if any(isinstance(e, LoadCase) for e in outcome.effects):
            await self._resume(chat_id, env)

    async def _resume(self, chat_id: int, env: Env) -> None:
        kept = await self.store.load_case(chat_id)
        event: Event = CaseLoaded(kept.answers, kept.lang) if kept else Command("resume")
        async with self.store.conversation(chat_id) as conv:
            state = State.from_dict(conv.state) if conv.state is not None else None
            outcome = self.engine.step(
                state, event, env if kept else Env(channel="telegram", storage=True)
            )
            conv.save(outcome.state.to_dict())
            lang = outcome.state.lang or self.engine.default_lang
            conv.deliver([op for reply in outcome.replies for op in self.sender.ops(reply, lang)])
        self.wake()

    # ------------------------------------------------------------------ helpers

    def _env(self, stored: Stored, client: str | None) -> Env:
        return Env(
            channel="telegram",
            storage=True,
            retention_days=self.settings.retention_days,
            idle_hours=self.settings.idle_hours,
            stored=stored,
            staff=self.desk.status() if self.desk is not None else None,
            client_lang=client,
        )

    def _event(self, update: Update) -> Event | None:
        query = update.callback_query
        if query is not None:
            return decode(query.data)
        message = update.message
        if message is None:
            return None
        if message.text is not None:
            text = message.text
            entity = message.entities[0] if message.entities else None
            if entity is not None and entity.type == "bot_command" and entity.offset == 0:
                name = text[1 : entity.length].split("@", 1)[0].lower()
                arg = text[entity.length :].strip()
                return Start() if name == "start" else Command(name, arg)
            detected = self.detector(text) if self.detector else None
            return TextIn(text, detected)
        for kind in MEDIA_KINDS:
            if getattr(message, kind, None):
                return Media(kind)
        if message.caption is not None or message.effective_attachment is not None:
            return Media("other")
        return None  # service messages (pins, chat photo changes...): nothing to answer

    async def _notice(self, chat_id: int, update_id: int | None, key: str) -> None:
        """A short notice in the conversation's language, without changing the conversation."""
        async with self.store.conversation(chat_id, update_id) as conv:
            if conv.duplicate:
                return
            lang = State.from_dict(conv.state).lang if conv.state is not None else None
            reply = Reply((Text.of(key),))
            conv.deliver(self.sender.ops(reply, lang or self.engine.default_lang))
        self.wake()

    async def _leave(self, update: Update, chat: Chat) -> None:
        """Groups and channels are not served: say so briefly (where allowed) and leave."""
        joined = update.my_chat_member is not None and update.my_chat_member.new_chat_member
        if joined and joined.status in ("left", "kicked"):
            return
        if chat.type != Chat.CHANNEL:
            text = self.renderer.text(Text.of(keys.GROUP), self.engine.default_lang)
            try:
                await self.sender.send(chat.id, text)
            except (Blocked, TelegramError) as exc:
                log.info("could not post the group notice: %s", type(exc).__name__)
        try:
            await self.sender.bot.leave_chat(chat.id)
        except TelegramError as exc:
            log.info("could not leave a group: %s", type(exc).__name__)

    async def _unavailable(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != Chat.PRIVATE:
            return
        user = update.effective_user
        lang = self.catalogs.match(user.language_code if user else None)
        if update.callback_query is not None:
            await self.sender.answer_callback(update.callback_query.id)
        if chat.id in self._notified:  # one notice per chat per outage, not one per retry
            return
        self._notified.add(chat.id)
        try:
            sent = await self.sender.reply(chat.id, self.engine.unavailable(lang), lang)
        except (Blocked, TelegramError) as exc:
            log.warning("could not tell a survivor the service is unavailable: %s", exc)
            return
        self._untracked.setdefault(chat.id, []).extend(sent)


def _kind(update: Update) -> str:
    for kind in ("message", "callback_query", "edited_message", "my_chat_member", "channel_post"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"
