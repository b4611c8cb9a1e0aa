"""PostgreSQL with HELPLINE_DATABASE_APP_ROLE: the workers' role only appends to the audit trail.

The whole worker life (a conversation, a kept case, /delete, the purge with its key-table
compaction) runs as that role; rewriting or erasing the trail does not, and the purge removes
only what the owner's retention allows, whatever the worker's clock says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.store import Store
from bot.store.commands import upgrade_databases
from bot.store.errors import StoreConfigError
from bot.store.urls import async_url

from .conftest import PG_HOST, PG_PORT, SESSION, Backend, _pg_admin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgres"], indirect=True),
]
CHAT = 6120934587


@pytest.fixture
async def app_role(backend: Backend) -> AsyncIterator[str]:
    role = f"helpline_app_{SESSION}_{backend.pg_dbs[0].rsplit('_', 1)[-1]}"
    await _pg_admin(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        await backend.dispose()
        await _pg_admin(*(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in backend.pg_dbs))
        await _pg_admin(f"DROP ROLE IF EXISTS {role}")


def _as(role: str, backend: Backend, keys: bool = False) -> str:
    db = backend.pg_dbs[1 if keys else 0]
    return f"postgresql://{role}@{PG_HOST}:{PG_PORT}/{db}"


async def _refused(url: str, sql: str) -> bool:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    except DBAPIError as exc:
        return "permission denied" in str(exc)
    finally:
        await engine.dispose()
    return False


async def test_the_worker_role_appends_to_the_audit_trail_but_cannot_rewrite_it(
    backend: Backend, app_role: str
) -> None:
    await upgrade_databases(backend.settings(database_app_role=app_role))
    now = dt.datetime.now(dt.UTC)
    backend.clock.now = now - dt.timedelta(days=200)  # older than the 180-day retention
    worker = backend.settings(
        database_url=_as(app_role, backend), keystore_url=_as(app_role, backend, keys=True)
    )
    store = await Store.open(worker, clock=backend.clock)
    try:
        async with store.conversation(CHAT) as conv:
            conv.save({"node": "q2", "answers": {"q1": "what happened"}})
        await store.keep_case(CHAT, {"q1": "what happened"}, "en", "keep-v1")
        await store.audit("case.viewed", actor="staff-a", subject="ABCD-EFGH")
        backend.clock.now = now - dt.timedelta(days=10)
        await store.audit("case.viewed", actor="staff-b", subject="ABCD-EFGH")
        await store.erase(CHAT, "delete")
        before = await backend.count("audit_event")
        assert before >= 3

        url = _as(app_role, backend)
        assert await _refused(url, "UPDATE audit_event SET actor = NULL")
        assert await _refused(url, "DELETE FROM audit_event")
        assert await _refused(url, "TRUNCATE audit_event")
        assert await _refused(url, "DELETE FROM alembic_version")
        assert await backend.count("audit_event") == before

        # A worker whose clock (or setting) claims everything expired still removes only rows
        # past the owner's retention; the key table is compacted as that role too.
        report = await store.purge(now + dt.timedelta(days=3650))
        assert report.audit >= 1
        actors = [r[0] for r in await backend.sql("SELECT actor FROM audit_event")]
        assert "staff-b" in actors and "staff-a" not in actors
        due = await backend.sql("SELECT name FROM keystore_meta WHERE name = 'compact_due'", True)
        assert due == []
    finally:
        await store.close()


async def test_an_app_role_that_does_not_exist_is_one_clear_line(backend: Backend) -> None:
    with pytest.raises(StoreConfigError, match="CREATE ROLE helpline_nobody"):
        await upgrade_databases(backend.settings(database_app_role="helpline_nobody"))


def test_an_app_role_that_is_not_a_plain_name_is_refused(backend: Backend) -> None:
    with pytest.raises(ValueError, match="plain role name"):
        backend.settings(database_app_role="app; DROP TABLE audit_event")
