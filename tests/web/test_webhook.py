"""The webhook worker over real HTTP: malformed bodies get a 400, never a 500; /metrics needs
its bearer token. The bot behind it is the real one, against the fake Bot API."""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime import Runtime
from tests.channels.telegram.harness import SECRET, running_bot
from tests.fakebot import FakeBotApi

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
FUZZED = 10_000


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def _updates(chat: int) -> list[dict[str, Any]]:
    user = {"id": chat, "is_bot": False, "first_name": "R", "language_code": "en"}
    private = {"id": chat, "type": "private", "first_name": "R"}
    message = {
        "message_id": 3,
        "date": int(time.time()),
        "chat": private,
        "from": user,
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return [
        {"update_id": 1, "message": message},
        {"update_id": 2, "edited_message": {**message, "text": "hi"}},
        {"update_id": 3, "callback_query": {"id": "q1", "from": user, "chat_instance": "c",
                                            "data": "1.ok", "message": message}},
        {"update_id": 4, "my_chat_member": {
            "chat": private, "from": user, "date": 0,
            "old_chat_member": {"status": "member", "user": user},
            "new_chat_member": {"status": "kicked", "user": user}}},
        {"update_id": 5, "message": {**message, "text": "I need help", "entities": []}},
    ]  # fmt: skip


def _junk(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 4 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 1 << 62, rng.randrange(-(10**12), 10**12), 2**53])
    if pick == 3:
        return rng.random() * 10 ** rng.randrange(-3, 20)
    if pick == 4:
        return "".join(rng.choice("ab</>&;\u202e\u2066\U0001f600\x00 /start") for _ in range(9))
    if pick == 5:
        return rng.choice(["", "private", "bot_command", "/exit", "x" * 5000])
    if pick == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["update_id", "message", "chat", "id", "from", "text", "type", "date", "data"]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def _mutate(rng: random.Random, update: dict[str, Any]) -> Any:
    """A valid update with one random part replaced, removed or retyped."""
    doc = copy.deepcopy(update)
    node: Any = doc
    path: list[Any] = []
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return _junk(rng)
    parent, key = path[-1]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[key]
    else:
        parent[key] = _junk(rng)
    return doc


def _bodies(n: int, chat: int) -> list[bytes]:
    rng = random.Random(20261126)
    fixed = [b"[]", b"42", b"null", b'"message"', b"{}", b'{"update_id": "1"}',
             b'{"update_id": true}', b'{"update_id": 1, "message": "hello"}',
             b'{"update_id": 1, "callback_query": []}', b"\xff\xfe{", b"{not json",
             ("[" * 100_000 + "]" * 100_000).encode(),
             json.dumps({"update_id": 1, "message": _nest(200)}).encode()]  # fmt: skip
    valid = _updates(chat)
    out = list(fixed)
    while len(out) < n:
        roll = rng.random()
        if roll < 0.6:
            doc = _mutate(rng, rng.choice(valid))
        elif roll < 0.9:
            doc = _junk(rng)
        else:
            doc = {"update_id": rng.randrange(10**6), rng.choice(list(valid[0])): _junk(rng)}
        out.append(json.dumps(doc).encode())
    return out


def _nest(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"chat": value}
    return value


async def test_malformed_bodies_get_400_and_fuzzing_finds_no_500(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    user = api.add_user("R", user_id=4242, started=True)
    api.private_chat(user)
    statuses: dict[int, int] = {}
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        url = f"http://127.0.0.1:{bot.webhook_port}/telegram"
        async with aiohttp.ClientSession() as http:
            for i, body in enumerate(_bodies(FUZZED, 4242)):
                async with http.post(url, data=body, headers=HEADERS) as r:
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    assert r.status != 500, f"body {i} got a 500: {body[:300]!r}"
                    if i < 13:  # the hand-written malformed bodies
                        assert r.status == 400, (i, r.status)
            async with http.get(f"http://127.0.0.1:{bot.webhook_port}/healthz") as r:
                assert r.status == 200
    print(f"\n{FUZZED} fuzzed webhook bodies: {statuses}")
    assert set(statuses) <= {200, 400, 413}
    assert statuses.get(400, 0) > FUZZED // 2


async def test_metrics_need_the_bearer_token(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    async with running_bot(api, runtime, tmp_path, "webhook", metrics_token="m3trics") as bot:
        url = f"http://127.0.0.1:{bot.webhook_port}/metrics"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as r:
                assert r.status == 401
            async with http.get(url, headers={"Authorization": "Bearer wrong"}) as r:
                assert r.status == 401
            async with http.get(url, headers={"Authorization": "Bearer m3trics"}) as r:
                assert r.status == 200
                assert "helpline_updates_total" in await r.text()


async def test_a_tapped_button_is_answered_in_the_webhook_response(
    api: FakeBotApi, runtime: Runtime, tmp_path: Path
) -> None:
    """The spinner stops with the webhook's own 200: no Bot API call of its own."""
    async with running_bot(api, runtime, tmp_path, "webhook") as bot:
        ria = api.add_user("Ria")
        await bot.send(ria, "/start")
        replies = await bot.press(ria, bot.options(ria)[0])
        assert replies, "the next question did not arrive"
        assert api.callback_queries and all(q.answered for q in api.callback_queries.values())
        answers = api.calls_to("answerCallbackQuery")
        assert answers and all(c.http_method == "WEBHOOK" and c.ok for c in answers)
