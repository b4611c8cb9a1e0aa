"""A case's transcript (messages relayed between survivor and staff) and staff notes.

Both are lists sealed with the case's data key, newest last, capped (see `_append`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col

from bot.store import audit
from bot.store.core import PSEUDONYM, StoreCore, log
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.tables import CaseRow

MAX_TRANSCRIPT = 500  # relayed messages kept per case (newest win)
MAX_NOTES = 200


@dataclass(frozen=True, slots=True)
class Entry:
    """One transcript line or note, decrypted: `who` is 'survivor', 'staff' or a pseudonym."""

    at: dt.datetime
    who: str
    text: str = field(repr=False)


class Entries(StoreCore):
    async def append_transcript(self, code: str, who: str, text: str) -> None:
        """Add one relayed message (encrypted with the case) to its transcript."""
        if who not in ("survivor", "staff"):
            raise ValueError("who must be 'survivor' or 'staff'")
        await self._append(
            code, "transcript_enc", [self._clock().timestamp(), who, text], MAX_TRANSCRIPT
        )

    async def transcript(self, code: str, last: int = MAX_TRANSCRIPT) -> list[Entry]:
        return (await self._entries(code, "transcript_enc"))[-last:]

    async def add_note(self, code: str, staff: str, text: str) -> None:
        """An internal staff note, encrypted with the case; never relayed to the survivor."""
        if not PSEUDONYM.match(staff):
            raise ValueError("staff must be a pseudonym")
        await self._append(code, "notes_enc", [self._clock().timestamp(), staff, text], MAX_NOTES)
        async with self._tx() as conn:
            await audit.record(conn, "staff.note", staff, code, self._clock())

    async def notes(self, code: str) -> list[Entry]:
        return await self._entries(code, "notes_enc")

    async def _append(self, code: str, field_name: str, item: list[Any], cap: int) -> None:
        field_col = getattr(CaseRow, field_name)
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    sa.select(col(CaseRow.key_id), field_col)
                    .where(col(CaseRow.code) == code)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return
            data_key = await self._keys.get(row[0])
            where = aad("kept_case", code, field_name)
            entries: list[Any] = []
            if row[1] is not None:
                try:
                    value = unseal_json(data_key, row[1], where)
                    entries = value if isinstance(value, list) else []
                except DecryptionError:
                    log.warning(
                        "a case's %s could not be decrypted; starting it afresh",
                        field_name.removesuffix("_enc"),
                    )
            entries = [*entries, item][-cap:]
            await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == code)
                .values({field_name: seal(data_key, encode_json(entries), where)})
            )

    async def _entries(self, code: str, field_name: str) -> list[Entry]:
        field_col = getattr(CaseRow, field_name)
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    sa.select(col(CaseRow.key_id), field_col).where(col(CaseRow.code) == code)
                )
            ).first()
        if row is None or row[1] is None:
            return []
        try:
            data_key = await self._keys.get(row[0])
            value = unseal_json(data_key, row[1], aad("kept_case", code, field_name))
        except DecryptionError:
            return []
        out: list[Entry] = []
        for item in value if isinstance(value, list) else []:
            if (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], int | float)
                and isinstance(item[1], str)
                and isinstance(item[2], str)
            ):
                out.append(Entry(dt.datetime.fromtimestamp(item[0], dt.UTC), item[1], item[2]))
        return out
