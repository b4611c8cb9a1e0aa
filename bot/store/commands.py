"""`helpline db upgrade`, `helpline keys generate|rotate`, `helpline purge`.

For operators: each prints a short result, and any problem as one line with a non-zero exit
(never a traceback), so they fit cron jobs and Kubernetes Jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import Settings
from bot.failure import fail
from bot.store import migrate, roles
from bot.store.crypto import MasterKeys, generate_master_key, generate_secret
from bot.store.engines import make_engine, unavailable
from bot.store.errors import StoreConfigError, StoreError
from bot.store.keyfiles import MASTER_FILE, read_key_file
from bot.store.store import Store
from bot.store.urls import async_url, same_database

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        names = ", ".join(
            "HELPLINE_" + str(err["loc"][0]).upper() for err in exc.errors() if err["loc"]
        )
        fail(f"invalid configuration: {names or 'see HELPLINE_* variables'}")
        raise AssertionError from None  # fail() exits


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except StoreError as exc:
        fail(str(exc))
        raise AssertionError from None


async def upgrade_databases(settings: Settings) -> list[tuple[str, str | None, str | None]]:
    """Migrate the main database and the key store to the newest schema."""
    main_url = async_url(settings.resolved_database_url)
    keys_url = async_url(settings.resolved_keystore_url, "HELPLINE_KEYSTORE_URL")
    if same_database(main_url, keys_url):
        raise StoreConfigError("the key store must be a separate database from the main one")
    app_role = settings.database_app_role
    done: list[tuple[str, str | None, str | None]] = []
    targets: list[tuple[migrate.Which, URL]] = [("main", main_url), ("keys", keys_url)]
    for kind, url in targets:
        engine = make_engine(
            url, name="migrate" if kind == "main" else "keystore", keystore=kind == "keys"
        )
        try:
            with unavailable():
                async with engine.begin() as conn:
                    before = await conn.run_sync(migrate.current, kind)
                    await conn.run_sync(migrate.upgrade, kind)
                    after = await conn.run_sync(migrate.current, kind)
                    if app_role and conn.dialect.name == "postgresql":
                        await _grant(conn, kind, app_role, settings.audit_retention_days)
        finally:
            await engine.dispose()
        done.append(("database" if kind == "main" else "key store", before, after))
    return done


async def _grant(conn: AsyncConnection, kind: migrate.Which, role: str, days: int) -> None:
    """The workers' role: see bot/store/roles.py."""
    exists = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if not exists:
        raise StoreConfigError(
            f"HELPLINE_DATABASE_APP_ROLE: role {role!r} does not exist; create it first "
            f"(CREATE ROLE {role} LOGIN PASSWORD '...')"
        )
    if kind == "main":
        await roles.grant_main(conn, role, days)
    else:
        await roles.grant_keys(conn, role)


@click.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database and the key store to the newest schema (safe to repeat)."""
    settings = _settings()
    for what, before, after in _run(lambda: upgrade_databases(settings)):
        change = "up to date" if before == after else f"upgraded from {before or 'empty'}"
        click.echo(f"{what}: schema {after} ({change})")


@click.group("keys")
def keys() -> None:
    """Master and pseudonym keys."""


def _next_version(settings: Settings) -> int:
    try:
        if settings.master_key is not None:
            text = settings.master_key.get_secret_value()
        elif settings.master_key_file is not None:
            text = read_key_file(settings.master_key_file, "master key")
        else:
            path = settings.data_dir / MASTER_FILE
            if not path.exists():
                return 1
            text = read_key_file(path, "master key")
        return MasterKeys.parse(text, "master key").newest + 1
    except StoreError:
        return 1


@keys.command("generate")
@click.option("--pseudonym", is_flag=True, help="Make a pseudonym key instead of a master key.")
@click.option(
    "--version",
    "version",
    type=click.IntRange(1, 999999),
    default=None,
    help="Version number of the new master key (default: the next one).",
)
def keys_generate(pseudonym: bool, version: int | None) -> None:
    """Print a new random key on stdout (the advice goes to stderr)."""
    if pseudonym:
        click.echo(generate_secret())
        click.echo(
            "Put it in a file readable only by the bot (chmod 600) and point "
            "HELPLINE_PSEUDONYM_KEY_FILE at it. Set it once: changing it later makes stored "
            "conversations unfindable, so the bot refuses to start with a different one.",
            err=True,
        )
        return
    number = version or _next_version(_settings())
    line = generate_master_key(number)
    click.echo(line)
    click.echo(
        f"Put v{number} first in HELPLINE_MASTER_KEY or the master key file (chmod 600), "
        f"keeping the older versions after it, e.g. v{number}:...,v{number - 1}:... ; restart "
        "the bot, then run `helpline keys rotate`. After that the older versions can be "
        "removed from the configuration.",
        err=True,
    )


@keys.command("rotate")
@click.option(
    "--batch",
    type=click.IntRange(1, 100000),
    default=500,
    show_default=True,
    help="Data keys re-wrapped per transaction.",
)
def keys_rotate(batch: int) -> None:
    """Re-wrap every data key under the newest master key (resumable; data rows untouched)."""
    settings = _settings()

    async def work() -> str:
        store = await Store.open(settings)
        try:
            report = await store.rotate_keys(batch)
        finally:
            await store.close()
        line = f"re-wrapped {report.rewrapped} data key(s) under master key v{report.newest}"
        if report.remaining:
            left = ", ".join(f"v{v}: {n}" for v, n in sorted(report.remaining.items()))
            return f"{line}; still under older keys ({left}): run it again"
        return f"{line}; no data needs an older master key: remove those from the configuration"

    click.echo(_run(work))


@click.command("purge")
def purge() -> None:
    """Delete expired working state and cases now (for cron or a Kubernetes CronJob)."""
    settings = _settings()

    async def work() -> str:
        store = await Store.open(settings)
        try:
            r = await store.purge()
        finally:
            await store.close()
        return (
            f"purged {r.conversations} conversation(s), {r.cases} case(s), "
            f"{r.tracked} tracked message list(s), {r.updates} update marker(s), "
            f"{r.audit} audit event(s); "
            f"shredded {r.keys} data key(s)"
        )

    click.echo(_run(work))
