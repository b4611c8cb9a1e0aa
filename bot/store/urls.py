"""Database URLs as operators write them, turned into the async drivers the store runs on.

`sqlite:///data/helpline.db` becomes `sqlite+aiosqlite:///...`, `postgresql://` and
`postgres://` become `postgresql+asyncpg://`; an explicit async driver is kept. Error messages
never repeat the URL: it may hold a password.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.store.errors import StoreConfigError

_SQLITE = {"sqlite": "sqlite+aiosqlite", "sqlite+aiosqlite": "sqlite+aiosqlite"}
_POSTGRES = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+psycopg",  # psycopg 3 is async-capable
}


def async_url(raw: str, what: str = "HELPLINE_DATABASE_URL") -> URL:
    """Parse an operator's URL and pick the async driver for it."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise StoreConfigError(
            f"{what} is not a database URL: expected sqlite:///path or "
            "postgresql://user@host/database"
        ) from None
    scheme = url.drivername
    if scheme in _SQLITE:
        return url.set(drivername=_SQLITE[scheme])
    if scheme in _POSTGRES:
        url = url.set(drivername=_POSTGRES[scheme])
        if url.drivername == "postgresql+asyncpg" and "sslmode" in url.query:
            # libpq spells it sslmode; asyncpg takes the same values as `ssl`.
            query = dict(url.query)
            query["ssl"] = query.pop("sslmode")
            url = url.set(query=query)
        return url
    raise StoreConfigError(
        f"{what} uses an unsupported database ({scheme.split('+')[0]}): "
        "use sqlite:///path or postgresql://user@host/database"
    )


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The database file, or None for an in-memory database."""
    db = url.database
    if not db or db == ":memory:" or db.startswith("file::memory:"):
        return None
    return Path(db)


def same_database(a: URL, b: URL) -> bool:
    """True when two URLs name one database: the key store must live elsewhere."""
    if is_sqlite(a) and is_sqlite(b):
        pa, pb = sqlite_path(a), sqlite_path(b)
        return pa is not None and pb is not None and pa.resolve() == pb.resolve()
    return (a.get_backend_name(), a.host or "localhost", a.port or 5432, a.database) == (
        b.get_backend_name(),
        b.host or "localhost",
        b.port or 5432,
        b.database,
    )
