"""The pacer: safety sends never wait behind other chats' traffic, and a chat's own messages
never go two at once (Telegram: about one a second per chat)."""

from __future__ import annotations

import asyncio

from bot.channels.telegram.pacer import Limits, Pacer

LIMITS = Limits(per_second=3, reserved=1, chat_interval=60.0, group_per_minute=20)


async def _hold(pacer: Pacer, chat: int, urgent: bool, started: list[int],
                release: asyncio.Event) -> None:  # fmt: skip
    async with pacer.turn(chat, urgent):
        started.append(chat)
        await release.wait()


async def test_an_urgent_send_goes_while_ordinary_ones_wait_for_the_bots_limit() -> None:
    pacer = Pacer(LIMITS)
    started: list[int] = []
    release = asyncio.Event()
    busy = [asyncio.create_task(_hold(pacer, c, False, started, release)) for c in (1, 2, 3)]
    await asyncio.sleep(0.05)
    assert started == [1, 2]  # the third ordinary send waits: 2 of 3 are for ordinary ones
    crisis = asyncio.create_task(_hold(pacer, 4, True, started, release))
    await asyncio.sleep(0.05)
    assert started == [1, 2, 4]  # the urgent one did not wait behind it
    assert pacer.waiting == 1
    release.set()
    await asyncio.gather(crisis, *busy[:2])
    busy[2].cancel()


async def test_a_chats_next_message_waits_for_its_turn_but_other_chats_do_not() -> None:
    pacer = Pacer(LIMITS)
    started: list[int] = []
    release = asyncio.Event()
    release.set()
    await _hold(pacer, 1, True, started, release)
    again = asyncio.create_task(_hold(pacer, 1, True, started, release))
    await _hold(pacer, 2, False, started, release)
    await asyncio.sleep(0.05)
    assert started == [1, 2]  # chat 1's second message waits its interval, even urgent
    again.cancel()
