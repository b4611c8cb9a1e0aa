"""/mydata names everything held, including what /delete keeps so quick exit still works."""

from __future__ import annotations

from bot.flow import keys
from bot.flow.screens import Env
from bot.runtime import Runtime
from tests.flow.walk import Walk

TELEGRAM = Env(channel="telegram", storage=True)


def test_mydata_on_telegram_names_the_message_numbers_kept_for_quick_exit(
    runtime: Runtime,
) -> None:
    w = Walk(runtime, env=TELEGRAM).start().pick("ok").command("mydata")
    assert keys.MYDATA_MESSAGE_IDS in w.shown_keys()
    assert "48 hours" in w.text() and "/exit" in w.text()


def test_after_delete_the_bot_says_what_it_still_keeps_and_for_how_long(
    runtime: Runtime,
) -> None:
    w = Walk(runtime, env=TELEGRAM).start().pick("ok").command("delete").pick("_yes")
    assert w.shown_keys()[0] == keys.DELETE_DONE
    assert "numbers of this chat's messages" in w.text() and "48 hours" in w.text()


def test_a_channel_without_message_deletion_lists_no_message_numbers(runtime: Runtime) -> None:
    w = Walk(runtime, env=Env(channel="console", storage=True)).start().pick("ok")
    assert keys.MYDATA_MESSAGE_IDS not in w.command("mydata").shown_keys()
