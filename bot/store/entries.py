"""A case's transcript (messages relayed between survivor and staff) and staff notes.

Both are lists sealed with a data key of their own (`entries_key_id`, made with the first
entry), newest last, so that purging them a set time after the handoff closes shreds that key
and every old copy (table pages, WAL, backups) becomes unreadable while the case's answers
live on under the case's key. They are capped twice: by count
(MAX_TRANSCRIPT, MAX_NOTES) and by size, so that the encrypted field never exceeds
ENTRIES_BUDGET bytes (256 KiB, half of what crypto.seal accepts). The oldest entries go first;
an entry too large to fit on its own is kept shortened. Appending never fails for size: a
survivor's message in a long handoff must not make their update fail.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import col

from bot.store import audit
from bot.store.core import PSEUDONYM, StoreCore, log
from bot.store.crypto import NONCE_BYTES, PAD_TO, aad, encode_json, seal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.tables import CaseRow

MAX_TRANSCRIPT = 500  # relayed messages kept per case (newest win)
MAX_NOTES = 200
ENTRIES_BUDGET = 256 * 1024  # bytes of one encrypted transcript_enc or notes_enc, at most
_SEALED_OVERHEAD = 1 + NONCE_BYTES + 16  # format byte, nonce, AES-GCM tag
_PLAIN_BUDGET = ENTRIES_BUDGET - _SEALED_OVERHEAD - (PAD_TO - 1)  # room for the padding too
_SHORTENED = " […]"


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
                    sa.select(
                        col(CaseRow.key_id),
                        field_col,
                        col(CaseRow.entries_key_id),
                        col(CaseRow.transcript_enc).is_(None) & col(CaseRow.notes_enc).is_(None),
                    )
                    .where(col(CaseRow.code) == code)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return
            try:
                if row[2] is None and row[3]:  # the first entry: a key of their own
                    key_id, data_key = await self._keys.create()
                    await conn.execute(
                        update(CaseRow)
                        .where(col(CaseRow.code) == code)
                        .values(entries_key_id=key_id)
                    )
                else:  # before 0005, entries were sealed with the case's key
                    data_key = await self._keys.get(row[2] or row[0])
            except DecryptionError:
                log.warning("a case's key could not be read; a %s entry is dropped", field_name)
                return
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
            entries = fit([*entries, item][-cap:], _PLAIN_BUDGET)
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
                    sa.select(col(CaseRow.key_id), field_col, col(CaseRow.entries_key_id)).where(
                        col(CaseRow.code) == code
                    )
                )
            ).first()
        if row is None or row[1] is None:
            return []
        try:
            data_key = await self._keys.get(row[2] or row[0])
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


def fit(entries: list[Any], budget: int) -> list[Any]:
    """The newest entries whose JSON list takes at most `budget` bytes (oldest dropped first).

    If the newest entry alone is too large, it is kept with its text shortened to fit.
    """
    sizes = [_size(e) for e in entries]
    total = 2 + sum(sizes) + max(len(sizes) - 1, 0)  # brackets and commas
    start = 0
    while start < len(entries) - 1 and total > budget:
        total -= sizes[start] + 1
        start += 1
    kept = entries[start:]
    if kept and total > budget:
        kept = [_shorten(kept[-1], budget - 2)]
    return kept


def _size(entry: Any) -> int:
    return len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode())


def _shorten(entry: list[Any], budget: int) -> list[Any]:
    at, who, text = entry
    text = str(text)
    low, high = 0, len(text)  # the longest prefix that fits, by bisection (escapes vary)
    while low < high:
        mid = (low + high + 1) // 2
        if _size([at, who, text[:mid] + _SHORTENED]) <= budget:
            low = mid
        else:
            high = mid - 1
    return [at, who, text[:low] + _SHORTENED]
