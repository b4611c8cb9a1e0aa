"""Message ids for quick exit: what /exit deletes from the survivor's chat.

Telegram lets a bot delete messages up to 48 hours old, so ids are kept (encrypted, newest
`MAX_TRACKED`) for 48 hours and no longer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.store.core import StoreCore, minute_ceil
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.tables import TrackedRow

TRACK_TTL = dt.timedelta(hours=48)  # Telegram lets a bot delete messages up to 48 h old
MAX_TRACKED = 500  # message ids kept per chat for quick exit (newest win)


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
            shred = await self._track(conn, subject, message_ids, now, at)
            shred = await self._queue(conn, shred, now, unshared=True)
        await self._shred(shred, strict=False)

    async def _track(
        self,
        conn: AsyncConnection,
        subject: str,
        message_ids: Sequence[int],
        now: dt.datetime,
        at: dt.datetime | None = None,
    ) -> list[str]:
        """`track_messages` inside the caller's locked transaction; returns keys to queue
        (with unshared=True: the row's key when it could not be decrypted)."""
        if not message_ids:
            return []
        shred: list[str] = []
        row = (
            await conn.execute(
                select(TrackedRow.key_id, TrackedRow.messages_enc)
                .where(col(TrackedRow.subject) == subject)
                .with_for_update()
            )
        ).first()
        entries: list[tuple[int, float]] = []
        data_key: bytes | None = None
        if row is not None:
            try:
                data_key = await self._keys.get(row.key_id)
                entries = _entries(unseal_json(data_key, row.messages_enc, _aad_tracked(subject)))
            except DecryptionError:
                data_key = None
                shred.append(row.key_id)
        cutoff = (now - TRACK_TTL).timestamp()
        stamp = (at or now).timestamp()
        entries = [e for e in entries if e[1] > cutoff]
        entries += [(int(m), stamp) for m in message_ids]
        entries = entries[-MAX_TRACKED:]
        last = dt.datetime.fromtimestamp(max(e[1] for e in entries), dt.UTC)
        expires = minute_ceil(last + TRACK_TTL)
        if data_key is None:
            key_id, data_key = await self._keys.create()
        else:
            assert row is not None
            key_id = row.key_id
        values = {
            "key_id": key_id,
            "messages_enc": seal(data_key, encode_json(entries), _aad_tracked(subject)),
            "expires_at": expires,
        }
        if row is None:
            await conn.execute(insert(TrackedRow).values(subject=subject, **values))
        else:
            await conn.execute(
                update(TrackedRow).where(col(TrackedRow.subject) == subject).values(**values)
            )
        return shred

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
