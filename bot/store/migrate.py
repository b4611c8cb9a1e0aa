"""Alembic, driven from inside the package: no alembic.ini for operators to keep in sync.

The main database and the key store each have their own migration history
(bot/store/migrations/main and .../keys) and version table. A new revision for developers:
`python -m bot.store.migrate main "add handoff fields"`, then fill in upgrade/downgrade (use
op.batch_alter_table so SQLite can follow); tests/store check the tables and the migrations
agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

from bot.store.tables import KEYS_METADATA, MAIN_METADATA

Which = Literal["main", "keys"]
HERE = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE: dict[Which, str] = {"main": "alembic_version", "keys": "alembic_version_keys"}
METADATA: dict[Which, MetaData] = {"main": MAIN_METADATA, "keys": KEYS_METADATA}


def config(which: Which, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / which))
    cfg.attributes["which"] = which
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head(which: Which) -> str | None:
    return ScriptDirectory.from_config(config(which)).get_current_head()


def current(connection: Connection, which: Which) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE[which]})
    return ctx.get_current_revision()


def known(which: Which, revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config(which)).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def upgrade(connection: Connection, which: Which, target: str = "head") -> None:
    """Run in `AsyncConnection.run_sync`, inside the caller's transaction."""
    command.upgrade(config(which, connection), target)


def downgrade(connection: Connection, which: Which, target: str = "base") -> None:
    command.downgrade(config(which, connection), target)


def run_env() -> None:
    """Body of both env.py files: always on a connection the store hands over."""
    from alembic import context

    cfg = context.config
    which: Which = cfg.attributes.get("which", "main")
    connection = cfg.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `helpline db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=METADATA[which],
        version_table=VERSION_TABLE[which],
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] not in ("main", "keys"):
        sys.exit('usage: python -m bot.store.migrate main|keys "what changes"')
    command.revision(config("main" if sys.argv[1] == "main" else "keys"), message=sys.argv[2])
