"""Keys: refuse to start on a wrong or missing key, never overwrite one, rotate without loss."""

from __future__ import annotations

import base64
import logging
import os
import stat

import pytest

from bot.store import StoreConfigError

from .conftest import MASTER_V1, MASTER_V2, Backend

CHATS = [9100 + n for n in range(5)]


async def _fill(backend: Backend, **overrides: object) -> None:
    store = await backend.open(**overrides)
    try:
        for chat in CHATS:
            async with store.conversation(chat) as conv:
                conv.save({"node": f"n{chat}"})
            await store.keep_case(chat, {"q": f"a{chat}"}, "en", "keep-v1")
    finally:
        await store.close()


async def _readable(backend: Backend, **overrides: object) -> list[int]:
    """Chats whose case and working state both read back intact."""
    store = await backend.open(**overrides)
    ok = []
    try:
        for chat in CHATS:
            case = await store.load_case(chat)
            async with store.conversation(chat) as conv:
                if (
                    case
                    and case.answers == {"q": f"a{chat}"}
                    and conv.state == {"node": f"n{chat}"}
                ):
                    ok.append(chat)
    finally:
        await store.close()
    return ok


async def test_wrong_master_key_refuses_to_start(backend: Backend) -> None:
    await _fill(backend)
    wrong = "v1:" + base64.b64encode(bytes(range(32))).decode()
    with pytest.raises(StoreConfigError, match="master key v1 is not the key this data was"):
        await backend.open(master_key=wrong)
    with pytest.raises(StoreConfigError, match="needs master key v1, which is not configured"):
        await backend.open(master_key=MASTER_V2)
    # Nothing was damaged by the refused starts.
    assert await _readable(backend) == CHATS


async def test_missing_key_never_creates_a_new_one_over_data(backend: Backend) -> None:
    await _fill(backend)
    data_dir = backend.tmp / "data"
    with pytest.raises(StoreConfigError, match="no master key is configured but stored data"):
        await backend.open(master_key=None)
    assert not (data_dir / "master.key").exists()
    with pytest.raises(StoreConfigError, match="pseudonym key is not the one"):
        await backend.open(pseudonym_key="another-pseudonym-key-0123456789abcdef")
    with pytest.raises(StoreConfigError, match="no pseudonym key is configured but stored"):
        await backend.open(pseudonym_key=None)
    assert not (data_dir / "pseudonym.key").exists()


async def test_embedded_default_keys(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    data_dir = backend.tmp / "data"
    no_keys = {"master_key": None, "pseudonym_key": None}
    await _fill(backend, **no_keys)
    for name in ("master.key", "pseudonym.key"):
        mode = stat.S_IMODE((data_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {mode:o}"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "production should pass" in warnings[0].getMessage()
    master = (data_dir / "master.key").read_text()
    # The next start reuses the same files: everything still reads back.
    assert await _readable(backend, **no_keys) == CHATS
    assert (data_dir / "master.key").read_text() == master

    os.chmod(data_dir / "master.key", 0o644)
    with pytest.raises(StoreConfigError, match=r"can be read by other users.*chmod 600"):
        await backend.open(**no_keys)


async def test_key_file_with_loose_permissions_is_refused(backend: Backend) -> None:
    key_file = backend.tmp / "master.key"
    key_file.write_text(MASTER_V1 + "\n")
    os.chmod(key_file, 0o640)
    with pytest.raises(StoreConfigError, match="can be read by other users"):
        await backend.open(master_key=None, master_key_file=key_file)
    os.chmod(key_file, 0o600)
    await _fill(backend, master_key=None, master_key_file=key_file)
    assert await _readable(backend) == CHATS  # the same key, given inline this time


async def test_rotation_keeps_every_case_readable_and_retires_the_old_key(
    backend: Backend,
) -> None:
    await _fill(backend)
    both = f"{MASTER_V2},{MASTER_V1}"
    sealed = "SELECT code, chat_enc, answers_enc, lang_enc FROM kept_case ORDER BY code"
    cases_before = await backend.sql(sealed)

    # Interrupted half-way: a mix of versions, all still readable with both keys.
    store = await backend.open(master_key=both)
    try:
        partial = await store.rotate_keys(batch=3, max_batches=1)
        assert partial.rewrapped == 3
        assert partial.remaining == {1: 7}
    finally:
        await store.close()
    assert await _readable(backend, master_key=both) == CHATS

    # Resumed: finishes the rest, and says nothing needs v1 any more.
    store = await backend.open(master_key=both)
    try:
        done = await store.rotate_keys()
        assert (done.rewrapped, done.newest, done.remaining) == (7, 2, {})
    finally:
        await store.close()

    # v1 removed from the configuration: everything is still readable...
    assert await _readable(backend, master_key=MASTER_V2) == CHATS
    # ...and the case rows themselves were never rewritten, only the wrapped keys.
    assert await backend.sql(sealed) == cases_before
    rows = await backend.sql("SELECT kek_version, count(*) FROM data_key GROUP BY kek_version",
                             keys=True)  # fmt: skip
    assert [tuple(r) for r in rows] == [(2, 10)]
    # The retired key alone opens nothing.
    with pytest.raises(StoreConfigError, match="needs master key v2"):
        await backend.open(master_key=MASTER_V1)
