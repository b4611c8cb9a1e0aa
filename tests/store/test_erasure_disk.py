"""Erasure reaches the disk: after /delete and the bot's own maintenance, nobody holding the
key store's files (or superuser access to them) finds a wrapped data key of the erased chat.

On PostgreSQL a deleted row stays in the table's pages until the table is rewritten; the
purge round compacts the key store after any shredding (see README, "Erasure").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.store import Store

from .conftest import MASTER_V1, MASTER_V2, Backend, pg_dsn

CHAT = 6120934587
OTHER = 6120934588


async def _kept(store: Store, chat: int, text: str) -> None:
    async with store.conversation(chat) as conv:
        conv.save({"node": "q2", "answers": {"q1": text}})
    await store.track_messages(chat, [11, 12], store._clock())
    await store.keep_case(chat, {"q1": text}, "en", "keep-v1")


async def _wrapped(backend: Backend) -> dict[str, bytes]:
    rows = await backend.sql("SELECT id, wrapped FROM data_key", keys=True)
    return {str(kid): bytes(w) for kid, w in rows}


async def _key_store_on_disk(backend: Backend) -> bytes:
    """Every byte of the key store's files, as a superuser (or the disk's holder) reads them."""
    if backend.sqlite:
        return b"".join(f.read_bytes() for f in sorted((backend.tmp / "db").glob("keys.db*")))
    await backend.sql("CREATE EXTENSION IF NOT EXISTS pageinspect", keys=True)
    out = b""
    for table in ("data_key", "keystore_meta"):
        blocks = (await backend.sql(f"SELECT pg_relation_size('{table}') / 8192", keys=True))[0][0]
        for block in range(int(blocks)):
            out += bytes(
                (await backend.sql(f"SELECT get_raw_page('{table}', {block})", keys=True))[0][0]
            )
        # The whole file too, free space included (a superuser can read it without pageinspect).
        path = (await backend.sql(f"SELECT pg_relation_filepath('{table}')", keys=True))[0][0]
        raw = await backend.sql("SELECT pg_read_binary_file(:p, 0, 67108864, true)", keys=True,
                                p=path)  # fmt: skip
        out += bytes(raw[0][0] or b"")
    return out


@pytest.mark.parametrize("reason", ["exit", "delete"])
async def test_erased_keys_leave_no_copy_in_the_key_store_files(
    backend: Backend, reason: str
) -> None:
    store = await backend.open()
    try:
        await _kept(store, OTHER, "someone else's story")
        before = await _wrapped(backend)
        await _kept(store, CHAT, "what happened to me")
        mine = {k: w for k, w in (await _wrapped(backend)).items() if k not in before}
        assert len(mine) == 3  # working state, tracked messages, case
        tracked = {str(k) for (k,) in await backend.sql("SELECT key_id FROM tracked_message")}
        disk = await _key_store_on_disk(backend)
        assert all(w in disk for w in mine.values())  # the probe sees keys that are there
        old_file = None
        if not backend.sqlite:
            old_file = (await backend.sql("SELECT pg_relation_filepath('data_key')", keys=True))[
                0
            ][0]

        await store.erase(CHAT, reason)
        await store.purge()  # the maintenance the bot runs on its own schedule

        disk = await _key_store_on_disk(backend)
        left = [k for k, w in mine.items() if w in disk]
        if reason == "delete":  # /delete leaves quick exit the message ids, for 48 hours
            assert left == [k for k in mine if k in tracked]
        else:
            assert left == []
        # The other survivor's keys are still there and still unwrap.
        assert all(w in disk for w in before.values())
        assert await store.load_case(OTHER) is not None
        if old_file is not None:  # the file that held the dead rows is emptied, not kept
            raw = await backend.sql("SELECT pg_read_binary_file(:p, 0, 67108864, true)",
                                    keys=True, p=old_file)  # fmt: skip
            old = bytes(raw[0][0] or b"")
            assert [k for k, w in mine.items() if w in old] == []
        backend.clock.advance(hours=48, minutes=1)  # the message ids expire, their key goes
        await store.purge()
        disk = await _key_store_on_disk(backend)
        assert [k for k, w in mine.items() if w in disk] == []
    finally:
        await store.close()


async def test_rotation_leaves_no_copy_under_the_old_master_key(backend: Backend) -> None:
    store = await backend.open()
    try:
        await _kept(store, CHAT, "what happened to me")
        old = await _wrapped(backend)
    finally:
        await store.close()
    store = await backend.open(master_key=f"{MASTER_V1},{MASTER_V2}")
    try:
        report = await store.rotate_keys()
        assert report.rewrapped == 3
        await store.purge()
        disk = await _key_store_on_disk(backend)
        assert [k for k, w in old.items() if w in disk] == []
        assert await store.load_case(CHAT) is not None
    finally:
        await store.close()


async def test_a_busy_key_table_postpones_compaction_to_the_next_round(backend: Backend) -> None:
    store = await backend.open()
    try:
        await _kept(store, CHAT, "what happened to me")
        mine = await _wrapped(backend)
        await store.erase(CHAT, "exit")
        if not backend.sqlite:  # someone holds the key table: compaction must not wait long
            reader = await asyncpg.connect(pg_dsn(backend.pg_dbs[1]))
            try:
                tx = reader.transaction()
                await tx.start()
                await reader.fetch("SELECT count(*) FROM data_key")
                report = await store.purge()  # gives up after the lock timeout, no error
                assert report.conversations == 0
                await tx.rollback()
            finally:
                await reader.close()
            disk = await _key_store_on_disk(backend)
            assert all(w in disk for w in mine.values())  # not yet
        await store.purge()  # the next round
        disk = await _key_store_on_disk(backend)
        assert [k for k, w in mine.items() if w in disk] == []
    finally:
        await store.close()


async def _wal(backend: Backend) -> bytes:
    """Every WAL segment file the server keeps, as a superuser reads them."""
    names = await backend.sql("SELECT name FROM pg_ls_waldir() ORDER BY name", keys=True)
    out = b""
    for (name,) in names:
        raw = await backend.sql("SELECT pg_read_binary_file(:p, 0, 67108864, true)", keys=True,
                                p=f"pg_wal/{name}")  # fmt: skip
        out += bytes(raw[0][0] or b"")
    return out


@pytest.fixture
async def wal_not_recycled(backend: Backend) -> AsyncIterator[None]:
    """The server setting README's checklist asks for: old WAL segments deleted, not reused."""
    before = (await backend.sql("SHOW wal_recycle", keys=True))[0][0]
    admin = await asyncpg.connect(pg_dsn(backend.pg_dbs[1]))
    try:
        if before != "off":
            await admin.execute("ALTER SYSTEM SET wal_recycle = off")
            await admin.execute("SELECT pg_reload_conf()")
        yield
    finally:
        if before != "off":
            await admin.execute("ALTER SYSTEM RESET wal_recycle")
            await admin.execute("SELECT pg_reload_conf()")
        await admin.close()


@pytest.mark.postgres  # SQLite's WAL is checkpointed and truncated: the first test covers it
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.usefixtures("wal_not_recycled")
async def test_erased_keys_leave_no_copy_in_the_wal(backend: Backend) -> None:
    for _ in range(50):  # the reload reaches the checkpointer within moments
        if (await backend.sql("SHOW wal_recycle", keys=True))[0][0] == "off":
            break
        await asyncio.sleep(0.1)
    store = await backend.open()
    try:
        await _kept(store, OTHER, "someone else's story")
        before = await _wrapped(backend)
        await _kept(store, CHAT, "what happened to me")
        mine = {k: w for k, w in (await _wrapped(backend)).items() if k not in before}
        wal = await _wal(backend)
        assert any(w in wal for w in mine.values())  # the probe sees keys in the WAL

        await store.erase(CHAT, "exit")
        await store.purge()  # compaction, then a WAL switch and a checkpoint

        wal = await _wal(backend)
        assert [k for k, w in mine.items() if w in wal] == []
        assert await store.load_case(OTHER) is not None
    finally:
        await store.close()


async def test_purged_transcripts_leave_no_readable_copy_while_the_case_lives_on(
    backend: Backend,
) -> None:
    """Transcript and notes go a set time after the handoff closes, while the kept answers
    stay: their own key is shredded, so a backup (or a dead row, or the WAL) taken while
    they existed no longer opens them, and the key store's files keep no copy of that key."""
    store = await backend.open(transcript_retention_days=7)
    try:
        ref = await store.keep_case(CHAT, {"q1": "what happened to me"}, "en", "keep-v1")
        await store.open_handoff(ref.code, 901, {"q1": "what happened to me"})
        await store.append_transcript(ref.code, "survivor", "he has my photos")
        await store.add_note(ref.code, "s" * 64, "call back on Friday")
        [(case_key, entries_key)] = await backend.sql(
            "SELECT key_id, entries_key_id FROM kept_case"
        )
        assert entries_key is not None and entries_key != case_key
        entries_wrapped = (await _wrapped(backend))[entries_key]
        backup = await backend.copy_main("before_purge")
        await store.close_handoff(ref.code, "s" * 64, delete_topic_at=None)

        backend.clock.advance(days=7, minutes=1)
        assert (await store.purge()).transcripts == 1  # the bot's own round (README)

        assert await store.transcript(ref.code) == [] and await store.notes(ref.code) == []
        assert await store.load_case(CHAT) is not None  # the kept answers live on
        assert entries_wrapped not in await _key_store_on_disk(backend)
    finally:
        await store.close()
    copy = await backend.open(database_url=backup)  # the old backup, today's keys
    try:
        assert await copy.transcript(ref.code) == [] and await copy.notes(ref.code) == []
        found = await copy.load_case(CHAT)
        assert found is not None and found.answers == {"q1": "what happened to me"}
    finally:
        await copy.close()
