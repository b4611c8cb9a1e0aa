"""Retention: working state lapses after the idle time, cases after retention_days, exactly."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from bot.store import PurgeReport, Store

from .conftest import T0, Backend

EARLY, LATE, CASE_EARLY, CASE_LATE = 7001, 7002, 7003, 7004


async def _save(store: Store, chat: int, update_id: int) -> None:
    async with store.conversation(chat, update_id=update_id) as conv:
        conv.save({"node": "q1"})


async def test_purge_removes_exactly_what_expired(backend: Backend) -> None:
    clock = backend.clock
    store = await backend.open(idle_hours=24, retention_days=30)
    try:
        await _save(store, EARLY, 1)  # T0
        await store.keep_case(CASE_EARLY, {"q": "a"}, "en", "keep-v1")  # T0
        await store.track_messages(EARLY, [1], clock())
        clock.advance(hours=20)
        await _save(store, LATE, 2)  # T0+20h
        clock.advance(days=10)
        await store.keep_case(CASE_LATE, {"q": "b"}, "en", "keep-v1")  # T0+10d20h

        # Nothing has expired a second before the first deadline.
        assert await store.purge(T0 + _h(24) - _s(1)) == PurgeReport()
        # Reading an expired conversation before any purge: a fresh start, not an error.
        clock.now = T0 + _h(24)
        async with store.conversation(EARLY) as conv:
            assert (conv.state, conv.reset) == (None, False)
        await _save(store, EARLY, 3)  # the survivor came back: a new conversation
        at_44h = await store.purge(T0 + _h(44))
        assert at_44h.conversations == 1  # LATE went idle at +44h
        assert at_44h.updates == 1  # update 1 (T0) is past Telegram's redelivery window
        assert await backend.count("conversation") == 1  # EARLY's new one remains

        report = await store.purge(T0 + _h(24 * 30))
        assert report.cases == 1  # CASE_EARLY, kept at T0
        assert report.conversations == 1  # EARLY's second conversation
        assert report.tracked == 1  # its messages are older than Telegram's 48 h anyway
        assert report.updates == 2  # update-id markers are only needed for a day or so
        assert await store.load_case(CASE_LATE) is not None
        assert await backend.count("kept_case") == 1
        audit = await backend.sql("SELECT count(*) FROM audit_event WHERE event = 'case.purged'")
        assert audit[0][0] == 1

        # Purging again changes nothing (a cron job may run twice).
        assert await store.purge(T0 + _h(24 * 30)) == PurgeReport()
        later = await store.purge(T0 + _h(24 * 41))
        assert later == PurgeReport(cases=1, keys=1)
        for table in ("conversation", "kept_case", "tracked_message", "processed_update"):
            assert await backend.count(table) == 0, table
        assert await backend.count("data_key", keys=True) == 0  # every key shredded
    finally:
        await store.close()


async def test_mydata_reports_deadlines(backend: Backend) -> None:
    store = await backend.open(idle_hours=6, retention_days=7)
    try:
        await _save(store, EARLY, 1)
        ref = await store.keep_case(EARLY, {"q": "a"}, "en", "keep-v1")
        stored = await store.stored(EARLY)
        assert stored.working_expires == T0 + _h(6)
        assert stored.case_expires == ref.expires_at == T0 + _h(24 * 7)
        assert not stored.in_handoff
        assert await store.set_handoff(ref.code, "open", thread_id=77)
        assert (await store.stored(EARLY)).in_handoff
        assert await store.case_for_thread(77) == ref.code
        backend.clock.advance(hours=7)
        stored = await store.stored(EARLY)
        assert stored.working_expires is None
        assert stored.case_expires is not None
    finally:
        await store.close()


def _h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


def _s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


async def test_running_bot_purges_on_its_own(backend: Backend) -> None:
    store = await backend.open(idle_hours=1)
    try:
        await _save(store, EARLY, 1)  # saved at T0 (the test clock): long expired by now
        backend.clock.now = dt.datetime.now(dt.UTC)
        task = asyncio.create_task(store.purge_forever())
        for _ in range(100):
            if await backend.count("conversation") == 0:
                break
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await backend.count("conversation") == 0
    finally:
        await store.close()


async def _at_rest(backend: Backend, query: str) -> dt.datetime:
    value = (await backend.sql(query))[0][0]
    found = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


async def test_times_at_rest_do_not_link_a_chat_to_its_update(backend: Backend) -> None:
    clock = backend.clock
    store = await backend.open(idle_hours=24)
    try:
        clock.now = T0 + dt.timedelta(minutes=17, seconds=23, microseconds=500)
        await _save(store, EARLY, 4242)
        seen = await _at_rest(backend, "SELECT seen_at FROM processed_update")
        expires = await _at_rest(backend, "SELECT expires_at FROM conversation")
        assert seen == T0  # only the hour the update came in
        assert expires == T0 + _h(24) + dt.timedelta(minutes=18)  # to the minute, not earlier
        assert expires - _h(24) != seen
        ref = await store.keep_case(EARLY, {"q": "a"}, "en", "keep-v1")
        kept = await _at_rest(backend, "SELECT kept_at FROM kept_case")
        assert kept == T0 + dt.timedelta(minutes=17)
        assert ref.expires_at == T0 + _h(24 * 30) + dt.timedelta(minutes=18)
        # The survivor's working state still lives its full idle time.
        clock.now = T0 + _h(24) + dt.timedelta(minutes=17, seconds=30)
        assert (await store.stored(EARLY)).working_expires is not None
    finally:
        await store.close()


async def test_update_ids_are_kept_only_while_telegram_may_resend_them(
    backend: Backend,
) -> None:
    clock = backend.clock
    store = await backend.open(idle_hours=24)
    try:
        clock.now = T0 + dt.timedelta(minutes=59)
        await _save(store, EARLY, 4242)
        # Telegram may redeliver for 24 hours: until then the update id is kept and recognised.
        clock.now = T0 + dt.timedelta(hours=24, minutes=59)
        assert (await store.purge()).updates == 0
        async with store.conversation(EARLY, update_id=4242) as conv:
            assert conv.duplicate
        # After the window (and the hour seen_at was rounded down) it is purged.
        assert (await store.purge(T0 + _h(26))).updates == 1
        assert await backend.count("processed_update") == 0
    finally:
        await store.close()


async def test_audit_rows_are_purged_after_the_audit_retention(backend: Backend) -> None:
    clock = backend.clock
    store = await backend.open()  # audit_retention_days: 180 by default
    try:
        await store.audit("case.viewed", actor="staff-a", subject="ABCD-EFGH")  # T0
        clock.advance(days=100)
        await store.audit("case.viewed", actor="staff-b", subject="ABCD-EFGH")  # T0+100d
        assert (await store.purge(T0 + _h(24 * 180) - _s(1))).audit == 0
        assert (await store.purge(T0 + _h(24 * 180) + _s(1))).audit == 1
        rows = await backend.sql("SELECT actor FROM audit_event")
        assert [r[0] for r in rows] == ["staff-b"]
        assert (await store.purge(T0 + _h(24 * 281))).audit == 1
        assert await backend.count("audit_event") == 0
    finally:
        await store.close()


async def test_audit_retention_is_a_setting(backend: Backend) -> None:
    store = await backend.open(audit_retention_days=7)
    try:
        for n in range(3):
            await store.audit("case.viewed", subject=f"CASE-{n}")
        backend.clock.advance(days=7, seconds=1)
        await store.audit("case.viewed", subject="CASE-new")
        assert (await store.purge()).audit == 3
        rows = await backend.sql("SELECT subject FROM audit_event")
        assert [r[0] for r in rows] == ["CASE-new"]
    finally:
        await store.close()


async def test_transcripts_and_notes_go_a_set_time_after_the_handoff_closes(
    backend: Backend,
) -> None:
    clock = backend.clock
    store = await backend.open(transcript_retention_days=7, retention_days=30)
    staff = "s" * 64
    try:
        codes = []
        for chat, thread in ((CASE_EARLY, 801), (CASE_LATE, 802)):
            ref = await store.keep_case(chat, {"q": "a"}, "en", "keep-v1")
            await store.open_handoff(ref.code, thread, {"q": "a"})
            await store.append_transcript(ref.code, "survivor", "he has my photos")
            await store.append_transcript(ref.code, "staff", "we can help you report them")
            await store.add_note(ref.code, staff, "follow up on Friday")
            codes.append(ref.code)
        closed, still_open = codes
        clock.advance(days=1)
        await store.close_handoff(closed, staff, delete_topic_at=None)  # T0+1d
        assert (await store.purge(T0 + _h(24 * 8) - _s(1))).transcripts == 0
        assert len(await store.transcript(closed)) == 2
        report = await store.purge(T0 + _h(24 * 8))
        assert report.transcripts == 1 and report.cases == 0
        assert await store.transcript(closed) == [] and await store.notes(closed) == []
        assert await store.load_case(CASE_EARLY) is not None  # the kept answers stay
        assert len(await store.transcript(still_open)) == 2  # an open handoff keeps its own
        assert len(await store.notes(still_open)) == 1
        assert (await store.purge(T0 + _h(24 * 9))).transcripts == 0  # once
        events = await backend.sql("SELECT event, subject FROM audit_event")
        assert [tuple(e) for e in events].count(("handoff.transcript_purged", closed)) == 1
    finally:
        await store.close()
