"""Kept cases: the survivor's answers, kept (encrypted) for `retention_days` after they agreed.

A case is known by a random code (read out over a phone if need be); its chat id, answers and
language are sealed with the case's own data key.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.flow.screens import Stored
from bot.store import audit
from bot.store.core import PSEUDONYM, StoreCore, log, minute_ceil, minute_floor
from bot.store.crypto import aad, encode_json, seal, unseal, unseal_json
from bot.store.errors import DecryptionError
from bot.store.handoffs import HANDOFF_OPEN
from bot.store.tables import CaseRow, ConversationRow

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over a phone
LOCK_CAP = dt.timedelta(days=1)  # the longest a run of wrong code words locks a case


@dataclass(frozen=True, slots=True)
class CaseRef:
    code: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CodeWordTry:
    """After a try: right, or the tries left, or locked for `locked_for`."""

    ok: bool
    tries_left: int = 0
    locked_for: dt.timedelta | None = None


@dataclass(frozen=True, slots=True)
class KeptCase:
    code: str
    answers: dict[str, str | list[str]] = field(repr=False)
    lang: str = field(repr=False)
    expires_at: dt.datetime


class Cases(StoreCore):
    async def keep_case(
        self, chat_id: int, answers: dict[str, str | list[str]], lang: str, consent: str
    ) -> CaseRef:
        """Keep the survivor's answers after they agreed; again later renews the retention."""
        if not PSEUDONYM.match(consent) or len(consent) > 32:
            raise ValueError("consent must be a short version tag such as 'keep-v1'")
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        expires = minute_ceil(now + self._retention)
        kept_at = minute_floor(now)  # coarse like every time at rest (see conversations.py)
        answers_raw = encode_json(answers)
        lang_raw = encode_json(lang)
        chat_raw = encode_json(int(chat_id))
        shred: list[str] = []
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    select(CaseRow.code, CaseRow.key_id, CaseRow.entries_key_id)
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
                    shred += [k for k in (row.key_id, row.entries_key_id) if k is not None]
                    row = None
            if row is not None and data_key is not None:
                code = row.code
                await conn.execute(
                    update(CaseRow)
                    .where(col(CaseRow.code) == code)
                    .values(
                        **_case_fields(data_key, code, chat_raw, answers_raw, lang_raw),
                        consent=consent,
                        kept_at=kept_at,
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
                        kept_at=kept_at,
                        expires_at=expires,
                        status="kept",
                        **_case_fields(data_key, code, chat_raw, answers_raw, lang_raw),
                    )
                )
            shred = await self._queue(conn, shred, now, unshared=True)
            await audit.record(conn, "case.kept", None, code, now)
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
                        col(CaseRow.entries_key_id),
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
                shred += [k for k in (row.key_id, row.entries_key_id) if k is not None]
                shred = await self._queue(conn, shred, now, unshared=True)
                await audit.record(conn, "case.unreadable", None, row.code, now)
        await self._shred(shred, strict=False)
        return None

    async def set_code_word(self, chat_id: int, record: bytes) -> bool:
        """Keep a code word record (from codeword.derive) with the survivor's live case."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    select(CaseRow.code, CaseRow.key_id, CaseRow.expires_at).where(
                        col(CaseRow.subject) == subject
                    )
                )
            ).first()
            if row is None or row.expires_at <= now:
                return False
            data_key = await self._keys.get(row.key_id)
            sealed = seal(data_key, record, aad("kept_case", row.code, "codeword_enc"))
            await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == row.code)
                .values(codeword_enc=sealed, codeword_fails=0, locked_until=None)
            )
            await audit.record(conn, "case.codeword_set", None, row.code, now)
        return True

    async def code_word(self, chat_id: int) -> tuple[bytes | None, dt.timedelta | None]:
        """The live case's code word record (None: no case or no word), and how long it
        is still locked (None: not locked)."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        col(CaseRow.code),
                        col(CaseRow.key_id),
                        col(CaseRow.codeword_enc),
                        col(CaseRow.locked_until),
                        col(CaseRow.expires_at),
                    ).where(col(CaseRow.subject) == subject)
                )
            ).first()
        if row is None or row.expires_at <= now or row.codeword_enc is None:
            return None, None
        try:
            data_key = await self._keys.get(row.key_id)
            record = unseal(data_key, row.codeword_enc, aad("kept_case", row.code, "codeword_enc"))
        except DecryptionError:  # fail closed: no word opens it, /delete still erases it
            log.warning("the code word of kept case %s could not be decrypted", row.code)
            record = b""
        return record, _left(row.locked_until, now)

    async def code_word_tried(self, chat_id: int, ok: bool) -> CodeWordTry:
        """Count one try, in one transaction holding the chat's lock, so workers answering
        at once cannot add tries past the lock. A lock running now wins over a right word."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx(subject) as conn:
            row = (
                await conn.execute(
                    sa.select(
                        col(CaseRow.code),
                        col(CaseRow.codeword_fails),
                        col(CaseRow.locked_until),
                        col(CaseRow.codeword_locks),
                    )
                    .where(col(CaseRow.subject) == subject)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return CodeWordTry(False, 0, None)
            locked = _left(row.locked_until, now)
            if locked is not None:
                return CodeWordTry(False, 0, locked)
            if ok:
                await conn.execute(
                    update(CaseRow)
                    .where(col(CaseRow.code) == row.code)
                    .values(codeword_fails=0, locked_until=None, codeword_locks=0)
                )
                return CodeWordTry(True)
            fails = row.codeword_fails + 1
            if fails < self._codeword_tries:
                await conn.execute(
                    update(CaseRow)
                    .where(col(CaseRow.code) == row.code)
                    .values(codeword_fails=fails)
                )
                await audit.record(conn, "case.codeword_wrong", None, row.code, now)
                return CodeWordTry(False, self._codeword_tries - fails)
            # Each lock in a row lasts twice as long as the last (up to a day), so guessing a
            # short word within the case's life takes far longer than the case lives.
            locks = row.codeword_locks + 1
            lock = min(
                self._codeword_lock * 2 ** min(locks - 1, 16),
                max(self._codeword_lock, LOCK_CAP),
            )
            await conn.execute(
                update(CaseRow)
                .where(col(CaseRow.code) == row.code)
                .values(codeword_fails=0, locked_until=now + lock, codeword_locks=locks)
            )
            await audit.record(conn, "case.codeword_locked", None, row.code, now)
            return CodeWordTry(False, 0, lock)

    async def stored(self, chat_id: int) -> Stored:
        """What is stored for this chat and until when (for /mydata): no decryption needed."""
        subject = self._pseudonyms.chat(chat_id)
        async with self._tx() as conn:
            working = (
                await conn.execute(
                    select(ConversationRow.expires_at).where(
                        col(ConversationRow.subject) == subject
                    )
                )
            ).scalar_one_or_none()
            return await stored_in(conn, subject, working, self._clock())

    async def _new_code(self, conn: AsyncConnection) -> str:
        while True:
            raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            taken = (
                await conn.execute(select(CaseRow.code).where(col(CaseRow.code) == code))
            ).first()
            if taken is None:
                return code


def _left(until: dt.datetime | None, now: dt.datetime) -> dt.timedelta | None:
    """How long a lock still runs, to the next whole minute (None: not locked)."""
    if until is None or until <= now:
        return None
    return dt.timedelta(minutes=-((now - until) // dt.timedelta(minutes=1)))


def _case_fields(
    data_key: bytes, code: str, chat: bytes, answers: bytes, lang: bytes
) -> dict[str, bytes]:
    return {
        "chat_enc": seal(data_key, chat, aad("kept_case", code, "chat_enc")),
        "answers_enc": seal(data_key, answers, aad("kept_case", code, "answers_enc")),
        "lang_enc": seal(data_key, lang, aad("kept_case", code, "lang_enc")),
    }


_STORED = sa.select(  # built once: every update reads it
    col(CaseRow.expires_at),
    col(CaseRow.status),
    col(CaseRow.codeword_enc).is_not(None).label("guarded"),
    col(CaseRow.locked_until),
).where(col(CaseRow.subject) == sa.bindparam("subject"))


async def stored_in(
    conn: AsyncConnection, subject: str, working: dt.datetime | None, now: dt.datetime
) -> Stored:
    """`Cases.stored` inside the caller's transaction, the working state's expiry known."""
    case = (await conn.execute(_STORED, {"subject": subject})).first()
    live_case = case is not None and case.expires_at > now
    return Stored(
        working_expires=working if working is not None and working > now else None,
        case_expires=case.expires_at if live_case and case is not None else None,
        in_handoff=live_case and case is not None and case.status in HANDOFF_OPEN,
        code_word=live_case and case is not None and bool(case.guarded),
        locked_for=_left(case.locked_until, now) if live_case and case is not None else None,
    )
