"""The flood guard: a polite limit per chat, and memory that does not grow with every chat."""

from __future__ import annotations

from bot.channels.telegram.flood import EDIT, PRUNE_EVERY, TAP, FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_notice_then_silence_until_the_window_passes() -> None:
    clock = Clock()
    guard = FloodGuard(3, window=60, clock=clock)
    assert [guard.check(1) for _ in range(5)] == ["ok", "ok", "ok", "notice", "drop"]
    assert guard.check(2) == "ok"  # other chats are unaffected
    clock.now = 61
    assert guard.check(1) == "ok"


def test_quiet_chats_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(3, window=60, clock=clock)
    for chat in range(PRUNE_EVERY - 1):
        guard.check(chat)
    clock.now = 120
    guard.check(10**9)  # the sweep runs on this check
    assert len(guard._hits) <= 1


def test_taps_cost_half_a_message_and_safety_counts_without_being_refused() -> None:
    guard = FloodGuard(2, window=60, clock=Clock())
    assert [guard.check(1, TAP) for _ in range(5)] == ["ok", "ok", "ok", "ok", "notice"]
    guard.note(2)
    guard.note(2)
    guard.note(2)  # three safety updates: all counted, none refused
    assert guard.check(2) == "notice"


def test_a_notice_of_each_kind_once_per_window() -> None:
    clock = Clock()
    guard = FloodGuard(1, window=60, clock=clock)
    assert [guard.first(1, "edited") for _ in range(3)] == [True, False, False]
    assert guard.first(1, "slow")  # another kind is told separately
    assert guard.first(2, "edited")  # and so is another chat
    assert not guard.over(1, EDIT) and guard.over(1, EDIT)  # edits are counted like text
    assert guard.check(1) == "drop"  # the slow-down notice was already given this window
    clock.now = 61
    assert guard.first(1, "edited")
    guard.prune()
    assert (1, "slow") not in guard._told  # told long ago: forgotten
