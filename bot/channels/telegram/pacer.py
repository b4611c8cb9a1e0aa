"""The bot's one rate limit: every message it sends waits here for its turn, safety first.

Telegram's limits are per bot: about 30 messages a second overall, about one a second in one
chat (short bursts tolerated) and 20 a minute in a group; going over earns a 429 with a
`retry_after` of seconds. PTB's AIORateLimiter, used before, did not pace private chats at all,
so a reply's second message met a 429 almost every time, and it then paused *every* call of the
bot (quick exit's deletions included) for the whole `retry_after`: under load 70-83 of 100
chats got no first reply within 10 s. Pacing before sending means the bot meets no 429 at all.

A send counts from the moment it starts until a second (a group: a minute) after Telegram
answered, so the window holds however the network jitters. Urgent sends (quick exit and
crisis rows, /help, messages to and from staff) have a few sends a second that ordinary
replies may not use, so they never wait behind other chats' traffic; likewise a few of the
staff group's 20 a minute are kept for alerts (a survivor's message with words of crisis), so
a busy staff chat's other posts cannot hold one back for up to a minute. Only sends are paced:
deletions (quick exit), edits and callback answers are not limited like messages and go at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

PRUNE_AT = 10_000  # chats remembered before old ones are forgotten


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: int = 28  # Telegram: about 30 messages a second per bot
    reserved: int = 4  # of those, kept for urgent sends
    chat_interval: float = 1.0  # Telegram: about one message a second per chat
    group_per_minute: int = 20
    group_reserved: int = 3  # of those, kept for alerts (a survivor's words of crisis to staff)


class Pacer:
    """Waits until a message may be sent without Telegram refusing it (see the module)."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._inflight = 0
        self._recent: deque[float] = deque()  # when the sends of the last second ended
        self._busy: set[int] = set()  # chats with a send in flight
        self._last: dict[int, float] = {}  # chat -> when its last send ended
        self._groups: dict[int, deque[float]] = {}  # group -> its sends' ends, last minute
        self._changed = asyncio.Event()
        self.waiting = 0  # sends waiting for their turn
        self.on_wait: Callable[[], None] = lambda: None  # one more send started waiting

    @asynccontextmanager
    async def turn(
        self, chat_id: int, urgent: bool = False, alert: bool = False
    ) -> AsyncIterator[None]:
        """Hold one send's turn: wait for it, send inside, and it counts from then on.
        An `alert` is urgent and may use a group's reserved sends."""
        urgent = urgent or alert
        delay = self._delay(chat_id, urgent, alert)
        if delay != 0.0:
            self.waiting += 1
            self.on_wait()
            try:
                while delay != 0.0:
                    changed = self._changed
                    with suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), delay)
                    delay = self._delay(chat_id, urgent, alert)
            finally:
                self.waiting -= 1
        self._inflight += 1
        self._busy.add(chat_id)
        try:
            yield
        finally:
            self._ended(chat_id)

    def _ended(self, chat_id: int) -> None:
        now = self._clock()
        self._inflight -= 1
        self._busy.discard(chat_id)
        self._recent.append(now)
        self._last[chat_id] = now
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        if len(self._last) > PRUNE_AT:
            old = now - self.limits.chat_interval
            self._last = {c: t for c, t in self._last.items() if t > old}
            self._groups = {g: q for g, q in self._groups.items() if q and q[-1] > now - 60}
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # wakes every waiter once; each checks its own turn again

    def _delay(self, chat_id: int, urgent: bool, alert: bool = False) -> float | None:
        """0: go now; seconds to wait; None: wait until a send in flight ends."""
        now = self._clock()
        limits = self.limits
        if chat_id in self._busy:
            return None
        waits = [0.0]
        last = self._last.get(chat_id)
        if last is not None:
            waits.append(last + limits.chat_interval - now)
        if chat_id < 0:
            group = self._groups.get(chat_id, deque())
            while group and group[0] <= now - 60:
                group.popleft()
            cap = limits.group_per_minute - (0 if alert else limits.group_reserved)
            if len(group) >= cap:  # until enough of the last minute's sends are a minute old
                waits.append(group[len(group) - cap] + 60 - now)
        recent = self._recent
        while recent and recent[0] <= now - 1:
            recent.popleft()
        cap = limits.per_second if urgent else limits.per_second - limits.reserved
        if self._inflight + len(recent) >= cap:
            if not recent:
                return None
            waits.append(recent[0] + 1 - now)
        return max(waits)
