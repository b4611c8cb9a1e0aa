"""Working state: one chat's place in the triage, encrypted, gone after `idle_hours`.

Each update is handled in one locked transaction that also records its update id, so a
re-delivered update is recognised (`Conversation.duplicate`) and changes nothing. Update ids
are purged once Telegram can no longer redeliver them (MARKER_TTL).

Times at rest are coarse so that no two columns link a chat's pseudonym to an update id:
`processed_update.seen_at` is the hour the update came (rounded down), and a working state's
`expires_at` is rounded up to the whole minute. Without that, `expires_at - idle` equalled
`seen_at` to the microsecond.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import col, select

from bot.flow.screens import Stored
from bot.store.cases import stored_in
from bot.store.core import hour_floor, log, minute_ceil
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.engines import unavailable
from bot.store.errors import DecryptionError
from bot.store.outbox import Op, Outbox, Pending
from bot.store.tables import ConversationRow, ProcessedUpdate
from bot.store.tracked import ChatKey

# Telegram keeps an unconfirmed update for 24 h at most; seen_at is rounded down to the hour,
# and one hour more of margin: a purged update id can no longer come back.
MARKER_TTL = dt.timedelta(hours=26)
LAST_UPDATE = "__update"  # inside the encrypted state: the newest update id applied to it


# Built once: building a statement costs more CPU than running it (every update runs these).
_PROCESSED = select(ProcessedUpdate.update_id).where(
    col(ProcessedUpdate.update_id) == bindparam("update_id")
)
_SAVE = update(ConversationRow).where(col(ConversationRow.subject) == bindparam("b_subject"))
_APPLIED = insert(ProcessedUpdate)
_STATE = (
    select(ConversationRow.key_id, ConversationRow.state_enc, ConversationRow.expires_at)
    .where(col(ConversationRow.subject) == bindparam("subject"))
    .with_for_update()
)


class Conversation:
    """One chat's working state inside a locked transaction (see Store.conversation)."""

    __slots__ = (
        "_cancel",
        "_chat_id",
        "_forget",
        "_outbox",
        "_save",
        "_state",
        "_track",
        "duplicate",
        "last_update",
        "reset",
        "stale",
        "state",
        "stored",
    )

    def __init__(
        self, state: dict[str, Any] | None, reset: bool, duplicate: bool, chat_id: int = 0
    ) -> None:
        self.state = state
        self.reset = reset
        self.duplicate = duplicate
        self._chat_id = chat_id
        self.last_update: int | None = None  # the newest update applied to this state
        self.stale = False  # this update is older than that: never apply it over newer state
        self.stored = Stored()  # what is stored for the chat (for /mydata), read in this block
        self._state: dict[str, Any] | None = None
        self._save: bytes | None = None
        self._forget = False
        self._outbox: list[Pending] = []
        self._track: list[int] = []
        self._cancel = False

    def __repr__(self) -> str:
        return (
            f"Conversation(state=<{'none' if self.state is None else 'redacted'}>, "
            f"reset={self.reset}, duplicate={self.duplicate})"
        )

    def save(self, state: dict[str, Any]) -> None:
        """Keep this state (encrypted) when the block ends; ignored for a duplicate update."""
        if not isinstance(state, dict):
            raise TypeError("state must be a dict")
        self._save = encode_json(state)  # fails here, in the caller's block, if unstorable
        self._state = state
        self._forget = False

    def forget(self) -> None:
        """Drop the working state when the block ends."""
        self._save = None
        self._forget = True

    def deliver(self, ops: list[Op], *, urgent: bool = False, staff: bool = False) -> None:
        """Queue operations for this chat in the outbox, written with this transaction
        (`staff`: relays to staff, in the chat's staff lane)."""
        if ops:
            self._outbox.append(Pending(self._chat_id, list(ops), urgent, staff))

    def track(self, message_ids: list[int]) -> None:
        """Track message ids for quick exit, with this transaction."""
        self._track += message_ids

    def cancel_outbox(self) -> None:
        """Drop what is still queued for this chat (quick exit), with this transaction."""
        self._cancel = True
        self._outbox.clear()


class Conversations(Outbox):
    def conversation(
        self, chat_id: int, update_id: int | None = None
    ) -> AbstractAsyncContextManager[Conversation]:
        """Load, then save or forget, one chat's working state in one locked transaction.

        Updates of one chat are serialised across workers (PostgreSQL advisory lock on the
        pseudonym; SQLite BEGIN IMMEDIATE); `update_id` is recorded in the same transaction,
        so a re-delivered update comes back with `duplicate=True` and changes nothing. If
        the block raises, nothing is written.
        """
        return self._conversation(chat_id, update_id)

    @asynccontextmanager
    async def _conversation(
        self, chat_id: int, update_id: int | None
    ) -> AsyncIterator[Conversation]:
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        with unavailable():
            conn = await self._main.connect()
        try:
            with unavailable():
                await conn.begin()
                await self._lock(conn, subject)
                duplicate = (
                    update_id is not None
                    and (await conn.execute(_PROCESSED, {"update_id": update_id})).first()
                    is not None
                )
                row = None
                chat: ChatKey | None = None
                if not duplicate:
                    row = (await conn.execute(_STATE, {"subject": subject})).first()
                    # The step's keys in one key store round trip: its state's and its chat's.
                    live = row is not None and row.expires_at > now
                    chat = await self._load_tracked(
                        conn, subject, also=[row.key_id] if row is not None and live else []
                    )
            state: dict[str, Any] | None = None
            last: int | None = None
            reset = False
            data_key: bytes | None = None
            if row is not None and row.expires_at > now:
                try:
                    assert chat is not None
                    data_key = chat.fetched.get(row.key_id)
                    if data_key is None:
                        raise DecryptionError
                    value = unseal_json(data_key, row.state_enc, _aad_state(subject))
                    if not isinstance(value, dict):
                        raise DecryptionError
                    last = value.pop(LAST_UPDATE, None)
                    state = value
                except DecryptionError:
                    data_key = None
                    reset = True
                    log.warning(
                        "a conversation's stored state could not be decrypted; it restarts"
                    )
            conv = Conversation(state, reset, duplicate, chat_id)
            if not duplicate:
                with unavailable():
                    conv.stored = await stored_in(
                        conn, subject, row.expires_at if row is not None else None, now
                    )
            conv.last_update = last if isinstance(last, int) else None
            conv.stale = (
                update_id is not None
                and conv.last_update is not None
                and update_id < conv.last_update
            )
            try:
                yield conv
            except BaseException:
                with suppress(Exception):
                    await conn.rollback()
                raise
            shred: list[str] = []
            with unavailable():
                if not duplicate:
                    if conv._save is not None:
                        expires = minute_ceil(now + self._idle)
                        if data_key is None:
                            if row is not None:
                                shred.append(row.key_id)  # expired or unreadable: new key
                            key_id, data_key = await self._keys.create()
                        else:
                            assert row is not None
                            key_id = row.key_id
                        plain = conv._save
                        newest = max(
                            (u for u in (conv.last_update, update_id) if u is not None),
                            default=None,
                        )
                        if newest is not None and conv._state is not None:
                            plain = encode_json({**conv._state, LAST_UPDATE: newest})
                        sealed = seal(data_key, plain, _aad_state(subject))
                        values = {"key_id": key_id, "state_enc": sealed, "expires_at": expires}
                        if row is None:
                            await conn.execute(
                                insert(ConversationRow).values(subject=subject, **values)
                            )
                        else:
                            await conn.execute(_SAVE, {"b_subject": subject, **values})
                    elif row is not None and (conv._forget or reset or row.expires_at <= now):
                        await conn.execute(
                            delete(ConversationRow).where(col(ConversationRow.subject) == subject)
                        )
                        shred.append(row.key_id)
                    shred = await self._queue(conn, shred, now, unshared=reset)
                    if conv._cancel:
                        shred += await self._queue(
                            conn, await self._cancel_outbox(conn, subject), now
                        )
                    assert chat is not None
                    if conv._track:
                        broken = await self._track(conn, chat, conv._track, now)
                        shred += await self._queue(conn, broken, now, unshared=True)
                    for pending in conv._outbox:
                        await self._enqueue(conn, chat, pending)
                    if update_id is not None:
                        await conn.execute(
                            _APPLIED, {"update_id": update_id, "seen_at": hour_floor(now)}
                        )
                await conn.commit()
        finally:
            with suppress(Exception):
                await conn.close()
        await self._shred(shred, strict=False)


def _aad_state(subject: str) -> bytes:
    return aad("conversation", subject, "state_enc")
