"""PostgreSQL: the workers' role may only append to the audit trail.

`helpline db upgrade`, run as the databases' owner with `HELPLINE_DATABASE_APP_ROLE` set,
grants that role what a worker needs and no more (plus, in the key store, the right to
checkpoint and switch WAL segments, so erased keys leave the WAL). Working tables: read and
write. The audit trail: INSERT and SELECT only, so a compromised or buggy worker cannot rewrite
or erase what staff did. Rows past retention go through `helpline_audit_purge(max_rows)`, a
SECURITY DEFINER function owned by the owner that deletes only rows older than the retention
the owner set when upgrading (the workers' own setting cannot shorten it). Migration history
tables: read only. Re-applied on every upgrade, so tables added later are covered. SQLite has
no roles: nothing to do.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PURGE_FUNCTION = "helpline_audit_purge(integer)"


def check_role(role: str) -> str:
    """A plain lower-case PostgreSQL identifier, so it needs no quoting anywhere."""
    if not ROLE.match(role):
        raise ValueError(
            "HELPLINE_DATABASE_APP_ROLE must be a plain role name: lower-case letters, digits "
            "and _ (for example helpline_app)"
        )
    return role


async def grant_main(conn: AsyncConnection, role: str, audit_retention_days: int) -> None:
    """The main database: working tables read/write, audit trail append-only."""
    role = check_role(role)
    days = int(audit_retention_days)
    for sql in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}",
        f"""CREATE OR REPLACE FUNCTION helpline_audit_purge(max_rows integer) RETURNS integer
            LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
              WITH gone AS (
                DELETE FROM public.audit_event WHERE id IN (
                  SELECT id FROM public.audit_event
                  WHERE at < now() - interval '{days} days' ORDER BY at LIMIT max_rows)
                RETURNING 1)
              SELECT count(*)::integer FROM gone
            $$""",
        f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {PURGE_FUNCTION} TO {role}",
    ):
        await conn.execute(text(sql))


async def grant_keys(conn: AsyncConnection, role: str) -> None:
    """The key store: the worker shreds keys and compacts the table (TRUNCATE), so all of it."""
    role = check_role(role)
    for sql in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version_keys FROM {role}",
    ):
        await conn.execute(text(sql))
    # So erased keys leave the WAL (keystore.py, README "Erasure"): needs a superuser owner
    # (and PostgreSQL 15+ for pg_checkpoint); otherwise the bot warns once and carries on.
    for sql in (
        f"GRANT pg_checkpoint TO {role}",
        f"GRANT EXECUTE ON FUNCTION pg_switch_wal() TO {role}",
    ):
        try:
            async with conn.begin_nested():
                await conn.execute(text(sql))
        except DBAPIError:
            pass


async def purge_function(conn: AsyncConnection) -> bool:
    """Whether the owner installed the audit purge function (a two-role deployment)."""
    found = await conn.scalar(text(f"SELECT to_regprocedure('{PURGE_FUNCTION}') IS NOT NULL"))
    return bool(found)
