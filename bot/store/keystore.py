"""The key store: wrapped data keys in their own database.

Kept apart from the main database so that a backup of the main database holds ciphertext
only, and deleting a data key here (crypto-shredding) makes every copy of its data
unreadable. Rotation re-wraps data keys under the newest master key, batch by batch, each
batch committed on its own: an interrupted rotation resumes where it stopped.

Erasure must reach the disk. SQLite zeroes freed pages (secure_delete) and the key store keeps
no WAL. PostgreSQL keeps a deleted row's bytes in the table's pages until the table is
rewritten, so whoever deletes or re-wraps keys marks the store for compaction (COMPACT_DUE, in
the same transaction) and `compact` (run by every purge round) gives the key table a fresh
file holding only live keys, the old file emptied, then asks for a CHECKPOINT so the WAL that
still holds the dead rows can be recycled (see README, "Erasure that reaches the disk").
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select

from bot.store.crypto import MasterKeys, new_data_key
from bot.store.engines import unavailable
from bot.store.errors import DecryptionError, StoreConfigError
from bot.store.tables import DataKey, KeyStoreMeta

BATCH = 500
COMPACT_DUE = "compact_due"  # keystore_meta row: keys deleted or re-wrapped since last compaction

LOCK_TIMEOUT = "2s"  # compaction gives up (and retries next round) rather than wait longer

log = logging.getLogger("bot.store")


# Built once: building a statement costs more CPU than running it (hot path: every update).
_FOUND = select(DataKey.id, DataKey.kek_version, DataKey.wrapped).where(
    col(DataKey.id).in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class RotateReport:
    rewrapped: int
    newest: int
    remaining: dict[int, int]  # versions other than the newest still in use -> key count


class KeyStore:
    __slots__ = ("_checkpoint_refused", "_clock", "_engine", "_master", "_switch_refused")

    def __init__(self, engine: AsyncEngine, master: MasterKeys, clock: Callable[[], dt.datetime]):
        self._engine = engine
        self._master = master
        self._clock = clock
        self._checkpoint_refused = False
        self._switch_refused = False

    def __repr__(self) -> str:
        return f"KeyStore({self._master!r})"

    async def meta(self) -> dict[str, str]:
        with unavailable():
            async with self._engine.begin() as conn:
                rows = (await conn.execute(select(KeyStoreMeta.name, KeyStoreMeta.value))).all()
        return {name: value for name, value in rows}

    async def versions_in_use(self) -> dict[int, int]:
        with unavailable():
            async with self._engine.begin() as conn:
                rows = (
                    await conn.execute(
                        select(DataKey.kek_version, func.count()).group_by(
                            col(DataKey.kek_version)
                        )
                    )
                ).all()
        return {int(v): int(n) for v, n in rows}

    async def check_master(self, store_id: str) -> None:
        """Refuse a master key that is not the one the stored data keys were wrapped with."""
        meta = await self.meta()
        in_use = await self.versions_in_use()
        missing = sorted(v for v in in_use if not self._master.has(v))
        wrong = [
            v
            for v in self._master.versions
            if f"kek:v{v}" in meta and not self._master.verify(v, meta[f"kek:v{v}"])
        ]
        if wrong:
            names = ", ".join(f"v{v}" for v in wrong)
            raise StoreConfigError(
                f"the master key {names} is not the key this data was written with; refusing "
                "to start (check HELPLINE_MASTER_KEY or HELPLINE_MASTER_KEY_FILE)"
            )
        if missing:
            names = ", ".join(f"v{v}" for v in missing)
            raise StoreConfigError(
                f"stored data needs master key {names}, which is not configured; add it back "
                "to HELPLINE_MASTER_KEY (or the key file) and run `helpline keys rotate` "
                "before removing it"
            )
        new = {
            f"kek:v{v}": self._master.check_value(v)
            for v in self._master.versions
            if f"kek:v{v}" not in meta
        }
        if meta.get("store_id") != store_id:
            new["store_id"] = store_id
        if new:
            with unavailable():
                async with self._engine.begin() as conn:
                    for name, value in new.items():
                        await conn.execute(
                            delete(KeyStoreMeta).where(col(KeyStoreMeta.name) == name)
                        )
                        await conn.execute(insert(KeyStoreMeta).values(name=name, value=value))

    async def create(self) -> tuple[str, bytes]:
        """A fresh data key, stored wrapped; returns (key_id, key)."""
        key_id = secrets.token_hex(16)
        data_key = new_data_key()
        version, wrapped = self._master.wrap(key_id, data_key)
        with unavailable():
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(DataKey).values(
                        id=key_id, kek_version=version, wrapped=wrapped, created_at=self._clock()
                    )
                )
        return key_id, data_key

    async def get(self, key_id: str) -> bytes:
        """The data key, or DecryptionError when it was shredded or does not unwrap."""
        return (await self.get_many([key_id]))[key_id]

    async def get_many(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """All of these keys, or DecryptionError if any was shredded or does not unwrap."""
        found = await self.get_found(key_ids)
        if len(found) != len(set(key_ids)):
            raise DecryptionError
        return found

    async def get_found(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """Those of these keys that exist and unwrap, in one round trip: a missing one is
        simply absent (its data reads as unreadable)."""
        if not key_ids:
            return {}
        with unavailable():
            async with self._engine.begin() as conn:
                rows = (await conn.execute(_FOUND, {"ids": list(key_ids)})).all()
        found: dict[str, bytes] = {}
        for kid, version, wrapped in rows:
            with suppress(DecryptionError):
                found[kid] = self._master.unwrap(kid, version, wrapped)
        return found

    async def delete(self, key_ids: Sequence[str]) -> int:
        if not key_ids:
            return 0
        total = 0
        with unavailable():
            async with self._engine.begin() as conn:
                for start in range(0, len(key_ids), BATCH):
                    chunk = list(key_ids[start : start + BATCH])
                    result = await conn.execute(delete(DataKey).where(col(DataKey.id).in_(chunk)))
                    total += result.rowcount or 0
                if total:
                    await _mark_compact_due(conn)
        return total

    async def rotate(self, batch: int = BATCH, max_batches: int | None = None) -> RotateReport:
        """Re-wrap data keys under the newest master key; the data rows stay untouched."""
        newest = self._master.newest
        done = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            with unavailable():
                async with self._engine.begin() as conn:
                    rows = (
                        await conn.execute(
                            select(DataKey.id, DataKey.kek_version, DataKey.wrapped)
                            .where(col(DataKey.kek_version) != newest)
                            .order_by(col(DataKey.id))
                            .limit(batch)
                        )
                    ).all()
                    for key_id, version, wrapped in rows:
                        data_key = self._master.unwrap(key_id, version, wrapped)
                        new_version, rewrapped = self._master.wrap(key_id, data_key)
                        await conn.execute(
                            update(DataKey)
                            .where(col(DataKey.id) == key_id, col(DataKey.kek_version) == version)
                            .values(kek_version=new_version, wrapped=rewrapped)
                        )
                    if rows:
                        await _mark_compact_due(conn)
            done += len(rows)
            batches += 1
            if len(rows) < batch:
                break
        in_use = await self.versions_in_use()
        return RotateReport(done, newest, {v: n for v, n in in_use.items() if v != newest})

    async def compact(self) -> bool:
        """Give the data key table a fresh file if keys were deleted or re-wrapped since.

        PostgreSQL only (SQLite's secure_delete already zeroes freed pages). In one
        transaction, under the table's exclusive lock: copy the live keys aside, TRUNCATE
        (a new, empty file; the old one, dead rows and all, is emptied at commit), copy them
        back. Unlike VACUUM FULL, this never carries over a dead row that some long-running
        transaction elsewhere could still see. The lock is held for milliseconds (tens of
        thousands of keys); the CHECKPOINT after it needs the pg_checkpoint role (README).
        Returns whether it rewrote the table.
        """
        if self._engine.dialect.name != "postgresql":
            return False
        with unavailable():
            async with self._engine.begin() as conn:
                due = await conn.execute(
                    delete(KeyStoreMeta).where(col(KeyStoreMeta.name) == COMPACT_DUE)
                )
                if not due.rowcount:
                    return False
            try:
                async with self._engine.begin() as conn:
                    # Never queue the bot's key reads behind a long wait for the lock.
                    await conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                    await conn.execute(text("LOCK TABLE data_key IN ACCESS EXCLUSIVE MODE"))
                    await conn.execute(
                        text(
                            "CREATE TEMPORARY TABLE live_key ON COMMIT DROP AS "
                            "SELECT * FROM data_key"
                        )
                    )
                    await conn.execute(text("TRUNCATE data_key"))
                    await conn.execute(text("INSERT INTO data_key SELECT * FROM live_key"))
                async with self._engine.connect() as conn:
                    auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await self._checkpoint(auto)
            except BaseException:
                async with self._engine.begin() as conn:  # try again next round
                    await _mark_compact_due(conn)
                raise
        return True

    async def _checkpoint(self, conn: AsyncConnection) -> None:
        """Close the WAL segment that logged the erased keys, then checkpoint: with
        `wal_recycle = off` (README) the server deletes that segment instead of reusing it."""
        if not self._switch_refused:
            try:
                await conn.execute(text("SELECT pg_switch_wal()"))
            except DBAPIError:
                self._switch_refused = True
                log.warning(
                    "key store: pg_switch_wal() refused (GRANT EXECUTE ON FUNCTION "
                    "pg_switch_wal() to the bot's database user); erased keys stay in the "
                    "current WAL segment until it fills"
                )
        if self._checkpoint_refused:
            return
        try:
            await conn.execute(text("CHECKPOINT"))
        except DBAPIError:
            self._checkpoint_refused = True
            log.warning(
                "key store: CHECKPOINT refused (grant the pg_checkpoint role to the bot's "
                "database user); erased keys stay in the WAL until the server's next checkpoint"
            )


async def _mark_compact_due(conn: AsyncConnection) -> None:
    if conn.dialect.name != "postgresql":
        return
    await conn.execute(
        pg_insert(KeyStoreMeta).values(name=COMPACT_DUE, value="1").on_conflict_do_nothing()
    )
