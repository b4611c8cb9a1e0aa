"""Removing data: one chat's on request (/delete, /exit), and whatever expired, on schedule.

Rows go in batches, each batch's data keys queued in its transaction and shredded after it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from bot.store import audit
from bot.store.conversations import MARKER_TTL
from bot.store.core import PURGE_BATCH, StoreCore, log
from bot.store.errors import StoreUnavailable
from bot.store.outbox import staff_lane
from bot.store.staff import schedule_topic
from bot.store.tables import (
    AuditEvent,
    CaseRow,
    ConversationRow,
    OutboxRow,
    ProcessedUpdate,
    TrackedRow,
)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    conversations: int = 0
    cases: int = 0
    tracked: int = 0
    updates: int = 0
    keys: int = 0
    audit: int = 0
    transcripts: int = 0  # closed handoffs whose transcript and notes were removed


KEEPS_TRACKED = "delete"  # the erasure reason that leaves quick exit its message ids


class Purge(StoreCore):
    async def erase(self, chat_id: int, reason: str) -> None:
        """Erase this chat's working state and kept case, and shred their keys before returning.

        Reason "delete" (/delete) keeps the chat's tracked message ids: quick exit still needs
        them to empty the chat afterwards, and they expire on their own after 48 hours (see
        tracked.py). Any other reason ("exit", ...) erases them too.
        """
        if not re.match(r"^[a-z_]{1,24}$", reason):
            raise ValueError("reason must be a short lowercase word such as 'delete' or 'exit'")
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        shred: list[str] = []
        code: str | None = None
        async with self._tx(subject) as conn:
            tables: tuple[type[ConversationRow] | type[TrackedRow] | type[OutboxRow], ...] = (
                ConversationRow,
            )
            if reason != KEEPS_TRACKED:  # quick exit: nothing more is sent to the chat either
                tables += (TrackedRow, OutboxRow)
            for table in tables:
                result = await conn.execute(
                    delete(table).where(col(table.subject) == subject).returning(col(table.key_id))
                )
                shred += [r[0] for r in result.all()]
            result = await conn.execute(  # relays to staff still queued: never posted now
                delete(OutboxRow)
                .where(col(OutboxRow.subject) == staff_lane(subject))
                .returning(col(OutboxRow.key_id))
            )
            shred += [r[0] for r in result.all()]
            case = (
                await conn.execute(
                    delete(CaseRow)
                    .where(col(CaseRow.subject) == subject)
                    .returning(
                        col(CaseRow.code),
                        col(CaseRow.key_id),
                        col(CaseRow.thread_id),
                        col(CaseRow.entries_key_id),
                    )
                )
            ).first()
            if case is not None:
                code = case.code
                shred.append(case.key_id)
                if case.entries_key_id is not None:
                    shred.append(case.entries_key_id)
                if case.thread_id is not None:  # its conversation must leave the staff chat
                    await schedule_topic(conn, case.thread_id, now)
            shred = await self._queue(conn, shred, now, unshared=True)
            if shred:
                await audit.record(conn, f"erased.{reason}", None, code, now)
        await self._shred(shred, strict=True)
        if shred:
            await self._checkpoint()

    async def purge(self, now: dt.datetime | None = None) -> PurgeReport:
        """Remove expired working state, cases, tracked messages, update markers and audit rows."""
        now = now or self._clock()
        keys = await self._shred_queued()
        conversations, k1 = await self._purge_expired(ConversationRow, now)
        tracked, k2 = await self._purge_expired(TrackedRow, now)
        cases, k3 = await self._purge_expired(CaseRow, now)
        transcripts = await self._purge_transcripts(now)
        async with self._tx() as conn:
            result = await conn.execute(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.seen_at) <= now - MARKER_TTL)
            )
            updates = result.rowcount or 0
        audit_rows = 0
        cutoff = now - dt.timedelta(days=self._settings.audit_retention_days)
        while True:
            async with self._tx() as conn:
                batch = await audit.expired(conn, cutoff)
            audit_rows += batch
            if batch < PURGE_BATCH:
                break
        # Erasure reaching the disk: rewrite the key store if any key was shredded or
        # re-wrapped since the last round, by this process or another (keystore.py).
        try:
            await self._keys.compact()
        except (StoreUnavailable, DBAPIError) as exc:  # e.g. the lock was busy: next round
            log.warning("key store compaction postponed (%s)", type(exc).__name__)
        report = PurgeReport(
            conversations, cases, tracked, updates, keys + k1 + k2 + k3, audit_rows, transcripts
        )
        if any((conversations, cases, tracked, audit_rows, transcripts)):
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

    async def _purge_transcripts(self, now: dt.datetime) -> int:
        """Transcripts and staff notes of handoffs closed `transcript_retention_days` ago.

        The case keeps its data key (its answers live on until it expires), but these have a
        key of their own (entries.py), shredded here: copies left in old pages, the WAL or a
        backup become unreadable, as with erasure. (Entries written before that key existed
        were sealed with the case's key and go by deletion only.)
        """
        cutoff = now - dt.timedelta(days=self._settings.transcript_retention_days)
        done = 0
        while True:
            async with self._tx() as conn:
                rows = (
                    await conn.execute(
                        select(CaseRow.code, CaseRow.entries_key_id)
                        .where(col(CaseRow.status) == "closed")
                        .where(col(CaseRow.closed_at) <= cutoff)
                        .where(
                            col(CaseRow.transcript_enc).is_not(None)
                            | col(CaseRow.notes_enc).is_not(None)
                            | col(CaseRow.entries_key_id).is_not(None)
                        )
                        .limit(PURGE_BATCH)
                        .with_for_update()
                    )
                ).all()
                codes = [r[0] for r in rows]
                shred = [r[1] for r in rows if r[1] is not None]
                if codes:
                    await conn.execute(
                        update(CaseRow)
                        .where(col(CaseRow.code).in_(codes))
                        .values(transcript_enc=None, notes_enc=None, entries_key_id=None)
                    )
                    shred = await self._queue(conn, shred, now)
                    await conn.execute(
                        insert(AuditEvent),
                        [{"at": now, "event": "handoff.transcript_purged", "subject": c}
                         for c in codes],
                    )  # fmt: skip
            await self._shred(shred, strict=True)
            done += len(codes)
            if len(codes) < PURGE_BATCH:
                return done

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
                    returning += [pk, col(CaseRow.thread_id), col(CaseRow.entries_key_id)]
                result = await conn.execute(
                    delete(table)
                    .where(pk.in_(select(pk).where(expires <= now).limit(PURGE_BATCH)))
                    .where(expires <= now)
                    .returning(*returning)
                )
                rows = result.all()
                key_ids = [r[0] for r in rows]
                if table is TrackedRow and key_ids:  # the key still seals queued replies
                    used = set(
                        (
                            await conn.execute(
                                select(col(OutboxRow.key_id)).where(
                                    col(OutboxRow.key_id).in_(key_ids)
                                )
                            )
                        ).scalars()
                    )
                    key_ids = [k for k in key_ids if k not in used]
                if table is CaseRow:  # their transcript and notes had a key of their own
                    key_ids += [r[3] for r in rows if r[3] is not None]
                await self._queue(conn, key_ids, now)
                if table is CaseRow and rows:
                    await conn.execute(
                        insert(AuditEvent),
                        [{"at": now, "event": "case.purged", "subject": r[1]} for r in rows],
                    )
                    for r in rows:
                        if r[2] is not None:
                            await schedule_topic(conn, int(r[2]), now)
            keys_total += await self._shred(key_ids, strict=True)
            rows_total += len(rows)
            if len(rows) < PURGE_BATCH:
                return rows_total, keys_total
