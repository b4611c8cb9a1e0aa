"""The Store facade: opening (keys checked, schema migrated), closing, and the concepts.

Each concept is a module of its own, all built on StoreCore (core.py: one transaction, the
chat's lock, key shredding); Store composes them and adds what concerns the whole store.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.config import Settings
from bot.store import migrate
from bot.store.audit import record
from bot.store.cases import Cases
from bot.store.conversations import Conversations
from bot.store.core import Clock, log, utcnow
from bot.store.engines import make_engine, unavailable
from bot.store.entries import Entries
from bot.store.errors import StoreConfigError
from bot.store.handoffs import Handoffs
from bot.store.keyfiles import load_keys
from bot.store.keystore import KeyStore, RotateReport
from bot.store.purge import Purge
from bot.store.staff import Staff
from bot.store.tables import DataKey, KeyStoreMeta, StoreMeta
from bot.store.urls import async_url, is_sqlite, same_database


class Store(Conversations, Cases, Handoffs, Entries, Staff, Purge):
    """Encrypted, consent-based storage on SQLite or PostgreSQL (see the package docstring)."""

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> Store:
        """Connect, migrate a SQLite store, load and check the keys; StoreConfigError if wrong."""
        now = clock or utcnow
        main_url = async_url(settings.resolved_database_url)
        keys_url = async_url(settings.resolved_keystore_url, "HELPLINE_KEYSTORE_URL")
        if same_database(main_url, keys_url):
            raise StoreConfigError(
                "the key store must be a separate database from the main one "
                "(HELPLINE_KEYSTORE_URL): otherwise erasing a case cannot shred its key"
            )
        pool = settings.database_pool_size
        main = make_engine(main_url, name="main", keystore=False, pool_size=pool)
        keys_engine = make_engine(keys_url, name="keystore", keystore=True, pool_size=pool)
        try:
            await _prepare(main, "main", auto=is_sqlite(main_url))
            await _prepare(keys_engine, "keys", auto=is_sqlite(keys_url))
            main_meta = await _read_meta(main, StoreMeta)
            keys_meta = await _read_meta(keys_engine, KeyStoreMeta)
            with unavailable():
                async with keys_engine.begin() as conn:
                    key_count = (
                        await conn.execute(select(func.count()).select_from(DataKey))
                    ).scalar_one()
            fresh = (
                "store_id" not in main_meta
                and not key_count
                and not any(name.startswith("kek:") for name in keys_meta)
            )
            keys = load_keys(settings, fresh=fresh)
            store_id = main_meta.get("store_id")
            if store_id is None:
                store_id = keys_meta.get("store_id") or secrets.token_hex(16)
            elif keys_meta.get("store_id") is None:
                raise StoreConfigError(
                    "the key store is empty but the database holds data written with keys: "
                    "point HELPLINE_KEYSTORE_URL at its key store (without it nothing stored "
                    "can be read; to discard everything, remove the database as well)"
                )
            elif keys_meta["store_id"] != store_id:
                raise StoreConfigError(
                    "the key store belongs to another database: check HELPLINE_DATABASE_URL "
                    "and HELPLINE_KEYSTORE_URL"
                )
            check = main_meta.get("pseudonym_check")
            if check is not None and not keys.pseudonyms.verify(check):
                raise StoreConfigError(
                    "the pseudonym key is not the one this database was written with; "
                    "refusing to start (check HELPLINE_PSEUDONYM_KEY or its key file)"
                )
            keystore = KeyStore(keys_engine, keys.master, now)
            await keystore.check_master(store_id)  # key store first: see the pairing above
            if "store_id" not in main_meta or check is None:
                with unavailable():
                    async with main.begin() as conn:
                        await conn.execute(delete(StoreMeta))
                        await conn.execute(
                            insert(StoreMeta),
                            [
                                {"name": "store_id", "value": store_id},
                                {
                                    "name": "pseudonym_check",
                                    "value": keys.pseudonyms.check_value(),
                                },
                            ],
                        )
            store = cls(settings, main, keys_engine, keystore, keys.pseudonyms, now)
            await store._shred_queued()
        except BaseException:
            await main.dispose()
            await keys_engine.dispose()
            raise
        log.info("store open (%s, key store %s)", main.dialect.name, keys_engine.dialect.name)
        return store

    async def close(self) -> None:
        await self.resign()
        await self._main.dispose()
        await self._keys_engine.dispose()

    async def ping(self, *, write: bool = False) -> bool:
        """Both databases answer (for /readyz); with `write`, both take a write (a read-only
        folder, a full disk or a read-only replica answers False). Never raises."""
        try:
            pairs = ((self._main, "store_meta"), (self._keys_engine, "keystore_meta"))
            for engine, table in pairs:
                async with engine.begin() as conn:
                    if write:
                        await conn.execute(
                            text(f"UPDATE {table} SET value = value WHERE name = 'store_id'")
                        )
                    else:
                        await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def rotate_keys(self, batch: int = 500, max_batches: int | None = None) -> RotateReport:
        """Re-wrap every data key under the newest master key (see KeyStore.rotate)."""
        report = await self._keys.rotate(batch, max_batches)
        if report.rewrapped:
            await self.audit("keys.rotated", "operator", f"v{report.newest}")
        return report

    async def audit(
        self, event: str, actor: str | None = None, subject: str | None = None
    ) -> None:
        """Append an audit event: a dotted name, and pseudonyms or case codes, never content."""
        async with self._tx() as conn:
            await record(conn, event, actor, subject, self._clock())


async def _read_meta(
    engine: AsyncEngine, table: type[StoreMeta] | type[KeyStoreMeta]
) -> dict[str, str]:
    with unavailable():
        async with engine.begin() as conn:
            rows = (await conn.execute(select(col(table.name), col(table.value)))).all()
    return {name: value for name, value in rows}


async def _prepare(engine: AsyncEngine, which: migrate.Which, *, auto: bool) -> None:
    """Bring a SQLite store to the newest schema; insist that PostgreSQL was upgraded."""
    with unavailable():
        async with engine.begin() as conn:
            current = await conn.run_sync(migrate.current, which)
            head = migrate.head(which)
            if current == head:
                return
            if current is not None and not migrate.known(which, current):
                raise StoreConfigError(
                    f"the {_what(which)} was migrated by a newer version of the bot "
                    f"(schema {current}); upgrade the bot"
                )
            if not auto:
                raise StoreConfigError(
                    f"the {_what(which)} schema is not up to date "
                    f"({current or 'empty'}, needs {head}): run `helpline db upgrade`"
                )
            await conn.run_sync(migrate.upgrade, which)
            log.info("migrated the %s to schema %s", _what(which), head)


def _what(which: migrate.Which) -> str:
    return "database" if which == "main" else "key store"
