"""Keeping answers is not sharing them: the share question is asked every time, kept or not."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.flow.engine import SHARE_CONSENT_VERSION as SHARE_CONSENT
from bot.flow.replies import KeepCase, StartHandoff
from bot.flow.screens import Env, StaffStatus
from bot.runtime import Runtime
from tests.fakebot import FakeBotApi
from tests.flow.walk import to_results
from tests.staff.helpers import Staff, staffed_bot

OPEN = Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True))


def test_a_survivor_who_kept_their_answers_is_still_asked_before_sharing(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, env=OPEN).pick("keep", "yes", "_skip")  # no code word
    assert w.state is not None and w.state.kept
    w.pick("talk")
    assert w.node == "handoff_consent"
    assert "handoff.consent" in w.shown_keys()
    w.pick("no")  # keeping stays; nothing goes to staff
    assert w.node == "next_steps" and w.state.kept and w.state.mode != "handoff"
    assert not any(isinstance(e, StartHandoff) for e in w.effects)


def test_human_after_keeping_asks_too_and_sharing_then_reaches_staff(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("keep", "yes")
    w.command("human")
    assert w.node == "handoff_consent"
    w.pick("share", "_skip")
    assert w.state is not None and w.state.mode == "handoff"


async def test_agreeing_to_share_is_recorded_on_its_own_with_its_version(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path, staff: Staff
) -> None:
    async with staffed_bot(api, runtime, tmp_path, staff) as bot:
        lin = api.add_user("Lin")
        await bot.send(lin, "/start")
        await bot.send(lin, "/human")
        await bot.press(lin, "share")
        await bot.press(lin, "_skip")
        case = await bot.service.store.case_of_chat(lin.id)
        assert case is not None
        async with bot.service.store._main.connect() as conn:
            rows = (await conn.execute(
                text("SELECT event, subject FROM audit_event WHERE event LIKE 'consent.%'")
            )).all()  # fmt: skip
            kept = (await conn.execute(
                text("SELECT consent, share_consent FROM kept_case WHERE code = :c"),
                {"c": case.code},
            )).one()  # fmt: skip
        assert [tuple(r) for r in rows] == [(f"consent.{SHARE_CONSENT}", case.code)]
        assert SHARE_CONSENT == "share-v1"
        assert kept.share_consent == SHARE_CONSENT  # its own version, on the case too
        # They never saw the keep question: the case is kept on the share text's word (it
        # says the summary is kept), never recorded as agreement to a text they were not shown.
        assert kept.consent == SHARE_CONSENT


def test_the_consent_to_keep_names_the_text_that_asked_it(runtime: Runtime) -> None:
    w = to_results(runtime, env=OPEN).pick("keep", "yes")
    assert [e.consent for e in w.effects if isinstance(e, KeepCase)] == ["keep-v1"]
    w = to_results(runtime, env=OPEN).pick("talk", "share")
    assert [e.consent for e in w.effects if isinstance(e, KeepCase)] == [SHARE_CONSENT]
    kept_first = to_results(runtime, env=OPEN).pick("keep", "yes", "_skip", "talk", "share")
    assert not [e for e in kept_first.effects if isinstance(e, KeepCase)]  # kept already
