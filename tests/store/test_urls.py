"""Database URLs as operators write them."""

from __future__ import annotations

import pytest

from bot.store import StoreConfigError
from bot.store.urls import async_url, same_database


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/helpline.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///data/helpline.db", "sqlite+aiosqlite"),
        ("postgresql://bot@db/helpline", "postgresql+asyncpg"),
        ("postgres://bot:pw@db:5433/helpline", "postgresql+asyncpg"),
        ("postgresql+asyncpg://bot@db/helpline", "postgresql+asyncpg"),
        ("postgresql+psycopg://bot@db/helpline", "postgresql+psycopg"),
    ],
)
def test_operator_urls_get_an_async_driver(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver


def test_libpq_sslmode_is_translated_for_asyncpg() -> None:
    url = async_url("postgresql://bot@db/helpline?sslmode=require")
    assert dict(url.query) == {"ssl": "require"}


@pytest.mark.parametrize("bad", ["mysql://u:secretpw@h/d", "not a url", ""])
def test_bad_urls_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(StoreConfigError) as caught:
        async_url(bad)
    assert "secretpw" not in str(caught.value)


def test_key_store_must_be_another_database() -> None:
    a = async_url("sqlite:///data/helpline.db")
    assert same_database(a, async_url("sqlite:///./data/helpline.db"))
    assert not same_database(a, async_url("sqlite:///data/keys.db"))
    pg = async_url("postgresql://bot@db/helpline")
    assert same_database(pg, async_url("postgres://other@db:5432/helpline"))
    assert not same_database(pg, async_url("postgresql://bot@db/helpline_keys"))
