"""Code words of kept cases at rest: a slow salted hash, sealed with the case; wrong tries
lock the case for a while, across restarts and workers; erasing the case takes it along."""

from __future__ import annotations

import datetime as dt
import time

from bot.store import Store
from bot.store.codeword import derive, verify

from .conftest import Backend

CHAT = 6120458833


def test_the_hash_forgives_capitals_and_spaces_but_nothing_else() -> None:
    record = derive("Blue Heron")
    assert verify("blue heron", record) and verify("  BLUE HERON ", record)
    assert not verify("blue herons", record) and not verify("blueheron", record)
    assert derive("Blue Heron") != record  # a fresh salt every time
    assert not verify("Blue Heron", record[:-1]) and not verify("Blue Heron", b"")


def test_one_hash_is_slow_enough_to_hurt_guessing_and_quick_enough_to_wait_for() -> None:
    best = min(_timed(derive, "word") for _ in range(3))
    assert 0.02 < best < 2.0, best  # ~60-100 ms on an idle core (scrypt n=2^15, r=8)


def _timed(fn: object, word: str) -> float:
    assert callable(fn)
    started = time.perf_counter()
    fn(word)
    return time.perf_counter() - started


async def _kept(store: Store) -> None:
    await store.keep_case(CHAT, {"country": "uk"}, "en", "keep-v1")


async def test_a_code_word_is_sealed_with_the_case_and_shows_in_stored(
    backend: Backend, store: Store
) -> None:
    assert not await store.set_code_word(CHAT, derive("heron"))  # no case: nothing to guard
    await _kept(store)
    assert not (await store.stored(CHAT)).code_word
    record = derive("heron")
    assert await store.set_code_word(CHAT, record)
    stored = await store.stored(CHAT)
    assert stored.code_word and stored.locked_for is None
    found, locked = await store.code_word(CHAT)
    assert found == record and locked is None
    assert record[4:] not in backend.raw_bytes()  # salt and hash only as ciphertext


async def test_wrong_tries_lock_the_case_and_the_lock_outlives_a_restart(
    backend: Backend, store: Store
) -> None:
    await _kept(store)
    await store.set_code_word(CHAT, derive("heron"))
    lefts = [(await store.code_word_tried(CHAT, False)).tries_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    fifth = await store.code_word_tried(CHAT, False)
    assert not fifth.ok and fifth.locked_for == dt.timedelta(minutes=15)
    await store.close()
    again = await backend.open()  # another worker, or after a restart
    try:
        backend.clock.advance(minutes=5)
        assert (await again.stored(CHAT)).locked_for == dt.timedelta(minutes=10)
        right = await again.code_word_tried(CHAT, True)  # the lock wins over a right word
        assert not right.ok and right.locked_for == dt.timedelta(minutes=10)
        backend.clock.advance(minutes=10)
        assert (await again.stored(CHAT)).locked_for is None
        assert (await again.code_word_tried(CHAT, False)).tries_left == 4  # a fresh count
        assert (await again.code_word_tried(CHAT, True)).ok
        assert (await again.code_word_tried(CHAT, False)).tries_left == 4  # right resets it
        events = await backend.sql("SELECT event FROM audit_event ORDER BY id")
        assert [e for (e,) in events].count("case.codeword_locked") == 1
    finally:
        await again.close()


async def test_the_tries_and_lock_are_settings(backend: Backend) -> None:
    store = await backend.open(codeword_tries=2, codeword_lock_minutes=60)
    try:
        await _kept(store)
        await store.set_code_word(CHAT, derive("heron"))
        assert (await store.code_word_tried(CHAT, False)).tries_left == 1
        assert (await store.code_word_tried(CHAT, False)).locked_for == dt.timedelta(hours=1)
    finally:
        await store.close()


async def test_delete_erases_the_code_word_with_the_case(backend: Backend, store: Store) -> None:
    await _kept(store)
    await store.set_code_word(CHAT, derive("heron"))
    for _ in range(5):
        await store.code_word_tried(CHAT, False)
    assert (await store.stored(CHAT)).locked_for is not None
    await store.erase(CHAT, "delete")  # locked or not
    assert await store.code_word(CHAT) == (None, None)
    stored = await store.stored(CHAT)
    assert not stored.code_word and stored.case_expires is None


async def test_the_case_key_opens_a_hash_never_the_word(backend: Backend, store: Store) -> None:
    """Checklist CR-9: whoever holds the case's data key (and so the master key) gets the
    salted scrypt hash, which only a guess can be checked against."""
    from bot.store.crypto import aad, unseal

    await _kept(store)
    await store.set_code_word(CHAT, derive("Blue Heron"))
    ((code, key_id, sealed),) = await backend.sql(
        "SELECT code, key_id, codeword_enc FROM kept_case"
    )
    opened = unseal(
        await store._keys.get(key_id), bytes(sealed), aad("kept_case", code, "codeword_enc")
    )
    assert b"heron" not in opened.lower() and "heron".encode("utf-16-le") not in opened
    assert verify("blue heron", opened) and not verify("grey heron", opened)


async def test_each_lock_in_a_row_lasts_longer_so_guessing_outlasts_the_case(
    backend: Backend, store: Store
) -> None:
    """Five tries per lock forever would let someone who holds the phone try every 4-digit
    code within the case's 30 days; locks that double (up to a day) leave them a few hundred."""
    await _kept(store)
    await store.set_code_word(CHAT, derive("heron"))
    waits = []
    for _ in range(4):
        for _ in range(5):
            result = await store.code_word_tried(CHAT, False)
        assert result.locked_for is not None
        waits.append(result.locked_for)
        backend.clock.advance(seconds=result.locked_for.total_seconds())
    assert waits == [dt.timedelta(minutes=m) for m in (15, 30, 60, 120)]
    assert (await store.code_word_tried(CHAT, True)).ok  # the right word: back to 15 minutes
    for _ in range(5):
        result = await store.code_word_tried(CHAT, False)
    assert result.locked_for == dt.timedelta(minutes=15)

    backend.clock.advance(minutes=15)
    tries, start = 0, backend.clock.now
    while backend.clock.now < start + dt.timedelta(days=30):
        result = await store.code_word_tried(CHAT, False)
        tries += 1
        if result.locked_for is not None:
            backend.clock.advance(seconds=result.locked_for.total_seconds())
    assert result.locked_for is None or result.locked_for <= dt.timedelta(days=1)
    assert tries < 200, tries  # not the 2,880 of a fixed 15-minute lock
