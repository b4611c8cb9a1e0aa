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


async def _post(pacer: Pacer, group: int, alert: bool, started: list[str]) -> None:
    async with pacer.turn(group, urgent=True, alert=alert):
        started.append("alert" if alert else "post")


async def test_words_of_crisis_reach_a_busy_staff_group_within_telegrams_limit() -> None:
    limits = Limits(per_second=100, chat_interval=0.0, group_per_minute=5, group_reserved=2)
    pacer = Pacer(limits, clock=lambda: 1000.0)  # time stands still: nothing ages out
    group, started = -100123, []
    for _ in range(3):  # the staff chat's posts this minute: all that ordinary posts may use
        await _post(pacer, group, False, started)
    post = asyncio.create_task(_post(pacer, group, False, started))
    await asyncio.sleep(0.05)
    assert started == ["post"] * 3  # the fourth ordinary post waits for a minute-old one
    await _post(pacer, group, True, started)  # words of crisis: at once, from the reserve
    await _post(pacer, group, True, started)
    assert started == ["post"] * 3 + ["alert"] * 2
    late = asyncio.create_task(_post(pacer, group, True, started))
    await asyncio.sleep(0.05)
    assert started == ["post"] * 3 + ["alert"] * 2  # Telegram's 5 a minute: even alerts wait
    post.cancel()
    late.cancel()
