"""Keys an operator could get wrong: placeholders instead of random keys, keys in variables or
in a `.env` file other users can read."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import pytest

from bot.config import Settings
from bot.store.crypto import MasterKeys, Pseudonyms, generate_master_key, generate_secret
from bot.store.errors import StoreConfigError
from bot.store.keyfiles import load_keys


def test_a_master_key_of_one_repeated_byte_is_refused() -> None:
    for placeholder in (b"\x00" * 32, b"\x01" * 32, b"ab" * 16):
        text = "v1:" + base64.b64encode(placeholder).decode()
        with pytest.raises(StoreConfigError, match="not a random key"):
            MasterKeys.parse(text, "HELPLINE_MASTER_KEY")
    assert MasterKeys.parse(generate_master_key(1), "generated").versions == [1]


def test_a_pseudonym_key_of_one_repeated_character_is_refused() -> None:
    for placeholder in ("a" * 40, "0123" * 10):
        with pytest.raises(StoreConfigError, match="too predictable"):
            Pseudonyms(placeholder)
    Pseudonyms(generate_secret())  # a generated one is fine


def test_keys_from_environment_variables_are_warned_about_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, master_key=generate_master_key(1), pseudonym_key=generate_secret()
    )
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        load_keys(settings, fresh=True)
    [warning] = [r for r in caplog.records if "environment variables" in r.getMessage()]
    assert "HELPLINE_MASTER_KEY and HELPLINE_PSEUDONYM_KEY" in warning.getMessage()
    assert settings.master_key is not None
    assert settings.master_key.get_secret_value() not in caplog.text


def test_a_dotenv_file_with_keys_that_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"HELPLINE_MASTER_KEY={generate_master_key(1)}\n", encoding="utf-8")
    os.chmod(dotenv, 0o644)
    settings = Settings(data_dir=tmp_path / "data")  # reads ./.env, as the bot does
    with pytest.raises(StoreConfigError, match=r"chmod 600 \.env"):
        load_keys(settings, fresh=True)
    os.chmod(dotenv, 0o600)
    load_keys(settings, fresh=True)  # owner-only: taken (with the warning)
