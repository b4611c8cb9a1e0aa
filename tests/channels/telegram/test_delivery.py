"""Chaos against the fake Bot API: a reply the bot decided on arrives, and at most twice."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import aiohttp

from bot.channels.telegram.sender import Courier, Sender
from bot.runtime import Runtime
from bot.store import Store
from bot.store.outbox import Delivery
from tests.fakebot import FakeBotApi

from .harness import SECRET, handled, running_bot

HELLO = "Hello"


def _hellos(api: FakeBotApi, chat: int) -> int:
    return sum(HELLO in (m.text or "") for m in api.bot_messages(chat))


async def test_a_sender_killed_mid_burst_loses_no_reply(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path) as bot:
        users = [api.add_user(f"U{i}") for i in range(12)]
        api.delay_next("sendMessage", 0.3, times=6)  # some sends are in flight at the kill
        # A few at a time, so some replies are still queued at the kill, however the claims
        # fall (one claim may take every chat's row at once).
        bot.service.courier._concurrency = 4
        before = handled()
        for user in users:
            await api.user_sends(user, "/start")
        deadline = time.monotonic() + 10
        while len(api.calls_to("sendMessage")) < 3:  # mid-burst
            assert time.monotonic() < deadline
            await asyncio.sleep(0.005)
        # The worker's sender dies: stopped at once, nothing handed back, leases held.
        courier = bot.service.courier
        assert courier._task is not None
        courier._task.cancel()
        for task in list(courier._inflight.values()):
            task.cancel()
        await asyncio.sleep(0.5)
        assert sum(1 for u in users if _hellos(api, u.id)) < len(users)  # replies were pending
        # Telegram redelivers nothing here: the updates were committed, their replies with them.
        # A new process on the same store (SQLite: the only sender, so leases are void).
        # Every step committed (on a busy machine some may still be running at the kill).
        while handled() < before + len(users):
            assert time.monotonic() < deadline + 10, "the updates were not all handled"
            await asyncio.sleep(0.01)
        revived = Courier(bot.service.store, courier.sender, poll=0.05, backoff=0.02)
        await revived.start()
        try:
            await revived.drained(20)
        finally:
            await revived.stop()
        for user in users:
            assert 1 <= _hellos(api, user.id) <= 2, user.first_name  # the written bound


async def test_5xx_and_slow_sends_delay_one_chat_not_the_others(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, send_timeout=0.4) as bot:
        slow, failing, *others = [api.add_user(f"C{i}") for i in range(6)]
        # Telegram answers this chat's sends after 3 s (a 35 s answer, scaled down)...
        api.delay_next("sendMessage", 3.0, times=2, chat_id=slow.id)
        api.fail_next("sendMessage", 500, times=4, chat_id=failing.id)  # ...and fails this one
        for user in (slow, failing, *others):
            await api.user_sends(user, "/start")
        deadline = time.monotonic() + 10
        while not all(_hellos(api, u.id) for u in others):
            assert time.monotonic() < deadline, "other chats were held up"
            await asyncio.sleep(0.01)
        assert not _hellos(api, slow.id)  # the others did not wait for the slow chat
        await bot.settle(6, within=20)
        for user in (failing, *others):
            assert _hellos(api, user.id) == 1
        # The send timed out, was tried once more (timed out too), then counted as delivered;
        # Telegram carried out both late: two copies, the written bound, and no more.
        deadline = time.monotonic() + 10
        while _hellos(api, slow.id) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert _hellos(api, slow.id) == 2


async def test_a_failing_answer_edit_or_callback_answer_never_costs_the_reply(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path) as bot:
        kim = api.add_user("Kim")
        await bot.send(kim, "/start")
        options = bot.options(kim)
        api.fail_next("answerCallbackQuery", 500, times=10)
        api.fail_next("editMessageText", 500, times=10)
        before = len(api.bot_messages(kim.id))
        replies = await bot.press(kim, options[0])
        assert replies, "the next question did not arrive"
        assert len(api.bot_messages(kim.id)) > before


async def test_polling_killed_mid_batch_applies_every_update_once_after_restart(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    users = [api.add_user(f"P{i}") for i in range(30)]
    async with running_bot(api, runtime, tmp_path) as bot:
        assert bot.task is not None
        api.delay_next("sendMessage", 0.2, times=3)
        for user in users:  # one batch for getUpdates
            await api.user_sends(user, "/start")
        deadline = time.monotonic() + 10
        while handled() - bot._seen < 1:  # mid-batch (on a fast machine it may finish first)
            assert time.monotonic() < deadline
            await asyncio.sleep(0.001)
        bot.task.cancel()  # the process dies: nothing more is fetched or confirmed
        with contextlib.suppress(asyncio.CancelledError):
            await bot.task
    async with running_bot(api, runtime, tmp_path) as bot:  # restarted on the same data
        deadline = time.monotonic() + 20
        while not all(_hellos(api, u.id) for u in users):
            assert time.monotonic() < deadline, "an update was lost"
            await asyncio.sleep(0.02)
        await bot.service.courier.drained()
    for user in users:
        assert _hellos(api, user.id) == 1, user.first_name  # applied once, sent once


async def test_shutdown_is_bounded_and_hands_unsent_replies_on(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    ana = api.add_user("Ana")
    api.delay_next("sendMessage", 30, times=1)  # Telegram hangs on this send
    async with running_bot(api, runtime, tmp_path, shutdown_seconds=2, send_timeout=60) as bot:
        await api.user_sends(ana, "/start")
        await api.wait_for_call("sendMessage", timeout=10, finished=False)
        started = time.monotonic()
        assert bot.task is not None
    assert time.monotonic() - started < 3  # within HELPLINE_SHUTDOWN_SECONDS, with margin
    api.clear_faults()
    async with running_bot(api, runtime, tmp_path) as bot:  # the next worker sends it
        await bot.service.courier.drained()
    assert _hellos(api, ana.id) >= 1


def _update(update_id: int, message_id: int, text: str) -> dict[str, object]:
    command = [{"type": "bot_command", "offset": 0, "length": len(text)}] if text[0] == "/" else []
    return {"update_id": update_id, "message": {
        "message_id": message_id, "date": int(time.time()), "text": text, "entities": command,
        "chat": {"id": 4343, "type": "private", "first_name": "R"},
        "from": {"id": 4343, "is_bot": False, "first_name": "R"}}}  # fmt: skip


async def test_an_update_that_lost_a_race_is_not_applied_over_newer_state(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        api.private_chat(api.add_user("R", user_id=4343, started=True))
        url = f"http://127.0.0.1:{bot.webhook_port}/telegram"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

        async def post(update: dict[str, object]) -> None:
            async with (
                aiohttp.ClientSession() as http,
                http.post(url, json=update, headers=headers) as r,
            ):
                assert r.status == 200
            await bot.service.courier.drained()

        await post(_update(900, 10, "/start"))
        before = len(api.bot_messages(4343))
        await post(_update(899, 9, "hello"))  # another worker had it, and lost the race
        assert len(api.bot_messages(4343)) == before  # not applied over the newer state
        await post(_update(898, 8, "/help"))  # safety is always applied
        assert len(api.bot_messages(4343)) > before


class _Outbox:
    """The store as the courier sees it, in memory: each chat's oldest row is claimable
    unless leased; `during_claim` runs inside the claim, as a step committing meanwhile."""

    single_process = True

    def __init__(self) -> None:
        self.rows: dict[int, Delivery] = {}
        self.leased: set[int] = set()
        self.during_claim: Callable[[], None] | None = None
        self.claims = 0
        self.claimed_again = asyncio.Event()

    def queue(self, chat_id: int, text: str) -> None:
        row_id = len(self.rows) + 1 + max(self.rows, default=0)
        self.rows[row_id] = Delivery(
            row_id, str(chat_id), "k", b"", chat_id, ({"k": "send", "text": text},), 0, 0, False
        )

    async def advance_and_claim(
        self, items: list[tuple[Delivery, int, list[int]]], limit: int, lease: object
    ) -> tuple[list[bool], list[Delivery]]:
        for delivery, done, _ in items:
            if done >= len(delivery.ops):
                self.rows.pop(delivery.id, None)
                self.leased.discard(delivery.id)
        if limit <= 0:
            return [True] * len(items), []
        heads: dict[int, int] = {}
        for row_id, row in sorted(self.rows.items()):
            heads.setdefault(row.chat_id, row_id)
        out = [self.rows[i] for i in heads.values() if i not in self.leased][:limit]
        self.leased |= {d.id for d in out}
        self.claims += 1
        if self.claims == 2:
            self.claimed_again.set()
        await asyncio.sleep(0)  # the claim's round trip: other tasks run meanwhile
        if self.during_claim is not None:
            self.during_claim, step = None, self.during_claim
            step()
        return [True] * len(items), out

    async def lead(self) -> bool:
        return True

    async def release(self, ids: object = None) -> None:
        self.leased.clear()

    async def resign(self) -> None:
        pass


class _Telegram:
    """Sends that finish when the test lets them."""

    pacer = None

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.go = asyncio.Event()
        self.arrived = asyncio.Event()

    async def send_stored(self, chat_id: int, text: str, *args: object, **kwargs: object) -> int:
        await self.go.wait()
        self.sent.append(text)
        self.arrived.set()
        return len(self.sent)


async def test_a_reply_queued_while_the_courier_claims_goes_when_the_row_ahead_is_sent() -> None:
    # The chat's next reply is committed (and the courier woken) while the claim that takes
    # the chat's previous reply is still running: it must go out as soon as that one is sent,
    # not wait for the courier's poll (an hour here).
    outbox, telegram = _Outbox(), _Telegram()
    courier = Courier(cast(Store, outbox), cast(Sender, telegram), poll=3600)
    outbox.queue(7, "first")

    def next_step() -> None:
        outbox.queue(7, "second")
        courier.wake()

    outbox.during_claim = next_step
    await courier.start()
    try:
        await outbox.claimed_again.wait()  # woken, it looked: "second" waits behind "first"
        telegram.go.set()
        async with asyncio.timeout(10):  # far below the poll: only a wake-up delivers it
            while telegram.sent != ["first", "second"]:
                telegram.arrived.clear()
                await telegram.arrived.wait()
    finally:
        await courier.stop()
