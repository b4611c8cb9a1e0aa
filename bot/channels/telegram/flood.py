"""A per-chat flood guard: one chat sending too fast slows down politely, others are unaffected.

In-process only: behind several workers each one guards the updates it receives, which is
enough to keep one chat from hogging a worker. State is a few floats per active chat.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

PRUNE_EVERY = 1024  # checks between sweeps of quiet chats


class FloodGuard:
    __slots__ = ("_checks", "_clock", "_hits", "_limit", "_noticed", "_window")

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._noticed: set[int] = set()
        self._checks = 0

    def check(self, chat_id: int) -> str:
        """'ok', 'notice' (over the limit: tell them once) or 'drop' (still over it)."""
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self.prune()
        now = self._clock()
        hits = self._hits.setdefault(chat_id, deque())
        while hits and now - hits[0] > self._window:
            hits.popleft()
        if len(hits) < self._limit:
            hits.append(now)
            self._noticed.discard(chat_id)
            return "ok"
        if chat_id in self._noticed:
            return "drop"
        self._noticed.add(chat_id)
        return "notice"

    def prune(self) -> None:
        """Forget chats that have been quiet for a whole window (bounded memory)."""
        now = self._clock()
        for chat_id in [c for c, h in self._hits.items() if not h or now - h[-1] > self._window]:
            del self._hits[chat_id]
            self._noticed.discard(chat_id)
