"""Schema: migrations build the tables from nothing, match the models, and go down and up."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.store import StoreConfigError, migrate
from bot.store.commands import upgrade_databases
from bot.store.urls import async_url

from .conftest import Backend, _pg_admin, pg_dsn


async def _empty_pair(backend: Backend) -> tuple[str, str]:
    if backend.sqlite:
        return (f"sqlite:///{backend.tmp}/fresh/main.db", f"sqlite:///{backend.tmp}/fresh/keys.db")
    names = [f"{backend.pg_dbs[0]}_fresh", f"{backend.pg_dbs[0]}_freshkeys"]
    await _pg_admin(*(f'CREATE DATABASE "{n}"' for n in names))
    backend.pg_dbs.extend(names)
    return pg_dsn(names[0]), pg_dsn(names[1])


def _diff(conn: Connection, which: migrate.Which) -> list[Any]:
    ctx = MigrationContext.configure(
        conn, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE[which]}
    )
    return list(compare_metadata(ctx, migrate.METADATA[which]))


async def test_migrations_run_up_from_empty_and_match_the_models(backend: Backend) -> None:
    main_url, keys_url = await _empty_pair(backend)
    settings = backend.settings(database_url=main_url, keystore_url=keys_url)
    if not backend.sqlite:
        # Several workers must not race to migrate PostgreSQL: the operator runs it once.
        with pytest.raises(StoreConfigError, match="run `helpline db upgrade`"):
            await backend.open(database_url=main_url, keystore_url=keys_url)
        await upgrade_databases(settings)
    store = await backend.open(database_url=main_url, keystore_url=keys_url)  # SQLite: itself
    try:
        async with store.conversation(1) as conv:
            conv.save({"node": "q1"})
    finally:
        await store.close()

    for which, url in (("main", main_url), ("keys", keys_url)):
        kind: migrate.Which = "main" if which == "main" else "keys"
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                assert await conn.run_sync(migrate.current, kind) == migrate.head(kind)
                assert await conn.run_sync(_diff, kind) == []
            async with engine.begin() as conn:
                await conn.run_sync(migrate.downgrade, kind)
            async with engine.begin() as conn:
                assert await conn.run_sync(migrate.current, kind) is None
                await conn.run_sync(migrate.upgrade, kind)
                assert await conn.run_sync(_diff, kind) == []
        finally:
            await engine.dispose()


async def test_a_newer_schema_is_refused(backend: Backend) -> None:
    store = await backend.open()
    await store.close()
    await backend.sql("UPDATE alembic_version SET version_num = 'f00d'")
    with pytest.raises(StoreConfigError, match="newer version of the bot"):
        await backend.open()
