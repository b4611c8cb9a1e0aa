"""A per-chat flood guard: one chat sending too fast slows down politely, others are unaffected.

Each update has a cost (a typed message 1, a button tap less, an edit 1) and a chat may spend
`limit` within a sliding `window`. The guard only advises: the bridge lets safety through
whatever it says (quick exit, /delete, /help, crisis words, a handoff), and calls `note` for
those so they still count. A notice of each kind ("slow", "edited") is due at most once per
window, so a flood gets one notice, not one per message.

In-process only: behind several workers each one guards the updates it receives, which is
enough to keep one chat from hogging a worker. State is a few floats per active chat.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

PRUNE_EVERY = 1024  # checks between sweeps of quiet chats
TEXT = 1.0  # a typed message, a command, media
TAP = 0.5  # a button press: cheaper, a tap is quick and carries no text to read
EDIT = 1.0  # an edited message

Verdict = Literal["ok", "notice", "drop"]


class FloodGuard:
    __slots__ = ("_checks", "_clock", "_hits", "_limit", "_told", "_window")

    def __init__(
        self, limit: float, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._hits: dict[int, deque[tuple[float, float]]] = {}
        self._told: dict[tuple[int, str], float] = {}
        self._checks = 0

    def check(self, chat_id: int, cost: float = TEXT) -> Verdict:
        """'ok' (counted), 'notice' (over the limit: tell them, once per window) or 'drop'."""
        if not self.over(chat_id, cost):
            return "ok"
        return "notice" if self.first(chat_id, "slow") else "drop"

    def over(self, chat_id: int, cost: float = TEXT) -> bool:
        """Count this update if the chat is within its limit; True when it is over it."""
        hits = self._recent(chat_id)
        if sum(c for _, c in hits) + cost <= self._limit:
            hits.append((self._clock(), cost))
            return False
        return True

    def note(self, chat_id: int, cost: float = TEXT) -> None:
        """Count an update that goes through whatever the guard says (safety)."""
        self._recent(chat_id).append((self._clock(), cost))

    def first(self, chat_id: int, kind: str) -> bool:
        """True when no notice of this kind went to this chat within the window (and mark it)."""
        now = self._clock()
        told = self._told.get((chat_id, kind))
        if told is not None and now - told <= self._window:
            return False
        self._told[(chat_id, kind)] = now
        return True

    def _recent(self, chat_id: int) -> deque[tuple[float, float]]:
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self.prune()
        now = self._clock()
        # Bounded: safety updates are counted but never refused, so cap what one chat holds.
        hits = self._hits.setdefault(chat_id, deque(maxlen=max(64, int(self._limit / TAP) * 2)))
        while hits and now - hits[0][0] > self._window:
            hits.popleft()
        return hits

    def prune(self) -> None:
        """Forget chats that have been quiet for a whole window (bounded memory)."""
        now = self._clock()
        for chat_id in [
            c for c, h in self._hits.items() if not h or now - h[-1][0] > self._window
        ]:
            del self._hits[chat_id]
        for key in [k for k, t in self._told.items() if now - t > self._window]:
            del self._told[key]
