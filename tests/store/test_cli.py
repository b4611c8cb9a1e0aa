"""The operator's commands: db upgrade, keys generate/rotate, purge; errors as one line."""

from __future__ import annotations

import asyncio
import base64
import re

from click.testing import CliRunner, Result

from bot.cli import main
from bot.store import migrate

from .conftest import MASTER_V1, PSEUDONYM_KEY, Backend


def _env(backend: Backend, **extra: str) -> dict[str, str]:
    env = {
        "HELPLINE_DATA_DIR": str(backend.tmp / "data"),
        "HELPLINE_DATABASE_URL": backend.main_url,
        "HELPLINE_KEYSTORE_URL": backend.keys_url,
        "HELPLINE_MASTER_KEY": MASTER_V1,
        "HELPLINE_PSEUDONYM_KEY": PSEUDONYM_KEY,
    }
    env.update(extra)
    return env


async def _helpline(backend: Backend, *args: str, **env: str) -> Result:
    # In a thread: the commands run their own event loop, as they do for an operator.
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=_env(backend, **env))


async def test_operator_commands(backend: Backend) -> None:
    result = await _helpline(backend, "db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert re.search(rf"^database: schema {migrate.head('main')} \(", result.stdout, re.M)
    assert re.search(r"^key store: schema k0001 \(", result.stdout, re.M)

    store = await backend.open()  # clocked at T0, long ago: its conversation has expired
    try:
        for chat in (1, 2):
            async with store.conversation(chat) as conv:
                conv.save({"node": "q1"})
    finally:
        await store.close()
    result = await _helpline(backend, "purge")
    assert result.exit_code == 0, result.stderr
    assert "purged 2 conversation(s), 0 case(s)" in result.stdout
    assert "shredded 2 data key(s)" in result.stdout

    store = await backend.open()
    try:
        await store.keep_case(3, {"q": "a"}, "en", "keep-v1")
    finally:
        await store.close()
    result = await _helpline(backend, "keys", "generate")
    assert result.exit_code == 0, result.stderr
    new_key = result.stdout.strip()
    assert re.fullmatch(r"v2:[A-Za-z0-9+/]{43}=", new_key)
    assert "helpline keys rotate" in result.stderr
    result = await _helpline(
        backend, "keys", "rotate", HELPLINE_MASTER_KEY=f"{new_key},{MASTER_V1}"
    )
    assert result.exit_code == 0, result.stderr
    assert "re-wrapped 1 data key(s) under master key v2" in result.stdout
    assert "remove those from the configuration" in result.stdout
    result = await _helpline(backend, "purge", HELPLINE_MASTER_KEY=new_key)
    assert result.exit_code == 0, result.stderr


async def test_errors_are_one_line_without_traceback(backend: Backend) -> None:
    store = await backend.open()
    await store.keep_case(3, {"q": "a"}, "en", "keep-v1")
    await store.close()
    wrong = "v1:" + base64.b64encode(bytes(range(100, 132))).decode()
    result = await _helpline(backend, "purge", HELPLINE_MASTER_KEY=wrong)
    assert result.exit_code != 0
    assert result.stderr.startswith("helpline: the master key v1 is not the key")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert wrong[3:] not in result.stderr  # the key itself is never echoed

    result = await _helpline(backend, "purge", HELPLINE_DATABASE_URL="mysql://root@db/x")
    assert result.exit_code != 0
    assert "unsupported database (mysql)" in result.stderr
    assert "root@db" not in result.stderr  # a URL may carry a password: never repeated


def test_generate_pseudonym_key() -> None:
    result = CliRunner().invoke(main, ["keys", "generate", "--pseudonym"])
    assert result.exit_code == 0
    assert len(result.stdout.strip()) >= 43
    assert "HELPLINE_PSEUDONYM_KEY_FILE" in result.stderr
