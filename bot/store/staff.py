"""The staff side's own records: forum topics awaiting deletion, and display names.

A staff member is known by a pseudonym of their Telegram user id; the name they chose with
/name is sealed with a data key of its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.store import audit
from bot.store.core import PSEUDONYM, PURGE_BATCH, StoreCore
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.tables import CaseRow, StaffMember, StaffTopic


class Staff(StoreCore):
    def staff_pseudonym(self, user_id: int) -> str:
        """How a staff member appears in cases and the audit trail."""
        return self._pseudonyms.user(user_id)

    async def schedule_topic_deletion(self, thread_id: int, at: dt.datetime) -> None:
        """Delete this staff topic at `at` (kept until `topic_deleted`, across restarts)."""
        async with self._tx() as conn:
            await schedule_topic(conn, thread_id, at)

    async def topics_due(self, now: dt.datetime | None = None) -> list[int]:
        async with self._tx() as conn:
            return list(
                (
                    await conn.execute(
                        select(StaffTopic.thread_id)
                        .where(col(StaffTopic.delete_at) <= (now or self._clock()))
                        .order_by(col(StaffTopic.delete_at))
                        .limit(PURGE_BATCH)
                    )
                ).scalars()
            )

    async def topic_deleted(self, thread_id: int) -> None:
        """The topic is gone: forget the deletion, and the case no longer points at it."""
        now = self._clock()
        async with self._tx() as conn:
            result = await conn.execute(
                delete(StaffTopic).where(col(StaffTopic.thread_id) == thread_id)
            )
            await conn.execute(
                update(CaseRow).where(col(CaseRow.thread_id) == thread_id).values(thread_id=None)
            )
            if result.rowcount:
                await audit.record(conn, "staff.topic_deleted", None, None, now)

    async def staff_name(self, staff: str) -> str | None:
        """The display name a staff member chose (/name), or None: sign with the team's."""
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(StaffMember.key_id, StaffMember.name_enc).where(
                        col(StaffMember.subject) == staff
                    )
                )
            ).first()
        if row is None:
            return None
        try:
            data_key = await self._keys.get(row.key_id)
            name = unseal_json(data_key, row.name_enc, aad("staff_member", staff, "name_enc"))
        except DecryptionError:
            return None
        return name if isinstance(name, str) else None

    async def set_staff_name(self, staff: str, name: str | None) -> None:
        """Set (or with None, forget and shred) a staff member's display name."""
        if not PSEUDONYM.match(staff):
            raise ValueError("staff must be a pseudonym")
        now = self._clock()
        shred: list[str] = []
        async with self._tx() as conn:
            old = (
                await conn.execute(
                    select(StaffMember.key_id).where(col(StaffMember.subject) == staff)
                )
            ).scalar_one_or_none()
            if old is not None:
                await conn.execute(delete(StaffMember).where(col(StaffMember.subject) == staff))
                shred = await self._queue(conn, [old], now)
            if name is not None:
                key_id, data_key = await self._keys.create()
                sealed = seal(data_key, encode_json(name), aad("staff_member", staff, "name_enc"))
                await conn.execute(
                    insert(StaffMember).values(subject=staff, key_id=key_id, name_enc=sealed)
                )
            await audit.record(conn, "staff.name", staff, None, now)
        await self._shred(shred, strict=False)


async def schedule_topic(conn: AsyncConnection, thread_id: int, at: dt.datetime) -> None:
    """Delete this staff topic at `at`, or earlier if already due then (caller's transaction)."""
    found = (
        await conn.execute(
            select(StaffTopic.delete_at).where(col(StaffTopic.thread_id) == thread_id)
        )
    ).scalar_one_or_none()
    if found is None:
        await conn.execute(insert(StaffTopic).values(thread_id=thread_id, delete_at=at))
    elif at < found:
        await conn.execute(
            update(StaffTopic).where(col(StaffTopic.thread_id) == thread_id).values(delete_at=at)
        )
