"""/delete and /exit: everything about the survivor goes, backups included (crypto-shredding)."""

from __future__ import annotations

from bot.store import Store

from .conftest import Backend

CHAT = 6120934587
OTHER = 6120934588


async def _kept(store: Store, chat: int, text: str) -> str:
    async with store.conversation(chat) as conv:
        conv.save({"node": "q2", "answers": {"q1": text}})
    await store.track_messages(chat, [11, 12], store._clock())
    return (await store.keep_case(chat, {"q1": text}, "en", "keep-v1")).code


async def test_backup_taken_before_erasure_is_unreadable_after_it(backend: Backend) -> None:
    store = await backend.open()
    try:
        code = await _kept(store, CHAT, "what happened to me")
        await _kept(store, OTHER, "someone else's story")
        backup_url = await backend.copy_main("backup")

        # The backup really holds the case: readable with the current keys before erasure.
        copy = await backend.open(database_url=backup_url)
        try:
            found = await copy.load_case(CHAT)
            assert found is not None
            assert found.answers == {"q1": "what happened to me"}
            assert await copy.chat_for_case(code) == CHAT
        finally:
            await copy.close()

        await store.erase(CHAT, "delete")
        assert await store.load_case(CHAT) is None
        # Only the message numbers stay, so a later /exit can still clear the chat.
        assert [m.message_id for m in await store.take_messages(CHAT)] == [11, 12]
        stored = await store.stored(CHAT)
        assert (stored.working_expires, stored.case_expires) == (None, None)
        # The other survivor is untouched.
        other = await store.load_case(OTHER)
        assert other is not None
        assert other.answers == {"q1": "someone else's story"}
    finally:
        await store.close()

    # Same backup, same master key, current key store: the erased case cannot be read.
    copy = await backend.open(database_url=backup_url)
    try:
        assert await copy.chat_for_case(code) is None
        assert await copy.load_case(CHAT) is None
        async with copy.conversation(CHAT) as conv:
            assert conv.state is None
            assert conv.reset  # the ciphertext is there, its key is gone
        assert await copy.take_messages(CHAT) == []
        assert await copy.load_case(OTHER) is not None
    finally:
        await copy.close()


async def test_erasure_deletes_the_keys_and_leaves_no_pseudonym(backend: Backend) -> None:
    store = await backend.open()
    try:
        await _kept(store, CHAT, "text")
        keys_before = await backend.count("data_key", keys=True)
        assert keys_before == 3  # working state, tracked messages, case: one key each
        subject = store._pseudonyms.chat(CHAT)
        assert subject.encode() in backend.raw_bytes()
        await store.erase(CHAT, "exit")
        assert await backend.count("data_key", keys=True) == 0
        assert await backend.count("key_shred") == 0
        for table in ("conversation", "tracked_message", "kept_case"):
            assert await backend.count(table) == 0
        # Not even the pseudonym of who wrote is left in the files (or the dump).
        assert subject.encode() not in backend.raw_bytes()
    finally:
        await store.close()


async def test_quick_exit_returns_each_message_once(backend: Backend, store: Store) -> None:
    clock = backend.clock
    await store.track_messages(CHAT, [1, 2], clock())
    clock.advance(hours=30)
    await store.track_messages(CHAT, [3], clock())
    clock.advance(hours=20)  # message 1 and 2 are now 50 h old: Telegram refuses to delete them
    taken = await store.take_messages(CHAT)
    assert [m.message_id for m in taken] == [3]
    assert await store.take_messages(CHAT) == []
    assert await backend.count("data_key", keys=True) == 0
