"""The staff side of the store: a case's handoff, its transcript and notes, topics, names."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.store import Store

from .conftest import T0, Backend

CHAT, OTHER = 6102938475, 6102938476
STAFF_A, STAFF_B = "a" * 64, "b" * 64


async def _open(store: Store, chat: int, thread: int) -> str:
    ref = await store.keep_case(chat, {"q": "a"}, "en", "keep-v1")
    case = await store.open_handoff(ref.code, thread, {"q": "a", "note": "hello"})
    assert case is not None and case.status == "open" and case.thread_id == thread
    return ref.code


async def test_a_handoff_from_open_to_claimed_to_closed(backend: Backend, store: Store) -> None:
    clock = backend.clock
    code = await _open(store, CHAT, 501)
    case = await store.case_of_chat(CHAT)
    assert case is not None and case.code == code and case.opened_at == T0
    assert (await store.load_case(CHAT)) is not None
    assert (await store.load_case(CHAT)).answers["note"] == "hello"  # type: ignore[union-attr]
    clock.advance(minutes=5)
    won = await store.claim(code, STAFF_A)
    assert won is not None and won.claimed_by == STAFF_A and won.claimed_at == T0 + _m(5)
    assert await store.claim(code, STAFF_B) is None  # the first press wins
    assert (await store.stored(CHAT)).in_handoff
    closed = await store.close_handoff(code, STAFF_A, delete_topic_at=clock() + _m(60))
    assert closed is not None and closed.thread_id == 501
    assert await store.close_handoff(code, STAFF_B, delete_topic_at=clock()) is None  # once
    after = await store.handoff_case(code)
    assert after is not None and after.status == "closed" and after.closed_at == clock()
    assert not (await store.stored(CHAT)).in_handoff
    assert await store.claim(code, STAFF_B) is None  # a closed case cannot be claimed
    events = await backend.sql("SELECT event, actor FROM audit_event ORDER BY id")
    assert [e for e, _ in events] == ["case.kept", "handoff.opened", "handoff.claimed",
                                      "handoff.closed"]  # fmt: skip
    assert [a for _, a in events][2:] == [STAFF_A, STAFF_A]


async def test_open_cases_oldest_first_with_their_topics(backend: Backend, store: Store) -> None:
    first = await _open(store, CHAT, 601)
    backend.clock.advance(minutes=1)
    second = await _open(store, OTHER, 602)
    assert [c.code for c in await store.open_cases()] == [first, second]
    assert (await store.handoff_for_thread(602)).code == second  # type: ignore[union-attr]
    assert await store.move_thread(second, 603)
    assert await store.handoff_for_thread(602) is None
    assert await store.case_for_thread(603) == second


async def test_transcript_and_notes_are_encrypted_with_the_case_and_erased_with_it(
    backend: Backend, store: Store
) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    code = await _open(store, CHAT, 701)
    await store.append_transcript(code, "survivor", f"survivor says {canary}")
    await store.append_transcript(code, "staff", "staff answers <b>&</b>")
    await store.add_note(code, STAFF_A, f"note {canary}")
    assert [(e.who, e.text) for e in await store.transcript(code)] == [
        ("survivor", f"survivor says {canary}"), ("staff", "staff answers <b>&</b>")]  # fmt: skip
    assert [(e.who, e.text) for e in await store.notes(code)] == [(STAFF_A, f"note {canary}")]
    assert canary.encode() not in backend.raw_bytes()
    assert canary not in repr(await store.notes(code))
    await store.erase(CHAT, "delete")
    assert await store.notes(code) == [] and await store.transcript(code) == []
    assert await backend.count("data_key", keys=True) == 0


async def test_erasing_or_purging_a_case_schedules_its_topic_for_deletion_now(
    backend: Backend,
) -> None:
    clock = backend.clock
    store = await backend.open(retention_days=1)
    try:
        await _open(store, CHAT, 801)
        code = await _open(store, OTHER, 802)
        await store.close_handoff(code, STAFF_A, delete_topic_at=clock() + _m(60))
        assert await store.topics_due() == []
        await store.erase(CHAT, "exit")  # the survivor left: the topic goes at once
        assert await store.topics_due() == [801]
        await store.topic_deleted(801)
        assert await store.topics_due() == []
        assert await store.topics_due(clock() + _m(60)) == [802]
        clock.advance(days=2)  # the other case expires before its topic was due
        await store.schedule_topic_deletion(802, clock() + _m(60))  # later: keeps the earlier
        assert (await store.purge()).cases == 1
        assert await store.topics_due() == [802]
    finally:
        await store.close()


async def test_announcements_and_blocks_are_recorded_once(backend: Backend, store: Store) -> None:
    code = await _open(store, CHAT, 901)
    case = await store.handoff_case(code)
    assert case is not None and case.announced_at == T0
    backend.clock.advance(minutes=31)
    assert await store.mark_announced(code, case.announced_at)
    assert not await store.mark_announced(code, case.announced_at)  # another worker was first
    assert await store.mark_blocked(code)
    assert not await store.mark_blocked(code)
    assert await store.mark_blocked(code, blocked=False)
    assert (await store.handoff_case(code)).blocked_at is None  # type: ignore[union-attr]


async def test_staff_display_names_are_encrypted_and_can_be_forgotten(
    backend: Backend, store: Store
) -> None:
    name = f"Mei-{uuid.uuid4().hex}"
    assert await store.staff_name(STAFF_A) is None
    await store.set_staff_name(STAFF_A, "first choice")
    await store.set_staff_name(STAFF_A, name)
    assert await store.staff_name(STAFF_A) == name
    assert name.encode() not in backend.raw_bytes()
    assert await backend.count("data_key", keys=True) == 1  # the replaced name's key is gone
    await store.set_staff_name(STAFF_A, None)
    assert await store.staff_name(STAFF_A) is None
    assert await backend.count("data_key", keys=True) == 0


def _m(minutes: float) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)


BUDGET = 256 * 1024  # the documented cap on one encrypted transcript or notes field


async def _field_size(backend: Backend, column: str, code: str) -> int:
    rows = await backend.sql(f"SELECT length({column}) FROM kept_case WHERE code = :c", c=code)
    return int(rows[0][0])


async def test_a_long_transcript_keeps_its_newest_messages_within_the_budget(
    backend: Backend, store: Store
) -> None:
    code = await _open(store, CHAT, 901)
    long = "é" * 4000  # 8 kB each: 80 of them are more than the store may encrypt at once
    for i in range(80):
        await store.append_transcript(code, "survivor", f"{i:03d} {long}")
        if i % 20 == 19:
            assert await _field_size(backend, "transcript_enc", code) <= BUDGET
    await store.append_transcript(code, "staff", "still here")  # appending keeps working
    entries = await store.transcript(code)
    assert entries[-1].text == "still here"
    numbers = [int(e.text[:3]) for e in entries[:-1]]
    assert numbers == list(range(80 - len(numbers), 80))  # the oldest went, in order
    assert 25 <= len(numbers) < 80


async def test_long_notes_keep_their_newest_within_the_budget(
    backend: Backend, store: Store
) -> None:
    code = await _open(store, CHAT, 902)
    for i in range(80):
        await store.add_note(code, STAFF_A, f"{i:03d} " + "ü" * 4000)
    assert await _field_size(backend, "notes_enc", code) <= BUDGET
    notes = await store.notes(code)
    assert int(notes[-1].text[:3]) == 79 and 25 <= len(notes) < 80
    audit = await backend.sql("SELECT count(*) FROM audit_event WHERE event = 'staff.note'")
    assert audit[0][0] == 80


async def test_one_message_larger_than_the_budget_is_kept_shortened(
    backend: Backend, store: Store
) -> None:
    code = await _open(store, CHAT, 903)
    await store.append_transcript(code, "survivor", "first")
    await store.append_transcript(code, "survivor", '"\x01' * (BUDGET // 2))  # escapes grow
    assert await _field_size(backend, "transcript_enc", code) <= BUDGET
    entries = await store.transcript(code)
    assert len(entries) == 1 and entries[0].text.endswith(" […]")
    assert entries[0].text.startswith('"\x01"\x01')
    await store.append_transcript(code, "staff", "after")
    assert [e.text for e in await store.transcript(code)][-1] == "after"
