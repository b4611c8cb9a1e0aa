"""A leaked database, key store, backup or debug log holds nothing that names or quotes anyone."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest

from bot.store import Store

from .conftest import Backend

CHAT_ID = 5830417296
OTHER_CHAT = 7104938265


def _canaries() -> list[str]:
    return [f"CANARY-{uuid.uuid4().hex}" for _ in range(3)]


async def _full_conversation(store: Store, chat_id: int, canaries: list[str]) -> None:
    """What the adapter does over a whole triage: many saves, tracked messages, a kept case."""
    answers: dict[str, str | list[str]] = {}
    for step, canary in enumerate(canaries, start=1):
        async with store.conversation(chat_id, update_id=chat_id + step) as conv:
            answers[f"q{step}"] = f"my name is {canary}"
            conv.save({"node": f"q{step + 1}", "answers": dict(answers), "lang": "en",
                       "first_name": canary})  # fmt: skip
        await store.track_messages(chat_id, [step * 10, step * 10 + 1], _at(store))
    await store.keep_case(chat_id, answers, "uk", "keep-v1")
    async with store.conversation(chat_id, update_id=chat_id + 99) as conv:
        assert conv.state is not None
        conv.save({**conv.state, "kept": True})


def _at(store: Store) -> dt.datetime:
    return store._clock()


async def test_no_plaintext_at_rest_or_in_logs(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, sqlalchemy and aiosqlite included
    for name in ("sqlalchemy", "sqlalchemy.engine", "asyncpg", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    store = await backend.open()
    canaries = _canaries()
    try:
        await _full_conversation(store, CHAT_ID, canaries)
        # It all reads back, so the data really is stored (encrypted) somewhere.
        case = await store.load_case(CHAT_ID)
        assert case is not None and case.answers["q1"] == f"my name is {canaries[0]}"
        async with store.conversation(CHAT_ID) as conv:
            assert conv.state is not None and conv.state["first_name"] == canaries[-1]
        if backend.sqlite:  # while open, the -wal file holds the latest pages
            assert any(f.name.endswith("-wal") for f in (backend.tmp / "db").iterdir())
        at_rest = backend.raw_bytes()
    finally:
        await store.close()

    at_rest += backend.raw_bytes()
    assert len(at_rest) > 10_000  # the files / dumps were really read
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "SELECT" in logs or "INSERT" in logs  # SQL logging was really on
    secrets = [*canaries, str(CHAT_ID), "my name is", '"uk"']
    for secret in secrets:
        assert secret.encode() not in at_rest, f"{secret!r} found at rest"
        assert secret not in logs, f"{secret!r} found in the logs"

    # Wrapped data keys never reach the logs either: a log archive must not outlive shredding.
    wrapped = await backend.sql("SELECT wrapped FROM data_key", keys=True)
    assert wrapped
    for (blob,) in wrapped:
        blob = bytes(blob)
        assert blob.hex() not in logs and repr(blob)[2:30] not in logs


async def test_nothing_is_stored_before_consent(backend: Backend, store: Store) -> None:
    for step in range(3):
        async with store.conversation(CHAT_ID, update_id=step) as conv:
            conv.save({"node": f"q{step}", "answers": {"q0": "yes"}})
    assert await backend.count("kept_case") == 0
    stored = await store.stored(CHAT_ID)
    assert stored.working_expires is not None and stored.case_expires is None
    assert await store.load_case(CHAT_ID) is None

    ref = await store.keep_case(CHAT_ID, {"q0": "yes"}, "en", "keep-v1")
    assert await backend.count("kept_case") == 1
    assert (await store.stored(CHAT_ID)).case_expires == ref.expires_at
    # The consent record: which text was agreed to and when, nothing else in the clear.
    rows = await backend.sql("SELECT consent, kept_at, status FROM kept_case")
    assert rows[0][0] == "keep-v1" and rows[0][2] == "kept"
    # Another chat's consent does not leak into this one.
    assert (await store.stored(OTHER_CHAT)).case_expires is None


async def test_audit_trail_has_times_and_pseudonyms_only(backend: Backend, store: Store) -> None:
    ref = await store.keep_case(CHAT_ID, {"q": "secret answer"}, "en", "keep-v1")
    staff = store.staff_pseudonym(424242)
    await store.audit("case.viewed", actor=staff, subject=ref.code)
    await store.erase(CHAT_ID, "delete")
    rows = await backend.sql("SELECT event, actor, subject, at FROM audit_event ORDER BY id")
    assert [r[0] for r in rows] == ["case.kept", "case.viewed", "erased.delete"]
    assert rows[1][1] == staff and "424242" not in staff
    assert all(r[2] == ref.code for r in rows)  # the random case code, not the chat's pseudonym
    with pytest.raises(ValueError, match="pseudonyms or case codes"):
        await store.audit("case.viewed", actor="Jane Doe")
    with pytest.raises(ValueError, match="dotted name"):
        await store.audit("Survivor said: help")


async def test_reprs_redact_content(store: Store) -> None:
    await store.keep_case(CHAT_ID, {"q": "CANARY-repr"}, "en", "keep-v1")
    case = await store.load_case(CHAT_ID)
    async with store.conversation(CHAT_ID) as conv:
        conv.save({"answers": {"q": "CANARY-repr"}})
    async with store.conversation(CHAT_ID) as conv:
        shown = repr(conv) + repr(case) + repr(store)
    assert "CANARY" not in shown and str(CHAT_ID) not in shown
