"""Tampering is detected and contained; each update is applied once; one chat, one writer."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import Store

from .conftest import Backend

A, B, C, D = 8001, 8002, 8003, 8004


async def _save(store: Store, chat: int, state: dict[str, object]) -> None:
    async with store.conversation(chat) as conv:
        conv.save(state)


async def _state(store: Store, chat: int) -> tuple[dict[str, object] | None, bool]:
    async with store.conversation(chat) as conv:
        return conv.state, conv.reset


async def test_tampered_state_restarts_only_that_conversation(
    backend: Backend, store: Store
) -> None:
    for chat in (A, B, C, D):
        await _save(store, chat, {"node": f"node-{chat}"})
    p = {chat: store._pseudonyms.chat(chat) for chat in (A, B, C, D)}

    # B gets A's ciphertext *and* A's key id: only the row binding (AAD) can tell.
    await backend.sql(
        "UPDATE conversation SET state_enc = (SELECT state_enc FROM conversation WHERE "
        "subject = :a), key_id = (SELECT key_id FROM conversation WHERE subject = :a) "
        "WHERE subject = :b",
        a=p[A], b=p[B],
    )  # fmt: skip
    # C gets one flipped byte in the middle of its ciphertext.
    (blob,) = (await backend.sql("SELECT state_enc FROM conversation WHERE subject = :c", c=p[C]))[
        0
    ]
    flipped = bytearray(blob)
    flipped[len(flipped) // 2] ^= 0x01
    await backend.sql(
        "UPDATE conversation SET state_enc = :s WHERE subject = :c", s=bytes(flipped), c=p[C]
    )

    assert await _state(store, B) == (None, True)
    assert await _state(store, C) == (None, True)
    assert await _state(store, A) == ({"node": f"node-{A}"}, False)
    assert await _state(store, D) == ({"node": f"node-{D}"}, False)
    # The unreadable rows were discarded, so the next visit is a plain fresh start...
    assert await _state(store, B) == (None, False)
    # ...and a restarted conversation works normally again.
    await _save(store, C, {"node": "start"})
    assert await _state(store, C) == ({"node": "start"}, False)


async def test_case_field_moved_to_another_column_is_refused(
    backend: Backend, store: Store
) -> None:
    ref = await store.keep_case(A, {"q": "answer"}, "en", "keep-v1")
    await store.keep_case(B, {"q": "other"}, "en", "keep-v1")
    # Same row, same key: only the column binding (AAD) can tell.
    await backend.sql("UPDATE kept_case SET lang_enc = answers_enc WHERE code = :c", c=ref.code)
    assert await store.load_case(A) is None
    assert (await store.stored(A)).case_expires is None  # the unreadable case was discarded
    case_b = await store.load_case(B)
    assert case_b is not None
    assert case_b.answers == {"q": "other"}


async def test_duplicate_update_is_applied_once(backend: Backend, store: Store) -> None:
    async with store.conversation(A, update_id=100) as conv:
        assert not conv.duplicate
        conv.save({"count": 1})
    async with store.conversation(A, update_id=100) as conv:  # Telegram delivers it again
        assert conv.duplicate
        assert conv.state is None
        conv.save({"count": 2})  # a careless caller: still ignored
    async with store.conversation(A, update_id=101) as conv:
        assert not conv.duplicate
        assert conv.state == {"count": 1}


async def test_failed_step_records_nothing_so_the_retry_applies(store: Store) -> None:
    async def crashing_step() -> None:
        async with store.conversation(A, update_id=200) as conv:
            conv.save({"count": 1})
            raise RuntimeError("the handler crashed")

    with pytest.raises(RuntimeError):
        await crashing_step()
    async with store.conversation(A, update_id=200) as conv:
        assert not conv.duplicate  # not marked, since the step did not happen
        assert conv.state is None
        conv.save({"count": 1})
    async with store.conversation(A, update_id=200) as conv:
        assert conv.duplicate


async def test_forget_drops_working_state(backend: Backend, store: Store) -> None:
    await _save(store, A, {"node": "q1"})
    async with store.conversation(A) as conv:
        conv.forget()
    assert await _state(store, A) == (None, False)
    assert await backend.count("conversation") == 0
    assert await backend.count("data_key", keys=True) == 0


async def test_one_chat_is_serialised_across_workers(backend: Backend) -> None:
    """Two workers (own engines, own connections) race on one chat: no step is lost."""
    workers = [await backend.open(), await backend.open()]
    steps = 8

    async def worker(store: Store, first_update: int) -> None:
        for n in range(steps):
            async with store.conversation(A, update_id=first_update + n) as conv:
                count = int((conv.state or {}).get("count", 0))
                await asyncio.sleep(0.002)  # widen the window a lost update would need
                conv.save({"count": count + 1})

    try:
        await asyncio.gather(worker(workers[0], 1000), worker(workers[1], 2000))
        assert await _state(workers[0], A) == ({"count": 2 * steps}, False)
    finally:
        for w in workers:
            await w.close()
