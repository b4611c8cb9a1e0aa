"""The piece every concept module shares: one transaction, the chat's lock, key shredding.

Every record holding personal data has a data key of its own (a chat's outbox rows share its
tracked messages' key, shredded when the last of them goes: tracked.py). Whoever deletes such
a record queues its key for shredding in the same transaction (`_queue`), and the key is
deleted from the key store right after the commit (`_shred`), or by the next purge or start
if the process died in between (`_shred_queued`).

    async with self._tx(subject) as conn:   # one transaction, holding this chat's lock
        ...delete a row, then:
        shred = await self._queue(conn, [row.key_id], now)
    await self._shred(shred, strict=False)   # after the commit
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select

from bot.config import Settings
from bot.store.crypto import Pseudonyms, lock_key
from bot.store.engines import unavailable
from bot.store.keystore import KeyStore
from bot.store.tables import (
    CaseRow,
    ConversationRow,
    KeyShred,
    OutboxRow,
    StaffMember,
    TrackedRow,
)
from bot.store.urls import sqlite_path

log = logging.getLogger("bot.store")

PURGE_BATCH = 1000  # rows (or keys) per transaction when purging or shredding in bulk
PSEUDONYM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # a pseudonym, case code or version tag

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hour_floor(at: dt.datetime) -> dt.datetime:
    """A time at rest that must not single out one update (processed_update.seen_at)."""
    return at.replace(minute=0, second=0, microsecond=0)


def minute_ceil(at: dt.datetime) -> dt.datetime:
    """An expiry at rest, to the whole minute: never earlier than asked, at most 1 min later."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + dt.timedelta(minutes=1)


def minute_floor(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


class StoreCore:
    """What the concept modules build on: the engines, the keys, the clock, `_tx`."""

    def __init__(
        self,
        settings: Settings,
        main: AsyncEngine,
        keys_engine: AsyncEngine,
        keystore: KeyStore,
        pseudonyms: Pseudonyms,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._main = main
        self._keys_engine = keys_engine
        self._keys = keystore
        self._pseudonyms = pseudonyms
        self._clock = clock
        self._sqlite = main.dialect.name == "sqlite"
        self._idle = dt.timedelta(hours=settings.idle_hours)
        self._retention = dt.timedelta(days=settings.retention_days)
        self._codeword_tries = settings.codeword_tries
        self._codeword_lock = dt.timedelta(minutes=settings.codeword_lock_minutes)

    def __repr__(self) -> str:
        return f"Store({self._main.dialect.name})"

    @asynccontextmanager
    async def _tx(self, subject: str | None = None) -> AsyncIterator[AsyncConnection]:
        """A main-database transaction, holding the chat's lock when `subject` is given.

        It commits when the block ends and rolls back if it raises; a database that does not
        answer raises StoreUnavailable.
        """
        with unavailable():
            async with self._main.begin() as conn:
                if subject is not None:
                    await self._lock(conn, subject)
                yield conn

    async def _lock(self, conn: AsyncConnection, subject: str) -> None:
        """Serialise one chat's transactions across workers, until this transaction ends."""
        # SQLite: BEGIN IMMEDIATE already holds the database's single write lock.
        if not self._sqlite:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(subject)})

    async def _queue(
        self,
        conn: AsyncConnection,
        key_ids: Sequence[str],
        now: dt.datetime,
        *,
        unshared: bool = False,
    ) -> list[str]:
        """Queue data keys for shredding, in the transaction that deleted their rows.

        `unshared`: for rows that failed to decrypt, spare a key another row still uses, so a
        row tampered to point at someone else's key cannot get that key shredded.
        """
        key_ids = list(dict.fromkeys(key_ids))
        if unshared and key_ids:
            used: set[str] = set()
            for table in (ConversationRow, TrackedRow, CaseRow, StaffMember, OutboxRow):
                used.update(
                    (
                        await conn.execute(
                            select(col(table.key_id)).where(col(table.key_id).in_(key_ids))
                        )
                    ).scalars()
                )
            entries = await conn.execute(
                select(col(CaseRow.entries_key_id)).where(col(CaseRow.entries_key_id).in_(key_ids))
            )
            used.update(k for k in entries.scalars() if k is not None)
            key_ids = [k for k in key_ids if k not in used]
        if key_ids:
            await conn.execute(
                insert(KeyShred), [{"key_id": k, "queued_at": now} for k in key_ids]
            )
        return key_ids

    async def _shred(self, key_ids: Sequence[str], *, strict: bool) -> int:
        """Delete queued data keys from the key store, then their queue entries.

        `strict`: raise if the key store fails (erasure must not report success); otherwise
        log it and leave the keys queued for the next purge.
        """
        if not key_ids:
            return 0
        try:
            count = await self._keys.delete(key_ids)
            async with self._tx() as conn:
                await conn.execute(delete(KeyShred).where(col(KeyShred.key_id).in_(list(key_ids))))
        except Exception:
            if strict:
                raise
            log.warning("could not shred %d data key(s) now; the next purge will", len(key_ids))
            return 0
        return count

    async def _shred_queued(self) -> int:
        """Shred every key still queued (a process died between commit and shred)."""
        total = 0
        while True:
            async with self._tx() as conn:
                key_ids = list(
                    (await conn.execute(select(KeyShred.key_id).limit(PURGE_BATCH))).scalars()
                )
            if not key_ids:
                return total
            total += await self._shred(key_ids, strict=True)

    async def _checkpoint(self) -> None:
        """SQLite: fold the WAL back and truncate it, so erased rows leave no copy there."""
        if not self._sqlite:
            return
        path = sqlite_path(self._main.url)
        if path is None:
            return

        def run() -> None:
            con = sqlite3.connect(path, timeout=1.0, isolation_level=None)
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                con.close()

        with suppress(sqlite3.Error, OSError):
            await asyncio.to_thread(run)
