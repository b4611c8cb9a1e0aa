"""Message ids for quick exit: what /exit deletes from the survivor's chat.

Telegram lets a bot delete messages up to 48 hours old, so ids are kept (encrypted, newest
`MAX_TRACKED`) for 48 hours and no longer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.store.core import StoreCore, minute_ceil
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.tables import OutboxRow, TrackedRow

TRACK_TTL = dt.timedelta(hours=48)  # Telegram lets a bot delete messages up to 48 h old
MAX_TRACKED = 500  # message ids kept per chat for quick exit (newest win)


# Built once: building a statement costs more CPU than running it (hot path: every update).
_RETRACK = update(TrackedRow).where(col(TrackedRow.subject) == bindparam("b_subject"))
_TRACKED = (
    select(TrackedRow.key_id, TrackedRow.messages_enc)
    .where(col(TrackedRow.subject) == bindparam("subject"))
    .with_for_update()
)


@dataclass(slots=True)
class ChatKey:
    """A chat's tracked row as read in a locked transaction, and the chat's data key.

    The tracked row's key also seals the chat's outbox rows: one key per chat, fetched with
    the step's state, rather than a key (and a key store transaction) per reply. A key is
    shredded once no tracked or outbox row of the chat uses it any more (`_unused`).
    """

    subject: str
    exists: bool
    key_id: str | None = None
    key: bytes | None = field(default=None, repr=False)
    entries: list[tuple[int, float]] = field(default_factory=list, repr=False)
    broken: str | None = None  # the row's key when it could not be decrypted
    outbox_key: tuple[str, bytes] | None = field(default=None, repr=False)
    fetched: dict[str, bytes] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    message_id: int = field(repr=False)
    at: dt.datetime


class Tracked(StoreCore):
    async def track_messages(
        self, chat_id: int, message_ids: Sequence[int], at: dt.datetime
    ) -> None:
        """Remember message ids (encrypted) that quick exit should delete from the chat.

        Call it outside `conversation()` for the same chat: both take the chat's lock.
        """
        if not message_ids:
            return
        if at.tzinfo is None:
            raise ValueError("`at` must be timezone-aware")
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx(subject) as conn:
            chat = await self._load_tracked(conn, subject)
            shred = await self._track(conn, chat, message_ids, now, at)
            shred = await self._queue(conn, shred, now, unshared=True)
        await self._shred(shred, strict=False)

    async def _load_tracked(
        self,
        conn: AsyncConnection,
        subject: str,
        known: dict[str, bytes] | None = None,
        also: Sequence[str] = (),
    ) -> ChatKey:
        """The chat's tracked row, locked, and its data key: from `known` if there, else
        fetched in one key store round trip with the keys `also` (found ones in `.fetched`)."""
        row = (await conn.execute(_TRACKED, {"subject": subject})).first()
        chat = ChatKey(subject, row is not None)
        known = known or {}
        wanted = [k for k in also if k not in known]
        if row is not None and row.key_id not in known:
            wanted.append(row.key_id)
        chat.fetched = {**known, **await self._keys.get_found(wanted)}
        if row is None:
            return chat
        key = chat.fetched.get(row.key_id)
        if key is not None:
            try:
                chat.entries = _entries(unseal_json(key, row.messages_enc, _aad_tracked(subject)))
                chat.key_id, chat.key = row.key_id, key
                return chat
            except DecryptionError:
                pass
        chat.broken = row.key_id
        return chat

    async def _track(
        self,
        conn: AsyncConnection,
        chat: ChatKey,
        message_ids: Sequence[int],
        now: dt.datetime,
        at: dt.datetime | None = None,
        spare: tuple[str, bytes] | None = None,
    ) -> list[str]:
        """`track_messages` inside the caller's locked transaction, on a row `_load_tracked`
        read; returns keys to queue (with unshared=True: the row's key when it could not be
        decrypted). A new row takes the key `spare` (the chat's outbox key) if given."""
        if not message_ids:
            return []
        shred = [chat.broken] if chat.broken else []
        chat.broken = None
        cutoff = (now - TRACK_TTL).timestamp()
        stamp = (at or now).timestamp()
        entries = [e for e in chat.entries if e[1] > cutoff]
        entries += [(int(m), stamp) for m in message_ids]
        entries = entries[-MAX_TRACKED:]
        last = dt.datetime.fromtimestamp(max(e[1] for e in entries), dt.UTC)
        expires = minute_ceil(last + TRACK_TTL)
        if chat.key_id is None or chat.key is None:
            chat.key_id, chat.key = spare or await self._keys.create()
        values = {
            "key_id": chat.key_id,
            "messages_enc": seal(chat.key, encode_json(entries), _aad_tracked(chat.subject)),
            "expires_at": expires,
        }
        if not chat.exists:
            await conn.execute(insert(TrackedRow).values(subject=chat.subject, **values))
        else:
            await conn.execute(_RETRACK, {"b_subject": chat.subject, **values})
        chat.exists = True
        chat.entries = entries
        return shred

    async def _chat_key(self, chat: ChatKey) -> tuple[str, bytes]:
        """The key that seals the chat's outbox rows: its tracked row's (sent messages are
        tracked there anyway), or a new one the rows hold until the tracked row takes it."""
        if chat.key_id is None or chat.key is None:
            if chat.outbox_key is None:
                chat.outbox_key = await self._keys.create()
            return chat.outbox_key
        return chat.key_id, chat.key

    async def _unused(
        self, conn: AsyncConnection, subject: str, key_ids: Sequence[str]
    ) -> list[str]:
        """Of a chat's outbox keys, those no longer used by its tracked row or outbox rows."""
        key_ids = list(dict.fromkeys(key_ids))
        if not key_ids:
            return []
        used: set[str] = set()
        for table in (TrackedRow, OutboxRow):
            used.update(
                (
                    await conn.execute(
                        select(col(table.key_id)).where(
                            col(table.subject) == subject, col(table.key_id).in_(key_ids)
                        )
                    )
                ).scalars()
            )
        return [k for k in key_ids if k not in used]

    async def take_messages(self, chat_id: int) -> list[TrackedMessage]:
        """For quick exit: the tracked messages still deletable (under 48 h), forgotten now."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        out: list[TrackedMessage] = []
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    select(TrackedRow.key_id, TrackedRow.messages_enc).where(
                        col(TrackedRow.subject) == subject
                    )
                )
            ).first()
            if row is None:
                return []
            try:
                data_key = await self._keys.get(row.key_id)
                entries = _entries(unseal_json(data_key, row.messages_enc, _aad_tracked(subject)))
            except DecryptionError:
                entries = []
            cutoff = (now - TRACK_TTL).timestamp()
            out = [
                TrackedMessage(mid, dt.datetime.fromtimestamp(ts, dt.UTC))
                for mid, ts in entries
                if ts > cutoff
            ]
            await conn.execute(delete(TrackedRow).where(col(TrackedRow.subject) == subject))
            taken = await self._queue(conn, [row.key_id], now, unshared=True)
        await self._shred(taken, strict=False)
        return out


def _aad_tracked(subject: str) -> bytes:
    return aad("tracked_message", subject, "messages_enc")


def _entries(value: Any) -> list[tuple[int, float]]:
    if not isinstance(value, list):
        raise DecryptionError
    out: list[tuple[int, float]] = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], int)
            and isinstance(item[1], int | float)
        ):
            raise DecryptionError
        out.append((item[0], float(item[1])))
    return out
