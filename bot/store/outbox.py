"""The outbox: what a step decided to write to a chat, kept until it was delivered.

A step's replies (and its keyboard edits and deletions) are written, encrypted under the
chat's key (its tracked messages' key: one per chat, fetched with the step's state, see
tracked.py `ChatKey`), in the same transaction as the step's state and update id
(`Conversation.deliver`), so a reply the bot decided on survives a crash, a failing Bot API
or a dead worker. A sender (bot/channels/telegram/sender.py `Courier`) then:

- `claim_outbox`s the oldest row of each chat (one chat's rows go out in order, one at a time),
  urgent rows (quick exit, crisis, help) before other chats' rows, and leases it so that
  no other sender takes it meanwhile;
- after each operation, `advance`s the row in one transaction that also records the sent
  message ids for quick exit, and deletes the row after the last one (its key is shredded
  once no row of the chat uses it);
- on a failure, `retry_later` hands the row back with a time for the next attempt.

The sender records what finished and claims its next rows in one transaction
(`advance_and_claim`): on SQLite's one write lock that is one commit, not two.

A lease that runs out (a sender that died) makes the row claimable again, so a dead
worker delays its replies by at most LEASE, never loses them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.store.core import log
from bot.store.crypto import aad, encode_json, seal, unseal_json
from bot.store.engines import unavailable
from bot.store.errors import DecryptionError, StoreUnavailable
from bot.store.tables import OutboxRow
from bot.store.tracked import ChatKey, Tracked

LEASE = dt.timedelta(seconds=90)  # longer than one operation can take (see the Courier)
CHANNEL = "helpline_outbox"  # PostgreSQL NOTIFY channel: something was queued
_NOTIFY = text(f"NOTIFY {CHANNEL}")  # statements built once (every reply runs them)
_QUEUE = insert(OutboxRow)
_SENT = (
    delete(OutboxRow)
    .where(col(OutboxRow.id) == bindparam("b_id"))
    .returning(col(OutboxRow.key_id))
)
_PARTLY_SENT = (
    update(OutboxRow)
    .where(col(OutboxRow.id) == bindparam("b_id"))
    .returning(col(OutboxRow.key_id))
)
_HEADS = (  # the oldest row of each chat, not leased, urgent chats first
    select(col(OutboxRow.id))
    .where(
        col(OutboxRow.id).in_(
            select(func.min(OutboxRow.id)).group_by(col(OutboxRow.subject)).scalar_subquery()
        ),
        or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) <= bindparam("now")),
    )
    .order_by(col(OutboxRow.urgent).desc(), col(OutboxRow.id))
    .limit(bindparam("limit"))
)
# Two int4 keys: a lock space apart from the chats' one-bigint advisory locks.
SENDER_LOCK_SQL = "SELECT pg_try_advisory_lock(1212501072, 1)"

Op = dict[str, Any]  # {"k": "send"|"edit"|"markup"|"delete", ...}: see the Courier


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed outbox row: the chat, its operations, and how far it got."""

    id: int
    subject: str = field(repr=False)
    key_id: str = field(repr=False)
    key: bytes = field(repr=False)
    chat_id: int = field(repr=False)
    ops: tuple[Op, ...] = field(repr=False)
    done: int
    tries: int
    urgent: bool


@dataclass(slots=True)
class Pending:
    """Operations for one chat, to be written with the transaction (Conversation.deliver)."""

    chat_id: int
    ops: list[Op]
    urgent: bool
    staff: bool = False  # relays to staff: the chat's staff lane (see `staff_lane`)


def staff_lane(subject: str) -> str:
    """The subject under which a chat's relays to staff are queued: a lane of their own, in
    order, so the staff chat's pace (20 messages a minute) or trouble never holds up the
    survivor's own replies (a crisis screen above all). Quick exit drops both lanes."""
    return hashlib.sha256(f"staff-lane|{subject}".encode()).hexdigest()


class Outbox(Tracked):
    _leader: AsyncConnection | None = None  # PostgreSQL: the session holding SENDER_LOCK
    _listener: AsyncConnection | None = None

    async def lead(self) -> bool:
        """Is this process the bot's one sender? Takes the role if it is free.

        PostgreSQL: a session advisory lock held on a connection of its own; when the process
        dies its connection goes, and the next worker to ask takes over. SQLite: always (one
        process serves the bot). Never raises.
        """
        if self._sqlite:
            return True
        try:
            if self._leader is not None:
                await self._leader.execute(text("SELECT 1"))
                await self._leader.commit()  # never left idle in a transaction
                return True
            with unavailable():
                conn = await self._main.connect()
                try:
                    got = (await conn.execute(text(SENDER_LOCK_SQL))).scalar()
                    await conn.commit()
                except BaseException:
                    await conn.close()
                    raise
            if not got:
                await conn.close()
                return False
            self._leader = conn
            log.info("this worker is now the bot's sender")
            return True
        except Exception:
            await self.resign()
            return False

    async def resign(self) -> None:
        """Give up the sender role (closing its connection releases the lock)."""
        for name in ("_leader", "_listener"):
            conn = getattr(self, name)
            setattr(self, name, None)
            if conn is not None:
                with suppress(Exception):
                    await conn.invalidate()  # really closed, not pooled: the lock goes with it
                with suppress(Exception):
                    await conn.close()

    async def listen(self, wake: Callable[[], None]) -> None:
        """PostgreSQL: call `wake` whenever any worker queues something (LISTEN/NOTIFY)."""
        if self._sqlite or self._listener is not None:
            return
        try:
            with unavailable():
                conn = await self._main.connect()
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                await driver.add_listener(CHANNEL, lambda *_: wake())
            self._listener = conn
        except Exception:
            log.info("outbox: could not listen for new work; polling instead")

    @property
    def single_process(self) -> bool:
        """SQLite: one process serves the bot, so it is the only sender."""
        return self._sqlite

    async def _enqueue(self, conn: AsyncConnection, chat: ChatKey, pending: Pending) -> None:
        """Write one outbox row in the caller's transaction, sealed with the chat's key (a
        relay to staff: with a key of its own, shredded with the row)."""
        if not pending.ops:
            return
        if pending.staff:
            subject = staff_lane(chat.subject)
            key_id, data_key = await self._keys.create()
        else:
            subject = chat.subject
            key_id, data_key = await self._chat_key(chat)
        if not self._sqlite:  # wakes the sender, whichever worker it is, at the commit
            await conn.execute(_NOTIFY)
        item = encode_json({"chat": pending.chat_id, "ops": pending.ops})
        await conn.execute(
            _QUEUE,
            {
                "subject": subject,
                "urgent": pending.urgent,
                "key_id": key_id,
                "item_enc": seal(data_key, item, _aad_outbox(subject)),
                "done": 0,
                "tries": 0,
                "lease_until": None,
            },
        )

    async def deliver(self, chat_id: int, ops: Sequence[Op], *, urgent: bool = False) -> None:
        """Queue operations for a chat in a transaction of their own (outside a step)."""
        subject = self._pseudonyms.chat(chat_id)
        async with self._tx(subject) as conn:
            chat = await self._load_tracked(conn, subject)
            await self._enqueue(conn, chat, Pending(chat_id, list(ops), urgent))

    async def _cancel_outbox(self, conn: AsyncConnection, subject: str) -> list[str]:
        """Drop a chat's undelivered rows, relays to staff included (quick exit); returns
        the keys to queue (those its tracked row does not use)."""
        result = await conn.execute(
            delete(OutboxRow)
            .where(col(OutboxRow.subject).in_([subject, staff_lane(subject)]))
            .returning(col(OutboxRow.key_id))
        )
        return await self._unused(conn, subject, [r[0] for r in result.all()])

    async def claim_outbox(self, limit: int, lease: dt.timedelta = LEASE) -> list[Delivery]:
        """Lease up to `limit` rows: the oldest row of each chat not being sent, urgent first."""
        return (await self.advance_and_claim([], limit, lease=lease))[1]

    async def _claim_in(
        self, conn: AsyncConnection, limit: int, now: dt.datetime, lease: dt.timedelta
    ) -> list[Any]:
        """`claim_outbox` inside the caller's transaction: the leased rows, still sealed."""
        if limit <= 0:
            return []
        free = or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) <= now)
        ids = list((await conn.execute(_HEADS, {"now": now, "limit": limit})).scalars())
        if not ids:
            return []
        return list(
            (
                await conn.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.id).in_(ids), free)
                    .values(lease_until=now + lease)
                    .returning(
                        col(OutboxRow.id),
                        col(OutboxRow.subject),
                        col(OutboxRow.key_id),
                        col(OutboxRow.item_enc),
                        col(OutboxRow.done),
                        col(OutboxRow.tries),
                        col(OutboxRow.urgent),
                    )
                )
            ).all()
        )

    async def _open(self, rows: Sequence[Any], known: dict[str, bytes]) -> list[Delivery]:
        """Claimed rows decrypted: keys from `known` (the sender's rows in flight) or the
        key store; a row that cannot be decrypted is dropped."""
        out: list[Delivery] = []
        broken: list[int] = []
        wanted = list({row.key_id for row in rows if row.key_id not in known})
        keys = {**known, **await self._keys.get_found(wanted)} if wanted else known
        for row in rows:
            try:
                data_key = keys.get(row.key_id)
                if data_key is None:
                    raise DecryptionError
                item = unseal_json(data_key, row.item_enc, _aad_outbox(row.subject))
                if not (isinstance(item, dict) and isinstance(item.get("chat"), int)):
                    raise DecryptionError
                ops = tuple(item.get("ops") or ())
            except DecryptionError:
                broken.append(row.id)
                continue
            out.append(
                Delivery(
                    row.id,
                    row.subject,
                    row.key_id,
                    data_key,
                    item["chat"],
                    ops,
                    row.done,
                    row.tries,
                    row.urgent,
                )
            )
        if broken:  # its key was shredded (the chat was erased) or the row was altered
            log.warning("dropped %d outbox row(s) that could not be decrypted", len(broken))
            await self._drop_rows(broken)
        out.sort(key=lambda d: (not d.urgent, d.id))
        return out

    async def advance(
        self,
        delivery: Delivery,
        done: int,
        sent: Sequence[int],
        *,
        lease: dt.timedelta = LEASE,
    ) -> bool:
        """Record `done` operations carried out, and the ids of messages just sent (tracked for
        quick exit in the same transaction). The row goes once all are done.

        False if the row is gone: the chat was erased (quick exit) while this was sending, so
        the caller must delete what it just sent.
        """
        return (await self.advance_many([(delivery, done, sent)], lease=lease))[0]

    async def advance_many(
        self,
        items: Sequence[tuple[Delivery, int, Sequence[int]]],
        *,
        lease: dt.timedelta = LEASE,
    ) -> list[bool]:
        """`advance` for several rows (of different chats) in one transaction: the sender
        records what finished while the previous commit was being made all at once."""
        return (await self.advance_and_claim(items, 0, lease=lease))[0]

    async def advance_and_claim(
        self,
        items: Sequence[tuple[Delivery, int, Sequence[int]]],
        claim: int,
        *,
        lease: dt.timedelta = LEASE,
    ) -> tuple[list[bool], list[Delivery]]:
        """`advance_many`, then `claim_outbox(claim)`, in one transaction: on SQLite's single
        write lock, recording what was sent and taking the next rows (a row just finished may
        free its chat's next one) cost one commit instead of two.

        The claimed rows' keys come from the advanced rows where they match (a chat's rows
        share its key), else from the key store after the commit. If that fails, the
        records stand and the claimed rows are handed back (`release`)."""
        now = self._clock()
        shred: list[str] = []
        out: list[bool] = []
        async with self._tx() as conn:
            for subject in sorted({d.subject for d, _, _ in items}):  # one order: no deadlock
                await self._lock(conn, subject)
            for delivery, done, sent in items:
                ok, keys = await self._advance_in(conn, delivery, done, sent, now, lease)
                out.append(ok)
                shred += keys
            rows = await self._claim_in(conn, claim, now, lease)
        await self._shred(shred, strict=False)
        if not rows:
            return out, []
        try:
            claimed = await self._open(rows, {d.key_id: d.key for d, _, _ in items})
        except StoreUnavailable:  # the key store: what was recorded stays recorded
            with suppress(StoreUnavailable):
                await self.release([row.id for row in rows])
            if not items:
                raise
            return out, []
        return out, claimed

    async def _advance_in(
        self,
        conn: AsyncConnection,
        delivery: Delivery,
        done: int,
        sent: Sequence[int],
        now: dt.datetime,
        lease: dt.timedelta,
    ) -> tuple[bool, list[str]]:
        shred: list[str] = []
        finished = done >= len(delivery.ops)
        if finished:
            result = await conn.execute(_SENT, {"b_id": delivery.id})
        else:
            result = await conn.execute(
                _PARTLY_SENT,
                {"b_id": delivery.id, "done": done, "tries": 0, "lease_until": now + lease},
            )
        key_id = result.scalar_one_or_none()
        if key_id is None:
            return False, []
        chat: ChatKey | None = None
        if sent:
            chat = await self._load_tracked(conn, delivery.subject, {key_id: delivery.key})
            broken = await self._track(
                conn, chat, sent, now, spare=(delivery.key_id, delivery.key)
            )
            shred += await self._queue(conn, broken, now, unshared=True)
        if finished and (chat is None or chat.key_id != key_id):  # else its tracked row's
            unused = await self._unused(conn, delivery.subject, [key_id])
            shred += await self._queue(conn, unused, now)
        return True, shred

    async def retry_later(
        self, delivery: Delivery, after: float, *, tries: int, done: int | None = None
    ) -> None:
        """Hand a row back: claimable again in `after` seconds (with `done`: that many
        operations carried out, e.g. a cosmetic edit that was not recorded on its own)."""
        now = self._clock()
        values: dict[str, Any] = {"tries": tries, "lease_until": now + dt.timedelta(seconds=after)}
        if done is not None:
            values["done"] = done
        async with self._tx() as conn:
            await conn.execute(
                update(OutboxRow).where(col(OutboxRow.id) == delivery.id).values(**values)
            )

    async def release(self, ids: Sequence[int] | None = None) -> None:
        """Make leased rows claimable now: these (a sender stopping), or all (SQLite start)."""
        async with self._tx() as conn:
            stmt = update(OutboxRow).values(lease_until=None)
            if ids is not None:
                if not ids:
                    return
                stmt = stmt.where(col(OutboxRow.id).in_(list(ids)))
            await conn.execute(stmt)

    async def drop_chat_outbox(self, chat_id: int) -> None:
        """Forget what is queued for a chat (the survivor blocked the bot)."""
        subject = self._pseudonyms.chat(chat_id)
        now = self._clock()
        async with self._tx(subject) as conn:
            keys = await self._cancel_outbox(conn, subject)
            shred = await self._queue(conn, keys, now)
        await self._shred(shred, strict=False)

    async def _drop_rows(self, ids: Sequence[int]) -> None:
        now = self._clock()
        async with self._tx() as conn:
            result = await conn.execute(
                delete(OutboxRow)
                .where(col(OutboxRow.id).in_(list(ids)))
                .returning(col(OutboxRow.key_id))
            )
            shred = await self._queue(conn, [r[0] for r in result.all()], now, unshared=True)
        await self._shred(shred, strict=False)

    async def outbox_pending(self, chat_id: int) -> bool:
        """Is anything still queued for this chat?"""
        subject = self._pseudonyms.chat(chat_id)
        async with self._tx() as conn:
            row = (
                await conn.execute(
                    select(col(OutboxRow.id)).where(col(OutboxRow.subject) == subject).limit(1)
                )
            ).first()
        return row is not None

    async def outbox_size(self) -> int:
        """Rows not yet delivered (all chats)."""
        async with self._tx() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(OutboxRow))).scalar_one()
            )


def _aad_outbox(subject: str) -> bytes:
    return aad("outbox", subject, "item_enc")
