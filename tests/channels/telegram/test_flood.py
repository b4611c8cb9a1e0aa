"""The flood guard: a polite limit per chat, and memory that does not grow with every chat."""

from __future__ import annotations

from bot.channels.telegram.flood import PRUNE_EVERY, FloodGuard


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
