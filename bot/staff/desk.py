"""The staff desk: hand a case to hotline staff in a forum supergroup, and relay both ways.

One forum topic per case, named by its random code. The topic starts with a card (language,
country, situation, what the survivor wants, risk flags, and the message they chose to write
for the team: never other free text) with Claim and Close buttons. Texts are copied, never
forwarded, as the bot's own messages: staff never see the survivor's account and the
survivor never sees a staff member's, only the team's name (or a display name a staff member
set on purpose with /name). Media is never relayed either way.

Everything lives in the store (case status, topic, times, transcript, notes), so the relay
survives a restart and several workers can serve one bot: a claim is one conditional UPDATE,
re-announcements are compare-and-set, topic deletions are idempotent. The store holds no
Telegram objects; this module is where Telegram and the store meet for staff.

Relays both ways go through the outbox, so a killed worker or a failing Bot API delays them,
never loses them: a survivor's message is queued for their topic (`relay_op`) in the same
transaction as the step that read it, in that chat's order, and posted by the sender
(`deliver`) with its retries and pacing (the staff chat is a group: 20 messages a minute);
the survivor's next update, above all /exit, never waits for it, and exit or /delete drop
what is still queued. What staff write to a survivor, and the desk's own messages to them,
are queued the same way, in the survivor's order, and tracked for quick exit when sent.

Staff commands in the staff chat: /cases, /note <text> and /close (in a case topic),
/name [display name], /help. Only members of the staff chat act as staff (getChatMember,
trusted for MEMBER_TTL seconds; a chat_member update saying someone left or was removed ends
their rights at once); anyone else gets nothing done, and that is logged without ids.
Everything the bot posts in the staff chat is protect_content: no forwarding, no saving, so
no copy outlives the topic's deletion.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Sequence

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, TelegramError

from bot.channels.telegram.sender import Blocked, Sender, thread_missing
from bot.channels.telegram.service import StartupError
from bot.config import Settings
from bot.flow import keys
from bot.flow.engine import SHARE_CONSENT_VERSION
from bot.flow.replies import Join, Ltr, Param, Reply, Text
from bot.flow.screens import Env, StaffStatus
from bot.flow.state import State
from bot.runtime import Runtime
from bot.staff.hours import parse_hours
from bot.store import HandoffCase, Store, StoreUnavailable
from bot.store.outbox import Op

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
BUTTON = re.compile(r"^staff:(claim|close):([A-Z0-9]{4}-[A-Z0-9]{4})$")
NAME_MAX = 32  # characters of a staff display name
MEMBER_TTL = 5.0  # seconds a getChatMember answer is trusted
RECENT = 10  # transcript lines shown again in a re-created topic
STAFF_STATUSES = ("creator", "administrator", "member")
ADMIN_STATUSES = ("creator", "administrator")
STOP_SECONDS = 5.0  # how long stop() lets staff-side chores (a topic's deletion) finish


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StaffDesk:
    """Implements the bridge's `Desk` for one staff forum supergroup."""

    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        store: Store,
        sender: Sender,
        *,
        clock: Clock | None = None,
        tick: float = 30.0,
        member_ttl: float = MEMBER_TTL,
    ) -> None:
        if settings.staff_chat_id is None:
            raise ValueError("the staff desk needs HELPLINE_STAFF_CHAT_ID")
        self.chat_id = settings.staff_chat_id
        self.settings = settings
        self.engine = runtime.engine
        self.renderer = runtime.renderer
        self.store = store
        self.sender = sender
        self.hours = parse_hours(settings.staff_hours)
        self.lang = runtime.engine.default_lang  # the staff chat speaks the default locale
        self._clock = clock or _utcnow
        self._tick = tick
        self._native = {loc.code: loc.native_name for loc in runtime.engine.locales}
        self._members: dict[int, tuple[str, float]] = {}
        self._member_ttl = member_ttl  # seconds a getChatMember answer is trusted
        self._task: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[None]] = set()  # staff-side work after an exit
        self.wake: Callable[[], None] = lambda: None  # the outbox has work (the service sets it)

    def __repr__(self) -> str:
        return "StaffDesk()"

    # ------------------------------------------------------------------ the Desk protocol

    def owns(self, chat_id: int) -> bool:
        return chat_id == self.chat_id

    def status(self) -> StaffStatus:
        now = self._clock()
        return StaffStatus(self.hours.is_open(now), self.hours.next_open(now))

    async def start(self) -> None:
        """Check the staff chat, set its command menu, start re-announcing and cleaning up."""
        bot = self.sender.bot
        try:
            chat = await bot.get_chat(self.chat_id)
            me = await bot.get_chat_member(self.chat_id, bot.id)
        except TelegramError:
            raise StartupError(
                "HELPLINE_STAFF_CHAT_ID: the bot cannot see that chat; add the bot to the "
                "staff supergroup as an admin, or check the id"
            ) from None
        if not chat.is_forum:
            raise StartupError(
                "HELPLINE_STAFF_CHAT_ID: the staff chat is not a forum; turn on Topics in "
                "the group's settings"
            )
        allowed = me.status == "creator" or (
            me.status == "administrator"
            and getattr(me, "can_manage_topics", False)
            and getattr(me, "can_delete_messages", False)
        )
        if not allowed:
            raise StartupError(
                "HELPLINE_STAFF_CHAT_ID: make the bot an admin of the staff chat allowed to "
                "manage topics and delete messages"
            )
        commands = [
            BotCommand(name, self.renderer.plain(Text.of(key), self.lang)[:256])
            for name, key in keys.STAFF_COMMAND_MENU.items()
        ]
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(self.chat_id))
        except TelegramError as exc:
            log.warning("could not set the staff command menu: %s", type(exc).__name__)
        self._task = asyncio.create_task(self._run(), name="staff-desk")

    async def stop(self) -> None:
        """Stop housekeeping; let chores finish for a moment (relays wait in the outbox)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._chores:
            await asyncio.wait(list(self._chores), timeout=STOP_SECONDS)
        for chore in list(self._chores):
            chore.cancel()
        if self._chores:
            await asyncio.wait(self._chores)

    async def drained(self) -> None:
        """Wait until every chore is done (tests, and a clean shutdown)."""
        while self._chores:
            await asyncio.wait(list(self._chores))

    async def handle(self, update: Update) -> None:
        """Anything that happens in the staff chat."""
        message = update.message
        thread = _thread(message)
        try:
            if update.chat_member is not None:
                self._on_member_change(update.chat_member)
            elif update.callback_query is not None:
                await self._on_button(update.callback_query)
            elif message is not None:
                await self._on_message(message, thread, update.update_id)
            elif update.edited_message is not None:
                await self._on_edit(update.edited_message)
        except StoreUnavailable:
            log.warning("staff: the database is unavailable; the action was not carried out")
            if update.callback_query is not None:
                await self._toast(update.callback_query, keys.STAFF_ERROR)
            else:
                await self._say(thread, keys.STAFF_ERROR)
        except (TelegramError, Blocked) as exc:
            log.warning("staff: an update could not be completed: %s", type(exc).__name__)

    async def opened(self, chat_id: int, state: State) -> None:
        """The survivor agreed to talk to a person: open the case's topic and say what next."""
        case = await self.store.case_of_chat(chat_id)
        if case is None:
            await self._unavailable(chat_id, state)
            return
        code = case.code
        # Its own record, apart from the consent to keep (on the case): they agreed to share
        # just now (handoff_consent is asked before every handoff, kept case or not).
        await self.store.share_consented(code, SHARE_CONSENT_VERSION)
        try:
            if not case.with_staff or case.thread_id is None:
                thread = await self.sender.create_topic(
                    self.chat_id, self._plain(Text.of(keys.STAFF_TOPIC, code=code))
                )
                opened = await self.store.open_handoff(code, thread, dict(state.answers))
                if opened is None:
                    await self._unavailable(chat_id, state)
                    return
                case = opened
            await self._post_card(case, state)
        except (TelegramError, Blocked) as exc:
            log.warning("staff: could not open a case topic: %s", type(exc).__name__)
            await self.store.close_handoff(code, None, self._clock())  # its topic goes too
            await self._unavailable(chat_id, state)
            return
        if case.status == "claimed":
            reply = Reply((Text.of(keys.HANDOFF_JOINED),))
        else:
            waiting = [c for c in await self.store.open_cases() if c.status == "open"]
            ahead = next((i for i, c in enumerate(waiting) if c.code == case.code), 0)
            reply = self.engine.handoff_waiting(state, self._env(), ahead)
        await self._to_survivor(case, chat_id, reply, state.lang)

    def relay_op(self, text: str, withheld: str | None) -> Op:
        """A survivor's text (or a media-withheld notice) for their case's topic, as an outbox
        operation of their chat: queued with the step that read it, posted by `deliver`."""
        return {"k": "staff", "text": text, "withheld": withheld}

    async def deliver(self, chat_id: int, op: Op, sender: Sender) -> None:
        """Post a queued relay in the survivor's topic (the outbox's sender calls this).

        A failure worth retrying (5xx, 429, a timeout) is raised for the outbox to retry; one
        that will not change (the staff chat refuses it) tells the survivor it did not arrive.
        """
        text, withheld = str(op.get("text") or ""), op.get("withheld")
        case = await self.store.case_of_chat(chat_id)
        if case is None:
            return  # erased (/exit, /delete): nothing of theirs goes to staff any more
        if not case.with_staff or case.thread_id is None:
            await self._goodbye(chat_id)  # closed under them: say so, leave handoff
            return
        if case.blocked_at is not None:
            await self.store.mark_blocked(case.code, blocked=False)
        body: list[Text] = []
        alert = False
        if withheld:
            body.append(Text.of(keys.STAFF_WITHHELD))
        if text:
            body.append(Text.of(keys.STAFF_FROM_SURVIVOR, text=text))
            if self.engine.crisis.match(text):
                body.append(Text.of(keys.STAFF_CRISIS_WORDS))
                alert = True  # may use the staff chat's reserved sends (pacer)
        try:
            await self._post(case, body, sender=sender, alert=alert)
        except (BadRequest, Blocked) as exc:
            log.warning("staff: a survivor's message could not be posted: %s", type(exc).__name__)
            await self._to_survivor(case, chat_id, Reply((Text.of(keys.HANDOFF_RELAY_FAILED),)))
            return
        if text:
            await self._remember(case.code, "survivor", text)

    async def _remember(self, code: str, who: str, text: str) -> None:
        """Add to the transcript; a transcript that cannot grow never stops a relay."""
        try:
            await self.store.append_transcript(code, who, text)
        except (ValueError, StoreUnavailable) as exc:
            log.warning("staff: a relayed message was not added to the transcript: %s",
                        type(exc).__name__)  # fmt: skip

    async def survivor_left(self, chat_id: int, reason: str) -> None:
        """The survivor left (exit, delete, a new start) or blocked the bot mid-handoff.

        Exit and delete return quickly (relays still queued for staff left the outbox with
        the erasure): the topic is deleted in the background (the store has it scheduled,
        so housekeeping retries if that fails). A new start or a block is told to staff at
        once."""
        await self._left(chat_id, reason)

    async def _left(self, chat_id: int, reason: str) -> None:
        case = await self.store.case_of_chat(chat_id)
        if case is None or not case.with_staff:
            return
        if reason == "blocked":  # the first time, and each message of theirs that failed
            first = await self.store.mark_blocked(case.code)
            key = keys.STAFF_BLOCKED if first else keys.STAFF_UNDELIVERED_BLOCKED
            await self._post_quietly(case, [Text.of(key)])
            return
        now = self._clock()
        await self.store.audit(f"handoff.survivor_{reason}", None, case.code)
        if reason in ("exit", "delete"):
            # Erasure follows at once: the topic goes now, so staff hear it in General.
            await self.store.close_handoff(case.code, None, now)  # schedules the topic's end
            chore = asyncio.create_task(self._erased(case), name="staff-erased")
            self._chores.add(chore)
            chore.add_done_callback(self._chores.discard)
            return
        delay = dt.timedelta(minutes=self.settings.topic_delete_minutes)
        await self.store.close_handoff(case.code, None, now + delay)
        await self._post_quietly(case, [Text.of(keys.STAFF_SURVIVOR_LEFT, delay=delay)])

    # ------------------------------------------------------------------ staff messages

    async def _on_message(self, message: Message, thread: int | None, update_id: int) -> None:
        user = message.from_user
        if user is None or user.is_bot or message.sender_chat is not None:
            return  # the bot itself, other bots, anonymous admins: nobody to act for
        command = self._command(message)
        if command is not None:
            if not await self._is_staff(user.id):
                log.warning("staff: ignored a command from someone outside the staff chat")
                return
            await self._on_command(command[0], command[1], user, thread)
            return
        if thread is None:
            return  # the General topic: staff talk among themselves, never relayed
        case = await self.store.handoff_for_thread(thread)
        if case is None:
            return  # a topic that is not a case: never relayed
        if not await self._is_staff(user.id):
            log.warning("staff: ignored a message from someone outside the staff chat")
            return
        if message.text is None:
            if _has_content(message):
                await self._say(thread, keys.STAFF_MEDIA_NOT_SENT)
            return
        await self._relay(case, user, message.text, thread, update_id)

    async def _on_edit(self, message: Message) -> None:
        thread = _thread(message)
        user = message.from_user
        if thread is None or user is None or user.is_bot:
            return
        case = await self.store.handoff_for_thread(thread)
        if case is not None and case.status == "claimed":
            await self._say(thread, keys.STAFF_EDIT_NOT_SENT)

    async def _on_command(self, name: str, arg: str, user: User, thread: int | None) -> None:
        staff = self.store.staff_pseudonym(user.id)
        if name == "cases":
            await self._cases(staff, thread)
        elif name == "name":
            await self._set_name(staff, arg, thread)
        elif name in ("note", "close"):
            case = await self.store.handoff_for_thread(thread) if thread is not None else None
            if case is None:
                await self._say(thread, keys.STAFF_TOPIC_ONLY)
            elif name == "close":
                await self._close(case, user, thread, None)
            elif not arg:
                await self._say(thread, keys.STAFF_NOTE_EMPTY)
            else:
                await self.store.add_note(case.code, staff, arg)
                await self._say(thread, keys.STAFF_NOTE_SAVED)
        else:
            await self._say(thread, Text.of(keys.STAFF_HELP, team=self._team()))

    async def _relay(
        self, case: HandoffCase, user: User, text: str, thread: int, update_id: int
    ) -> None:
        """A staff member's text in a case topic, to the survivor, signed by the team: queued
        once (with the update's id: a redelivered update queues nothing again)."""
        staff = self.store.staff_pseudonym(user.id)
        if case.status == "open":
            await self._say(thread, keys.STAFF_CLAIM_FIRST)
            return
        if case.status != "claimed":
            await self._say(thread, keys.STAFF_ALREADY_CLOSED)
            return
        if case.claimed_by != staff:
            await self.store.audit("staff.denied.relay", staff, case.code)
            await self._say(thread, keys.STAFF_NOT_YOURS)
            return
        signature = await self._signature(staff)
        reply = Reply(
            (Text.of(keys.HANDOFF_FROM_TEAM, team=signature, text=text),), sensitive=True
        )
        if await self._to_survivor(case, None, reply, notify=thread, update_id=update_id):
            await self._remember(case.code, "staff", text)
            await self.store.audit("staff.relayed", staff, case.code)

    async def _cases(self, staff: str, thread: int | None) -> None:
        now = self._clock()
        cases = await self.store.open_cases()
        await self.store.audit("staff.cases", staff, None)
        if not cases:
            await self._say(thread, keys.STAFF_CASES_NONE)
            return
        waiting = [
            Text.of(keys.STAFF_CASES_WAITING, code=Ltr(c.code), waited=now - (c.opened_at or now))
            for c in cases
            if c.status == "open"
        ]
        claimed = [
            Text.of(keys.STAFF_CASES_CLAIMED, code=Ltr(c.code), since=now - (c.claimed_at or now))
            for c in cases
            if c.status == "claimed"
        ]
        lines = Join(tuple(waiting + claimed))
        await self._send(thread, [Text.of(keys.STAFF_CASES_TITLE), _verbatim(lines)])

    async def _set_name(self, staff: str, arg: str, thread: int | None) -> None:
        name = " ".join(arg.split())
        if len(name) > NAME_MAX:
            await self._say(thread, Text.of(keys.STAFF_NAME_TOO_LONG, max=NAME_MAX))
            return
        await self.store.set_staff_name(staff, name or None)
        if name:
            signature = Text.of(keys.HANDOFF_SIGNATURE, name=name, team=self._team())
            await self._say(thread, Text.of(keys.STAFF_NAME_SET, signature=signature))
        else:
            await self._say(thread, Text.of(keys.STAFF_NAME_CLEARED, signature=self._team()))

    # ------------------------------------------------------------------ buttons

    async def _on_button(self, query: CallbackQuery) -> None:
        user = query.from_user
        match = BUTTON.match(query.data or "")
        code = match[2] if match else None
        if not await self._is_staff(user.id):
            log.warning("staff: refused a button press from someone outside the staff chat")
            await self.store.audit(
                "staff.denied.not_member", self.store.staff_pseudonym(user.id), code
            )
            await self._toast(query, keys.STAFF_NOT_STAFF)
            return
        message = query.message if isinstance(query.message, Message) else None
        thread = _thread(message)
        case = await self.store.handoff_case(code) if code else None
        if match is None or case is None or case.thread_id != thread:
            log.warning("staff: a button press did not match any case in its topic")
            await self._toast(query, keys.STAFF_UNKNOWN_CASE)
            return
        if match[1] == "claim":
            await self._claim(query, message, case, user)
        else:
            await self._close(case, user, thread, query)

    async def _claim(
        self, query: CallbackQuery, message: Message | None, case: HandoffCase, user: User
    ) -> None:
        staff = self.store.staff_pseudonym(user.id)
        won = await self.store.claim(case.code, staff)
        if won is None:
            now = await self.store.handoff_case(case.code)
            if now is not None and now.status == "claimed":
                mine = now.claimed_by == staff
                await self._toast(query, keys.STAFF_CLAIMED_TOAST if mine else keys.STAFF_TAKEN)
            else:
                await self._toast(query, keys.STAFF_ALREADY_CLOSED)
            return
        await self._toast(query, keys.STAFF_CLAIMED_TOAST)
        claimed = Text.of(keys.STAFF_CLAIMED, name=await self._label(user, staff))
        if message is not None:
            text = f"{message.text_html or ''}\n\n{self.renderer.text(claimed, self.lang)}"
            await self.sender.edit(self.chat_id, message.message_id, text, self._buttons(won))
        else:
            await self._post_quietly(won, [claimed])
        await self._to_survivor(
            won, None, Reply((Text.of(keys.HANDOFF_JOINED),)), notify=won.thread_id
        )

    async def _close(
        self, case: HandoffCase, user: User, thread: int | None, query: CallbackQuery | None
    ) -> None:
        staff = self.store.staff_pseudonym(user.id)
        someone_elses = case.status == "claimed" and case.claimed_by != staff
        if someone_elses and await self._member(user.id) not in ADMIN_STATUSES:
            await self.store.audit("staff.denied.close", staff, case.code)
            await self._answer(query, thread, keys.STAFF_NOT_YOURS_CLOSE)
            return
        delay = dt.timedelta(minutes=self.settings.topic_delete_minutes)
        before = await self.store.close_handoff(case.code, staff, self._clock() + delay)
        if before is None:
            await self._answer(query, thread, keys.STAFF_ALREADY_CLOSED)
            return
        if query is not None:
            await self.sender.answer_callback(query.id)
        chat = await self.store.chat_for_case(case.code)
        if chat is not None:
            await self._goodbye(chat)
        if not delay and before.thread_id is not None:
            await self._delete_topic(before.thread_id)
            return
        closed = Text.of(keys.STAFF_CLOSED, name=await self._label(user, staff), delay=delay)
        message = query.message if query is not None else None
        if isinstance(message, Message):  # the card (or a reminder) loses its buttons
            text = f"{message.text_html or ''}\n\n{self.renderer.text(closed, self.lang)}"
            await self.sender.edit(self.chat_id, message.message_id, text)
        else:
            await self._post_quietly(before, [closed])

    # ------------------------------------------------------------------ the survivor's side

    async def _to_survivor(
        self,
        case: HandoffCase,
        chat_id: int | None,
        reply: Reply,
        lang: str | None = None,
        *,
        notify: int | None = None,
        update_id: int | None = None,
    ) -> bool:
        """Queue one reply for the case's survivor in the outbox (after what is queued for
        them already; False if `update_id` was applied before). Staff hear if it could not
        be delivered (they blocked the bot)."""
        chat = chat_id if chat_id is not None else await self.store.chat_for_case(case.code)
        if chat is None:
            if notify is not None:
                await self._say(notify, keys.STAFF_UNKNOWN_CASE)
            return False
        if lang is None:
            lang = (await self._survivor_state(chat, case)).lang
        async with self.store.conversation(chat, update_id) as conv:
            if conv.duplicate:
                return False
            conv.deliver(self._ops([reply], lang), urgent=True)  # the state is left as it is
        self.wake()
        return True

    async def _survivor_state(self, chat: int, case: HandoffCase) -> State:
        """The survivor's conversation, kept alive while staff talk to them (and rebuilt
        from the case if it idled out, so their replies still reach the team)."""
        async with self.store.conversation(chat) as conv:
            if conv.state is not None:
                conv.save(conv.state)  # a new idle deadline from now
                return State.from_dict(conv.state)
        kept = await self.store.load_case(chat)
        state = self.engine.restore(kept.answers, kept.lang) if kept else State()
        if case.with_staff:
            state.mode = "handoff"
            async with self.store.conversation(chat) as conv:
                if conv.state is not None:
                    return State.from_dict(conv.state)
                conv.save(state.to_dict())
        return state

    async def _goodbye(self, chat: int) -> None:
        """Staff closed the case: the kind closing message, and the conversation leaves
        handoff mode."""
        kept = await self.store.load_case(chat)  # before the conversation's lock
        async with self.store.conversation(chat) as conv:
            if conv.state is not None:
                state = State.from_dict(conv.state)
            else:
                state = self.engine.restore(kept.answers, kept.lang) if kept else State()
            outcome = self.engine.handoff_closed(state, self._env())
            if conv.state is None or state.mode == "handoff":
                conv.save(outcome.state.to_dict())
            conv.deliver(self._ops(outcome.replies, outcome.state.lang), urgent=True)
        self.wake()

    async def _unavailable(self, chat: int, state: State) -> None:
        """The team cannot be reached after all: services instead, and the flow goes on."""
        async with self.store.conversation(chat) as conv:
            current = State.from_dict(conv.state) if conv.state is not None else state
            outcome = self.engine.handoff_unavailable(current, self._env())
            conv.save(outcome.state.to_dict())
            conv.deliver(self._ops(outcome.replies, outcome.state.lang), urgent=True)
        self.wake()

    def _ops(self, replies: Sequence[Reply], lang: str | None) -> list[Op]:
        lang = lang or self.engine.default_lang
        return [op for reply in replies for op in self.sender.ops(reply, lang)]

    # ------------------------------------------------------------------ the case topic

    async def _post_card(self, case: HandoffCase, state: State, reopened: bool = False) -> None:
        summary = self.engine.screens.case_summary(state)
        lang = state.lang or self.engine.default_lang
        body = [
            Text.of(keys.STAFF_CARD_TITLE, code=Ltr(case.code)),
            Text.of(
                keys.STAFF_CARD_LANGUAGE, language=self._native.get(lang, lang), code=Ltr(lang)
            ),
        ]
        if reopened:
            body.insert(0, Text.of(keys.STAFF_CARD_REOPENED))
        if summary.flags:
            flags = Join(tuple(Text.of(keys.STAFF_FLAG[f]) for f in summary.flags))
            body.append(Text.of(keys.STAFF_CARD_FLAGS, flags=flags))
        if summary.items:
            items = tuple(
                Text.of(keys.STAFF_CARD_ITEM, question=q, answer=a) for q, a in summary.items
            )
            body.append(_verbatim(Join(items)))
        status = self.status()
        if status.open_now or status.next_open is None:
            body.append(Text.of(keys.STAFF_CARD_TOLD_OPEN))
        else:
            body.append(Text.of(keys.STAFF_CARD_TOLD_OFFLINE, when=status.next_open))
        body.append(Text.of(keys.STAFF_CARD_HOW, team=self._team()))
        await self._post(case, body, self._buttons(case), reopen=not reopened)

    async def _post(
        self,
        case: HandoffCase,
        body: Sequence[Text],
        keyboard: InlineKeyboardMarkup | None = None,
        *,
        reopen: bool = True,
        sender: Sender | None = None,
        alert: bool = False,
    ) -> None:
        """Post in the case's topic; if the topic is gone, open a new one first (once)."""
        try:
            await self._send(case.thread_id, body, keyboard, sender, alert)
        except TelegramError as exc:
            if not (reopen and thread_missing(exc)):
                raise
            current = await self.store.handoff_case(case.code)
            if current is None or not current.with_staff:
                return  # closed meanwhile (an exit while this was posting): nothing to reopen
            moved = await self._reopen(current)
            await self._send(moved.thread_id, body, keyboard, sender, alert)

    async def _post_quietly(self, case: HandoffCase, body: Sequence[Text]) -> None:
        try:
            await self._post(case, body)
        except (TelegramError, Blocked) as exc:
            log.warning("staff: a notice could not be posted: %s", type(exc).__name__)

    async def _reopen(self, case: HandoffCase) -> HandoffCase:
        """The case's topic was deleted by hand: a new topic with the card and the latest
        messages, so whoever answers has the context."""
        log.info("staff: a case topic was missing; opening a new one")
        name = self._plain(Text.of(keys.STAFF_TOPIC, code=case.code))
        thread = await self.sender.create_topic(self.chat_id, name)
        await self.store.move_thread(case.code, thread)
        moved = await self.store.handoff_case(case.code) or case
        chat = await self.store.chat_for_case(case.code)
        kept = await self.store.load_case(chat) if chat is not None else None
        state = self.engine.restore(kept.answers, kept.lang) if kept else State()
        await self._post_card(moved, state, reopened=True)
        recent = [
            Text.of(
                keys.STAFF_FROM_SURVIVOR if e.who == "survivor" else keys.STAFF_TEAM_SAID,
                text=e.text,
            )
            for e in await self.store.transcript(case.code, RECENT)
        ]
        if recent:
            await self._send(thread, recent)
        return moved

    async def _erased(self, case: HandoffCase) -> None:
        """After an exit or /delete: the topic goes now, and staff hear it in General."""
        try:
            if case.thread_id is not None:
                await self._delete_topic(case.thread_id)
            with contextlib.suppress(TelegramError, Blocked):
                await self._send(None, [Text.of(keys.STAFF_SURVIVOR_ERASED, code=Ltr(case.code))])
        except Exception as exc:  # the store has the deletion scheduled: housekeeping retries
            log.warning("staff: tidying up after an exit failed: %s", type(exc).__name__)

    async def _delete_topic(self, thread: int) -> None:
        """Delete now; if Telegram fails, the housekeeping loop retries (it is in the store)."""
        await self.store.schedule_topic_deletion(thread, self._clock())
        try:
            await self.sender.delete_topic(self.chat_id, thread)
        except (TelegramError, Blocked) as exc:
            log.warning("staff: a topic could not be deleted yet: %s", type(exc).__name__)
            return
        await self.store.topic_deleted(thread)

    # ------------------------------------------------------------------ housekeeping

    async def _run(self) -> None:
        while True:
            try:
                await self.housekeeping()
            except Exception as exc:  # retried next round, never fatal
                log.warning("staff housekeeping failed: %s", type(exc).__name__)
            await asyncio.sleep(self._tick)

    async def housekeeping(self) -> None:
        """Delete topics that are due; re-announce cases nobody claimed (within hours)."""
        now = self._clock()
        for thread in await self.store.topics_due(now):
            try:
                await self.sender.delete_topic(self.chat_id, thread)
            except (TelegramError, Blocked) as exc:
                log.warning("staff: a topic could not be deleted yet: %s", type(exc).__name__)
                continue
            await self.store.topic_deleted(thread)
        if not self.hours.is_open(now):
            return
        every = dt.timedelta(minutes=self.settings.reannounce_minutes)
        for case in await self.store.open_cases():
            last = case.announced_at or case.opened_at
            if case.status != "open" or last is None or now - last < every:
                continue
            if not await self.store.mark_announced(case.code, case.announced_at):
                continue  # another worker did it
            waited = now - (case.opened_at or last)
            text = Text.of(keys.STAFF_REANNOUNCE, code=Ltr(case.code), waited=waited)
            await self._post(case, [text], self._buttons(case))

    # ------------------------------------------------------------------ helpers

    def _env(self) -> Env:
        return Env(
            channel="telegram",
            storage=True,
            retention_days=self.settings.retention_days,
            idle_hours=self.settings.idle_hours,
            staff=self.status(),
        )

    def _team(self) -> Param:
        """The team's name: the configured one, else the catalog's (in each reader's language)."""
        return self.settings.staff_team_name or Text.of(keys.HANDOFF_TEAM_NAME)

    async def _signature(self, staff: str) -> Param:
        name = await self.store.staff_name(staff)
        if name is None:
            return self._team()
        return Text.of(keys.HANDOFF_SIGNATURE, name=name, team=self._team())

    async def _label(self, user: User, staff: str) -> str:
        """How a staff member is named to colleagues in the staff chat."""
        return await self.store.staff_name(staff) or user.first_name

    def _buttons(self, case: HandoffCase) -> InlineKeyboardMarkup:
        close = InlineKeyboardButton(
            self._plain(Text.of(keys.STAFF_CLOSE)), callback_data=f"staff:close:{case.code}"
        )
        if case.status != "open":
            return InlineKeyboardMarkup([[close]])
        claim = InlineKeyboardButton(
            self._plain(Text.of(keys.STAFF_CLAIM)), callback_data=f"staff:claim:{case.code}"
        )
        return InlineKeyboardMarkup([[claim, close]])

    def _plain(self, text: Text) -> str:
        return self.renderer.plain(text, self.lang)

    async def _send(
        self,
        thread: int | None,
        body: Sequence[Text],
        keyboard: InlineKeyboardMarkup | None = None,
        sender: Sender | None = None,
        alert: bool = False,
    ) -> None:
        """Post in the staff chat: in topic `thread`, or in General (never thread id 1).
        Ahead of other chats' traffic (urgent): staff are waiting for it; an `alert` (words
        of crisis) also ahead of the staff chat's other posts."""
        rendered = self.renderer.reply(Reply(tuple(body)), self.lang)
        last = len(rendered.messages) - 1
        topic = thread if thread and thread != 1 else None
        for i, text in enumerate(rendered.messages):
            markup = keyboard if i == last else None
            await (sender or self.sender).send(
                self.chat_id,
                text,
                markup,
                protect=True,
                thread_id=topic,
                urgent=True,
                alert=alert,
            )

    async def _say(self, thread: int | None, what: str | Text) -> None:
        text = Text.of(what) if isinstance(what, str) else what
        try:
            await self._send(thread, [text])
        except (TelegramError, Blocked) as exc:
            log.warning("staff: a notice could not be posted: %s", type(exc).__name__)

    async def _toast(self, query: CallbackQuery, key: str) -> None:
        await self.sender.answer_callback(query.id, self._plain(Text.of(key)))

    async def _answer(self, query: CallbackQuery | None, thread: int | None, key: str) -> None:
        if query is not None:
            await self._toast(query, key)
        else:
            await self._say(thread, key)

    async def _member(self, user_id: int) -> str | None:
        """The user's status in the staff chat (cached briefly); None when unknown."""
        now = time.monotonic()
        cached = self._members.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await self.sender.bot.get_chat_member(self.chat_id, user_id)
        except TelegramError as exc:
            log.warning("staff: could not check a staff chat member: %s", type(exc).__name__)
            return None
        status = str(member.status)
        if status == "restricted" and getattr(member, "is_member", False):
            status = "member"
        if len(self._members) > 1000:
            self._members = {k: v for k, v in self._members.items() if v[1] > now}
        self._members[user_id] = (status, now + self._member_ttl)
        return status

    def _on_member_change(self, change: ChatMemberUpdated) -> None:
        """Telegram reports a staff chat member's new status: trust it over the cache."""
        member = change.new_chat_member
        status = str(member.status)
        if status == "restricted" and getattr(member, "is_member", False):
            status = "member"
        self._members[member.user.id] = (status, time.monotonic() + self._member_ttl)
        if status not in STAFF_STATUSES:
            log.info("staff: a member left the staff chat; their staff rights ended")

    async def _is_staff(self, user_id: int) -> bool:
        return await self._member(user_id) in STAFF_STATUSES

    def _command(self, message: Message) -> tuple[str, str] | None:
        """(name, argument) of a command addressed to this bot, else None."""
        entity = message.entities[0] if message.entities else None
        text = message.text or ""
        if entity is None or entity.type != "bot_command" or entity.offset != 0:
            return None
        name, _, addressee = text[1 : entity.length].partition("@")
        if addressee and addressee.lower() != (self.sender.bot.username or "").lower():
            return None
        return name.lower(), text[entity.length :].strip()


def _thread(message: object) -> int | None:
    """The forum topic a message is in; None for General (whose replies carry fake ids)."""
    if not isinstance(message, Message) or not message.is_topic_message:
        return None
    return message.message_thread_id


def _has_content(message: Message) -> bool:
    return message.effective_attachment is not None or message.caption is not None


def _verbatim(value: Param) -> Text:
    return Text.of(keys.VERBATIM, text=value)
