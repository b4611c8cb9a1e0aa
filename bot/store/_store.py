"""The store the Telegram adapter and the staff handoff use. Knows nothing of Telegram.

Every chat is known only by its pseudonym. Every record holding personal data (working
state, tracked message ids, a kept case) has a data key of its own; deleting the record
queues its key for shredding in the same transaction, and the key is deleted from the key
store right after the commit (or by the next purge or start, if the process died between).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select

from bot.config import Settings
from bot.flow.screens import Stored
from bot.store import migrate
from bot.store.crypto import Pseudonyms, aad, encode_json, lock_key, seal, unseal_json
from bot.store.engines import make_engine, unavailable
from bot.store.errors import DecryptionError, StoreConfigError, StoreUnavailable
from bot.store.keyfiles import load_keys
from bot.store.keystore import KeyStore, RotateReport
from bot.store.tables import (
    AuditEvent,
    CaseRow,
    ConversationRow,
    DataKey,
    KeyShred,
    KeyStoreMeta,
    ProcessedUpdate,
    StaffMember,
    StaffTopic,
    StoreMeta,
    TrackedRow,
)
from bot.store.urls import async_url, is_sqlite, same_database, sqlite_path

log = logging.getLogger("bot.store")

TRACK_TTL = dt.timedelta(hours=48)  # Telegram lets a bot delete messages up to 48 h old
MARKER_TTL = dt.timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 h at most
MAX_TRACKED = 500  # message ids kept per chat for quick exit (newest win)
PURGE_BATCH = 1000
HANDOFF_OPEN = ("open", "claimed")
CASE_STATUSES = ("kept", "open", "claimed", "closed")
_STAMPS = {
    "open": ("opened_at", "announced_at"),
    "claimed": ("claimed_at",),
    "closed": ("closed_at",),
}
MAX_TRANSCRIPT = 500  # relayed messages kept per case (newest win)
MAX_NOTES = 200
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over a phone
_EVENT = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CaseRef:
    code: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class KeptCase:
    code: str
    answers: dict[str, str | list[str]] = field(repr=False)
    lang: str = field(repr=False)
    expires_at: dt.datetime


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


@dataclass(frozen=True, slots=True)
class Entry:
    """One transcript line or note, decrypted: `who` is 'survivor', 'staff' or a pseudonym."""

    at: dt.datetime
    who: str
    text: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    message_id: int = field(repr=False)
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class PurgeReport:
    conversations: int = 0
    cases: int = 0
    tracked: int = 0
    updates: int = 0
    keys: int = 0


class Conversation:
    """One chat's working state inside a locked transaction (see Store.conversation)."""

    __slots__ = ("_forget", "_save", "duplicate", "reset", "state")

    def __init__(self, state: dict[str, Any] | None, reset: bool, duplicate: bool) -> None:
        self.state = state
        self.reset = reset
        self.duplicate = duplicate
        self._save: bytes | None = None
        self._forget = False

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
        self._forget = False

    def forget(self) -> None:
        """Drop the working state when the block ends."""
        self._save = None
        self._forget = True


class Store:
    """Encrypted, consent-based storage on SQLite or PostgreSQL (see the module docstring)."""

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

    def __repr__(self) -> str:
        return f"Store({self._main.dialect.name})"

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> Store:
        """Connect, migrate a SQLite store, load and check the keys; StoreConfigError if wrong."""
        now = clock or _utcnow
        main_url = async_url(settings.resolved_database_url)
        keys_url = async_url(settings.resolved_keystore_url, "HELPLINE_KEYSTORE_URL")
        if same_database(main_url, keys_url):
            raise StoreConfigError(
                "the key store must be a separate database from the main one "
                "(HELPLINE_KEYSTORE_URL): otherwise erasing a case cannot shred its key"
            )
        main = make_engine(main_url, name="main", keystore=False)
        keys_engine = make_engine(keys_url, name="keystore", keystore=True)
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
        await self._main.dispose()
        await self._keys_engine.dispose()

    async def ping(self) -> bool:
        """Both databases answer (for /readyz); never raises."""
        try:
            for engine in (self._main, self._keys_engine):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    # ------------------------------------------------------------------ working state

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
                    and (
                        await conn.execute(
                            select(ProcessedUpdate.update_id).where(
                                col(ProcessedUpdate.update_id) == update_id
                            )
                        )
                    ).first()
                    is not None
                )
                row = None
                if not duplicate:
                    row = (
                        await conn.execute(
                            select(
                                ConversationRow.key_id,
                                ConversationRow.state_enc,
                                ConversationRow.expires_at,
                            )
                            .where(col(ConversationRow.subject) == subject)
                            .with_for_update()
                        )
                    ).first()
            state: dict[str, Any] | None = None
            reset = False
            data_key: bytes | None = None
            if row is not None and row.expires_at > now:
                try:
                    data_key = await self._keys.get(row.key_id)
                    value = unseal_json(data_key, row.state_enc, _aad_state(subject))
                    if not isinstance(value, dict):
                        raise DecryptionError
                    state = value
                except DecryptionError:
                    data_key = None
                    reset = True
                    log.warning(
                        "a conversation's stored state could not be decrypted; it restarts"
                    )
            conv = Conversation(state, reset, duplicate)
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
                        expires = now + self._idle
                        if data_key is None:
                            if row is not None:
                                shred.append(row.key_id)  # expired or unreadable: new key
                            key_id, data_key = await self._keys.create()
                        else:
                            assert row is not None
                            key_id = row.key_id
                        sealed = seal(data_key, conv._save, _aad_state(subject))
                        values = {"key_id": key_id, "state_enc": sealed, "expires_at": expires}
                        if row is None:
                            await conn.execute(
                                insert(ConversationRow).values(subject=subject, **values)
                            )
                        else:
                            await conn.execute(
                                update(ConversationRow)
                                .where(col(ConversationRow.subject) == subject)
                                .values(**values)
                            )
                    elif row is not None and (conv._forget or reset or row.expires_at <= now):
                        await conn.execute(
                            delete(ConversationRow).where(col(ConversationRow.subject) == subject)
                        )
                        shred.append(row.key_id)
                    shred = await self._queue(conn, shred, now, unshared=reset)
                    if update_id is not None:
                        await conn.execute(
                            insert(ProcessedUpdate).values(update_id=update_id, seen_at=now)
                        )
                await conn.commit()
        finally:
            with suppress(Exception):
                await conn.close()
        await self._shred(shred, strict=False)

    # ------------------------------------------------------------------ quick exit

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
        shred: list[str] = []
        async with self._tx(subject) as conn:
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
                    entries = _entries(
                        unseal_json(data_key, row.messages_enc, _aad_tracked(subject))
                    )
                except DecryptionError:
                    data_key = None
                    shred.append(row.key_id)
            cutoff = (now - TRACK_TTL).timestamp()
            stamp = at.timestamp()
            entries = [e for e in entries if e[1] > cutoff]
            entries += [(int(m), stamp) for m in message_ids]
            entries = entries[-MAX_TRACKED:]
            expires = dt.datetime.fromtimestamp(max(e[1] for e in entries), dt.UTC) + TRACK_TTL
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
            shred = await self._queue(conn, shred, now, unshared=True)
        await self._shred(shred, strict=False)

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

    # ------------------------------------------------------------------ kept cases

    async def keep_case(
        self, chat_id: int, answers: dict[str, str | list[str]], lang: str, consent: str
    ) -> CaseRef:
        """Keep the survivor's answers after they agreed; again later renews the retention."""
        if not _ID.match(consent) or len(consent) > 32:
            raise ValueError("consent must be a short version tag such as 'keep-v1'")
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        expires = now + self._retention
        answers_raw = encode_json(answers)
        lang_raw = encode_json(lang)
        chat_raw = encode_json(int(chat_id))
        shred: list[str] = []
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    select(CaseRow.code, CaseRow.key_id)
                    .where(col(CaseRow.subject) == subject)
                    .with_for_update()
                )
            ).first()
            data_key: bytes | None = None
            if row is not None:
                try:
                    data_key = await self._keys.get(row.key_id)
                except DecryptionError:
                    await conn.execute(delete(CaseRow).where(col(CaseRow.code) == row.code))
                    shred.append(row.key_id)
                    row = None
            if row is not None and data_key is not None:
                code = row.code
                await conn.execute(
                    update(CaseRow)
                    .where(col(CaseRow.code) == code)
                    .values(
                        **_case_fields(data_key, code, chat_raw, answers_raw, lang_raw),
                        consent=consent,
                        kept_at=now,
                        expires_at=expires,
                    )
                )
            else:
                code = await self._new_code(conn)
                key_id, data_key = await self._keys.create()
                await conn.execute(
                    insert(CaseRow).values(
                        code=code,
                        subject=subject,
                        key_id=key_id,
                        consent=consent,
                        kept_at=now,
                        expires_at=expires,
                        status="kept",
                        **_case_fields(data_key, code, chat_raw, answers_raw, lang_raw),
                    )
                )
            shred = await self._queue(conn, shred, now, unshared=True)
            await self._audit(conn, "case.kept", None, code, now)
        await self._shred(shred, strict=False)
        return CaseRef(code, expires)

    async def load_case(self, chat_id: int) -> KeptCase | None:
        """The survivor's kept case, or None (none, expired, or unreadable and now discarded)."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        shred: list[str] = []
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    sa.select(
                        col(CaseRow.code),
                        col(CaseRow.key_id),
                        col(CaseRow.answers_enc),
                        col(CaseRow.lang_enc),
                        col(CaseRow.expires_at),
                    ).where(col(CaseRow.subject) == subject)
                )
            ).first()
            if row is None or row.expires_at <= now:
                return None
            try:
                data_key = await self._keys.get(row.key_id)
                answers = unseal_json(
                    data_key, row.answers_enc, aad("kept_case", row.code, "answers_enc")
                )
                lang = unseal_json(data_key, row.lang_enc, aad("kept_case", row.code, "lang_enc"))
                if not isinstance(answers, dict) or not isinstance(lang, str):
                    raise DecryptionError
                return KeptCase(row.code, answers, lang, row.expires_at)
            except DecryptionError:
                log.warning("kept case %s could not be decrypted; it is discarded", row.code)
                await conn.execute(delete(CaseRow).where(col(CaseRow.code) == row.code))
                shred.append(row.key_id)
                shred = await self._queue(conn, shred, now, unshared=True)
                await self._audit(conn, "case.unreadable", None, row.code, now)
        await self._shred(shred, strict=False)
        return None

    async def stored(self, chat_id: int) -> Stored:
        """What is stored for this chat and until when (for /mydata): no decryption needed."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx() as conn:
            working = (
                await conn.execute(
                    select(ConversationRow.expires_at).where(
                        col(ConversationRow.subject) == subject
                    )
                )
            ).scalar_one_or_none()
            case = (
                await conn.execute(
                    select(CaseRow.expires_at, CaseRow.status).where(
                        col(CaseRow.subject) == subject
                    )
                )
            ).first()
        live_case = case is not None and case.expires_at > now
        return Stored(
            working_expires=working if working is not None and working > now else None,
            case_expires=case.expires_at if live_case and case is not None else None,
            in_handoff=live_case and case is not None and case.status in HANDOFF_OPEN,
        )

    async def erase(self, chat_id: int, reason: str) -> None:
        """Erase everything about this chat and shred its data keys before returning.

        Reason "delete" (the survivor's /delete) keeps the tracked message ids: they are only
        message numbers, needed for a later quick exit to clear the chat, and they expire on
        their own 48 hours after the latest message. "exit" and any other reason (purge)
        remove them too.
        """
        if not re.match(r"^[a-z_]{1,24}$", reason):
            raise ValueError("reason must be a short lowercase word such as 'delete' or 'exit'")
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        shred: list[str] = []
        code: str | None = None
        async with self._tx(subject) as conn:
            tables = (ConversationRow,) if reason == "delete" else (ConversationRow, TrackedRow)
            for table in tables:
                result = await conn.execute(
                    delete(table).where(col(table.subject) == subject).returning(col(table.key_id))
                )
                shred += [r[0] for r in result.all()]
            case = (
                await conn.execute(
                    delete(CaseRow)
                    .where(col(CaseRow.subject) == subject)
                    .returning(col(CaseRow.code), col(CaseRow.key_id), col(CaseRow.thread_id))
                )
            ).first()
            if case is not None:
                code = case.code
                shred.append(case.key_id)
                if case.thread_id is not None:  # its conversation must leave the staff chat
                    await self._schedule_topic(conn, case.thread_id, now)
            shred = await self._queue(conn, shred, now, unshared=True)
            if shred:
                await self._audit(conn, f"erased.{reason}", None, code, now)
        await self._shred(shred, strict=True)
        if shred:
            await self._checkpoint()

    # ------------------------------------------------------------------ staff side

    def staff_pseudonym(self, user_id: int) -> str:
        """How a staff member appears in cases and the audit trail."""
        return self._pseudonyms.user(user_id)

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
                await self._audit(conn, f"handoff.{status}", claimed_by, code, now)
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
            await self._audit(conn, "handoff.opened", None, code, now)
        return await self.handoff_case(code)

    async def move_thread(self, code: str, thread_id: int) -> bool:
        """The case's topic was lost (deleted by hand): it now lives in `thread_id`."""
        now = self._clock()
        async with self._tx() as conn:
            result = await conn.execute(
                update(CaseRow).where(col(CaseRow.code) == code).values(thread_id=thread_id)
            )
            if result.rowcount:
                await self._audit(conn, "handoff.topic_recreated", None, code, now)
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
            await self._audit(conn, "handoff.claimed", staff, code, now)
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
                await self._schedule_topic(conn, before.thread_id, delete_topic_at)
            await self._audit(conn, "handoff.closed", staff, code, now)
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
                await self._audit(conn, event, None, code, now)
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
                await self._audit(conn, "handoff.announced", None, code, now)
        return bool(result.rowcount)

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
        if not _ID.match(staff):
            raise ValueError("staff must be a pseudonym")
        await self._append(code, "notes_enc", [self._clock().timestamp(), staff, text], MAX_NOTES)
        async with self._tx() as conn:
            await self._audit(conn, "staff.note", staff, code, self._clock())

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

    # ------------------------------------------------------------------ staff topics, names

    async def schedule_topic_deletion(self, thread_id: int, at: dt.datetime) -> None:
        """Delete this staff topic at `at` (kept until `topic_deleted`, across restarts)."""
        async with self._tx() as conn:
            await self._schedule_topic(conn, thread_id, at)

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
                await self._audit(conn, "staff.topic_deleted", None, None, now)

    async def _schedule_topic(
        self, conn: AsyncConnection, thread_id: int, at: dt.datetime
    ) -> None:
        found = (
            await conn.execute(
                select(StaffTopic.delete_at).where(col(StaffTopic.thread_id) == thread_id)
            )
        ).scalar_one_or_none()
        if found is None:
            await conn.execute(insert(StaffTopic).values(thread_id=thread_id, delete_at=at))
        elif at < found:
            await conn.execute(
                update(StaffTopic)
                .where(col(StaffTopic.thread_id) == thread_id)
                .values(delete_at=at)
            )

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
        if not _ID.match(staff):
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
            await self._audit(conn, "staff.name", staff, None, now)
        await self._shred(shred, strict=False)

    # ------------------------------------------------------------------ retention

    async def purge(self, now: dt.datetime | None = None) -> PurgeReport:
        """Remove expired working state, cases, tracked messages and old update markers."""
        now = now or self._clock()
        keys = await self._shred_queued()
        conversations, k1 = await self._purge_expired(ConversationRow, now)
        tracked, k2 = await self._purge_expired(TrackedRow, now)
        cases, k3 = await self._purge_expired(CaseRow, now)
        async with self._tx() as conn:
            result = await conn.execute(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.seen_at) <= now - MARKER_TTL)
            )
            updates = result.rowcount or 0
        report = PurgeReport(conversations, cases, tracked, updates, keys + k1 + k2 + k3)
        if any((conversations, cases, tracked)):
            log.info("purge: %s", report)
        return report

    async def purge_forever(self, on_report: Callable[[PurgeReport], None] | None = None) -> None:
        """For the running bot: purge every purge_interval_minutes until cancelled.

        A failed round is logged and retried next time; it never ends the loop.
        """
        interval = self._settings.purge_interval_minutes * 60
        while True:
            try:
                report = await self.purge()
                if on_report is not None:
                    on_report(report)
            except StoreUnavailable:
                log.warning("purge skipped: the database is unavailable; retrying later")
            except Exception as exc:
                log.warning("purge failed (%s); retrying later", type(exc).__name__)
            await asyncio.sleep(interval)

    async def _purge_expired(
        self, table: type[ConversationRow] | type[TrackedRow] | type[CaseRow], now: dt.datetime
    ) -> tuple[int, int]:
        pk = col(CaseRow.code) if table is CaseRow else col(table.subject)
        expires = col(table.expires_at)
        rows_total = keys_total = 0
        while True:
            async with self._tx() as conn:
                returning: list[Any] = [col(table.key_id)]
                if table is CaseRow:
                    returning += [pk, col(CaseRow.thread_id)]
                result = await conn.execute(
                    delete(table)
                    .where(pk.in_(select(pk).where(expires <= now).limit(PURGE_BATCH)))
                    .where(expires <= now)
                    .returning(*returning)
                )
                rows = result.all()
                key_ids = [r[0] for r in rows]
                await self._queue(conn, key_ids, now)
                if table is CaseRow and rows:
                    await conn.execute(
                        insert(AuditEvent),
                        [{"at": now, "event": "case.purged", "subject": r[1]} for r in rows],
                    )
                    for r in rows:
                        if r[2] is not None:
                            await self._schedule_topic(conn, int(r[2]), now)
            keys_total += await self._shred(key_ids, strict=True)
            rows_total += len(rows)
            if len(rows) < PURGE_BATCH:
                return rows_total, keys_total

    # ------------------------------------------------------------------ keys and audit

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
            await self._audit(conn, event, actor, subject, self._clock())

    async def _audit(
        self,
        conn: AsyncConnection,
        event: str,
        actor: str | None,
        subject: str | None,
        now: dt.datetime,
    ) -> None:
        if not _EVENT.match(event):
            raise ValueError("audit event must be a short dotted name such as 'case.kept'")
        for value in (actor, subject):
            if value is not None and not _ID.match(value):
                raise ValueError("audit actor and subject must be pseudonyms or case codes")
        await conn.execute(
            insert(AuditEvent).values(at=now, event=event, actor=actor, subject=subject)
        )

    # ------------------------------------------------------------------ plumbing

    @asynccontextmanager
    async def _tx(self, subject: str | None = None) -> AsyncIterator[AsyncConnection]:
        """A main-database transaction, holding the chat's lock when `subject` is given."""
        with unavailable():
            async with self._main.begin() as conn:
                if subject is not None:
                    await self._lock(conn, subject)
                yield conn

    async def _lock(self, conn: AsyncConnection, subject: str) -> None:
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
            for table in (ConversationRow, TrackedRow, CaseRow, StaffMember):
                used.update(
                    (
                        await conn.execute(
                            select(col(table.key_id)).where(col(table.key_id).in_(key_ids))
                        )
                    ).scalars()
                )
            key_ids = [k for k in key_ids if k not in used]
        if key_ids:
            await conn.execute(
                insert(KeyShred), [{"key_id": k, "queued_at": now} for k in key_ids]
            )
        return key_ids

    async def _shred(self, key_ids: Sequence[str], *, strict: bool) -> int:
        """Delete queued data keys from the key store, then their queue entries."""
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
        total = 0
        while True:
            async with self._tx() as conn:
                key_ids = list(
                    (await conn.execute(select(KeyShred.key_id).limit(PURGE_BATCH))).scalars()
                )
            if not key_ids:
                return total
            total += await self._shred(key_ids, strict=True)

    async def _new_code(self, conn: AsyncConnection) -> str:
        while True:
            raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            taken = (
                await conn.execute(select(CaseRow.code).where(col(CaseRow.code) == code))
            ).first()
            if taken is None:
                return code

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


def _aad_state(subject: str) -> bytes:
    return aad("conversation", subject, "state_enc")


def _aad_tracked(subject: str) -> bytes:
    return aad("tracked_message", subject, "messages_enc")


def _case_fields(
    data_key: bytes, code: str, chat: bytes, answers: bytes, lang: bytes
) -> dict[str, bytes]:
    return {
        "chat_enc": seal(data_key, chat, aad("kept_case", code, "chat_enc")),
        "answers_enc": seal(data_key, answers, aad("kept_case", code, "answers_enc")),
        "lang_enc": seal(data_key, lang, aad("kept_case", code, "lang_enc")),
    }


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
