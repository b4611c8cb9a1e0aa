"""Settings an operator writes: one source for the database password."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.store.urls import async_url


def test_the_database_password_comes_from_one_file_for_both_databases(tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cr@t/pw\n", encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="postgresql://helpline@db/helpline",
        keystore_url="postgresql://helpline@keys/helpline_keys",
        database_password_file=secret,
    )
    assert async_url(settings.resolved_database_url).password == "s3cr@t/pw"
    assert async_url(settings.resolved_keystore_url).password == "s3cr@t/pw"


def test_a_password_written_in_the_url_wins_and_sqlite_is_untouched(tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("from-file", encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="postgresql://helpline:inline@db/helpline",
        database_password_file=secret,
    )
    assert async_url(settings.resolved_database_url).password == "inline"
    assert settings.resolved_keystore_url.startswith("sqlite:///")


def test_a_missing_password_file_is_a_clear_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a readable file"):
        Settings(_env_file=None, database_password_file=tmp_path / "nope")  # type: ignore[call-arg]
