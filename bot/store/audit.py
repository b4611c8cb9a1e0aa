"""The audit trail: what happened to which case and by whom, never any content.

Rows name an event (a dotted name such as 'handoff.claimed'), and pseudonyms or case codes.
They are written in the transaction of the change they record (`record`), and purged after
`audit_retention_days` (180 by default) with everything else that expired (`expired`).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot.store import roles
from bot.store.core import PSEUDONYM, PURGE_BATCH
from bot.store.tables import AuditEvent

_EVENT = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


async def record(
    conn: AsyncConnection,
    event: str,
    actor: str | None,
    subject: str | None,
    now: dt.datetime,
) -> None:
    """Append one audit row in the caller's transaction."""
    if not _EVENT.match(event):
        raise ValueError("audit event must be a short dotted name such as 'case.kept'")
    for value in (actor, subject):
        if value is not None and not PSEUDONYM.match(value):
            raise ValueError("audit actor and subject must be pseudonyms or case codes")
    await conn.execute(
        insert(AuditEvent).values(at=now, event=event, actor=actor, subject=subject)
    )


async def expired(conn: AsyncConnection, before: dt.datetime) -> int:
    """Delete up to PURGE_BATCH audit rows older than `before`; how many went.

    Where the owner made the trail append-only (bot/store/roles.py), only its function may
    delete, at the retention the owner set.
    """
    if conn.dialect.name == "postgresql" and await roles.purge_function(conn):
        gone = await conn.scalar(text("SELECT helpline_audit_purge(:n)"), {"n": PURGE_BATCH})
        return int(gone or 0)
    at = col(AuditEvent.at)
    ids = select(col(AuditEvent.id)).where(at < before).order_by(at).limit(PURGE_BATCH)
    result = await conn.execute(delete(AuditEvent).where(col(AuditEvent.id).in_(ids)))
    return result.rowcount or 0
