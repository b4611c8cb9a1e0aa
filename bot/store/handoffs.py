"""Handoffs: a kept case handed to staff in a forum topic, claimed, closed; no content.

The transcript and notes of a case are in entries.py; the staff's topics and names in staff.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col, select

from bot.store import audit
from bot.store.core import PSEUDONYM, StoreCore
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.staff import schedule_topic
from bot.store.tables import CaseRow

HANDOFF_OPEN = ("open", "claimed")
CASE_STATUSES = ("kept", "open", "claimed", "closed")
_STAMPS = {
    "open": ("opened_at", "announced_at"),
    "claimed": ("claimed_at",),
    "closed": ("closed_at",),
}


@dataclass(frozen=True, slots=True)
class HandoffCase:
    """A case's handoff state: a random code, a staff pseudonym, times. No content."""

    code: str
    status: str  # kept | open | claimed | closed
    thread_id: int | None
    claimed_by: str | None
    opened_at: dt.datetime | None
    claimed_at: dt.datetime | None
    announced_at: dt.datetime | None
    closed_at: dt.datetime | None
    blocked_at: dt.datetime | None
    expires_at: dt.datetime

    @property
    def with_staff(self) -> bool:
        return self.status in HANDOFF_OPEN


class Handoffs(StoreCore):
    async def set_handoff(
        self,
        code: str,
        status: str,
        *,
        thread_id: int | None = None,
        claimed_by: str | None = None,
    ) -> bool:
        """Record the handoff state of a case; False when there is no such case."""
        if status not in CASE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CASE_STATUSES)}")
        now = self._clock()
        async with self._tx() as conn:
            values: dict[str, Any] = {"status": status, "claimed_by": claimed_by}
            if thread_id is not None:
                values["thread_id"] = thread_id
            for stamp in _STAMPS.get(status, ()):
                values[stamp] = now
            result = await conn.execute(
                update(CaseRow).where(col(CaseRow.code) == code).values(**values)
            )
            changed = bool(result.rowcount)
            if changed:
                await audit.record(conn, f"handoff.{status}", claimed_by, code, now)
        return changed

    async def case_for_thread(self, thread_id: int) -> str | None:
        """The case code behind a staff forum topic."""
        async with self._tx() as conn:
            return (
                await conn.execute(select(CaseRow.code).where(col(CaseRow.thread_id) == thread_id))
            ).scalar_one_or_none()

    async def chat_for_case(self, code: str) -> int | None:
        """The chat id to write back to, decrypted; None if gone or unreadable."""
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(CaseRow.key_id, CaseRow.chat_enc, CaseRow.expires_at).where(
                        col(CaseRow.code) == code
                    )
                )
            ).first()
        if row is None or row.expires_at <= self._clock():
            return None
        try:
            data_key = await self._keys.get(row.key_id)
            chat = unseal_json(data_key, row.chat_enc, aad("kept_case", code, "chat_enc"))
        except DecryptionError:
            return None
        return chat if isinstance(chat, int) else None

    async def case_of_chat(self, chat_id: int) -> HandoffCase | None:
        """The survivor's live kept case, with its handoff state (no decryption)."""
        subject = self._pseudonyms.chat(chat_id)
        return await self._handoff_case(col(CaseRow.subject) == subject)

    async def handoff_case(self, code: str) -> HandoffCase | None:
        return await self._handoff_case(col(CaseRow.code) == code)

    async def handoff_for_thread(self, thread_id: int) -> HandoffCase | None:
        return await self._handoff_case(col(CaseRow.thread_id) == thread_id)

    async def open_cases(self) -> list[HandoffCase]:
        """Cases with staff now (open or claimed), oldest first: for /cases and the queue."""
        async with self._tx() as conn:
            rows = (
                await conn.execute(
                    sa.select(*_HANDOFF_COLUMNS)
                    .where(col(CaseRow.status).in_(HANDOFF_OPEN))
                    .where(col(CaseRow.expires_at) > self._clock())
                    .order_by(col(CaseRow.opened_at), col(CaseRow.code))
                )
            ).all()
        return [_handoff(r) for r in rows]

    async def share_consented(self, code: str, version: str) -> None:
        """The survivor agreed to share (handoff.consent, text `version`): kept on the case
        beside the keep consent's version, and in the audit trail, in one transaction."""
        if not PSEUDONYM.match(version) or len(version) > 32:
            raise ValueError("consent must be a short version tag such as 'share-v1'")
        now = self._clock()
        async with self._tx() as conn:
            await conn.execute(
                update(CaseRow).where(col(CaseRow.code) == code).values(share_consent=version)
            )
            await audit.record(conn, f"consent.{version}", None, code, now)

    async def open_handoff(
        self, code: str, thread_id: int, answers: dict[str, str | list[str]]
    ) -> HandoffCase | None:
        """Hand a kept case to staff in forum topic `thread_id`, with the answers the survivor
        agreed to share (re-encrypted: they may now include a message for the team)."""
        now = self._clock()
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(CaseRow.key_id).where(col(CaseRow.code) == code).with_for_update()
                )
            ).first()
            if row is None:
                return None
            data_key = await self._keys.get(row.key_id)
            sealed = seal(data_key, encode_json(answers), aad("kept_case", code, "answers_enc"))
            await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code)
                .values(
                    status="open",
                    thread_id=thread_id,
                    answers_enc=sealed,
                    opened_at=now,
                    announced_at=now,
                    claimed_by=None,
                    claimed_at=None,
                    closed_at=None,
                    blocked_at=None,
                )
            )
            await audit.record(conn, "handoff.opened", None, code, now)
        return await self.handoff_case(code)

    async def move_thread(self, code: str, thread_id: int) -> bool:
        """The case's topic was lost (deleted by hand): it now lives in `thread_id`."""
        now = self._clock()
        async with self._tx() as conn:
            result = await conn.execute(
                update(CaseRow).where(col(CaseRow.code) == code).values(thread_id=thread_id)
            )
            if result.rowcount:
                await audit.record(conn, "handoff.topic_recreated", None, code, now)
        return bool(result.rowcount)

    async def claim(self, code: str, staff: str) -> HandoffCase | None:
        """First claim wins (one conditional UPDATE, so across workers too); None if lost."""
        now = self._clock()
        async with self._tx() as conn:
            result = await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code, col(CaseRow.status) == "open")
                .where(col(CaseRow.expires_at) > now)
                .values(status="claimed", claimed_by=staff, claimed_at=now)
            )
            if not result.rowcount:
                return None
            await audit.record(conn, "handoff.claimed", staff, code, now)
        return await self.handoff_case(code)

    async def close_handoff(
        self, code: str, staff: str | None, delete_topic_at: dt.datetime | None
    ) -> HandoffCase | None:
        """Close an open or claimed case (once: None if it was not open) and schedule its
        topic's deletion. Returns the case as it was before closing."""
        now = self._clock()
        before = await self.handoff_case(code)
        if before is None or before.status not in HANDOFF_OPEN:
            return None
        async with self._tx() as conn:
            result = await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code, col(CaseRow.status).in_(HANDOFF_OPEN))
                .values(status="closed", closed_at=now)
            )
            if not result.rowcount:
                return None
            if before.thread_id is not None and delete_topic_at is not None:
                await schedule_topic(conn, before.thread_id, delete_topic_at)
            await audit.record(conn, "handoff.closed", staff, code, now)
        return before

    async def mark_blocked(self, code: str, blocked: bool = True) -> bool:
        """Note that the survivor blocked (or unblocked) the bot; True only on a change, so
        staff are told once."""
        now = self._clock()
        async with self._tx() as conn:
            stamp = col(CaseRow.blocked_at)
            changes = stamp.is_(None) if blocked else stamp.isnot(None)
            result = await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code, changes)
                .values(blocked_at=now if blocked else None)
            )
            if result.rowcount:
                event = "handoff.blocked" if blocked else "handoff.unblocked"
                await audit.record(conn, event, None, code, now)
        return bool(result.rowcount)

    async def mark_announced(self, code: str, previous: dt.datetime | None) -> bool:
        """Record a re-announcement; False when another worker did it first."""
        now = self._clock()
        stamp = col(CaseRow.announced_at)
        async with self._tx() as conn:
            result = await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code, col(CaseRow.status) == "open")
                .where(stamp.is_(None) if previous is None else stamp == previous)
                .values(announced_at=now)
            )
            if result.rowcount:
                await audit.record(conn, "handoff.announced", None, code, now)
        return bool(result.rowcount)

    async def _handoff_case(self, where: Any) -> HandoffCase | None:
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    sa.select(*_HANDOFF_COLUMNS)
                    .where(where)
                    .where(col(CaseRow.expires_at) > self._clock())
                )
            ).first()
        return _handoff(row) if row is not None else None


_HANDOFF_COLUMNS = tuple(
    col(getattr(CaseRow, name))
    for name in (
        "code",
        "status",
        "thread_id",
        "claimed_by",
        "opened_at",
        "claimed_at",
        "announced_at",
        "closed_at",
        "blocked_at",
        "expires_at",
    )
)


def _handoff(row: Any) -> HandoffCase:
    return HandoffCase(*row)
