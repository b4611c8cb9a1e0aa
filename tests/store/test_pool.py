"""A busy PostgreSQL worker reuses its `HELPLINE_DATABASE_POOL_SIZE` connections.

Before, a pool of 5 with 10 overflow closed each extra connection after its transaction and
opened a new one for the next: under load a new PostgreSQL backend every ~3 updates, which
cost the worker and the server more than the updates themselves.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import asyncpg  # type: ignore[import-untyped]
import pytest

from .conftest import Backend, pg_dsn

POOL = 3
CHATS = 24  # eight times the pool: most steps wait for a connection


async def _backends(db: str, seen: set[int], stop: asyncio.Event) -> None:
    """Every backend (process id) connected to `db` while the steps run."""
    conn = await asyncpg.connect(pg_dsn(db), timeout=5)
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                db,
            )
            seen.update(r["pid"] for r in rows)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.005)
    finally:
        await conn.close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite: one per file
async def test_concurrent_steps_share_the_pool_and_all_complete(backend: Backend) -> None:
    store = await backend.open(database_pool_size=POOL)
    stop = asyncio.Event()
    main, keys = backend.pg_dbs
    seen_main: set[int] = set()
    seen_keys: set[int] = set()
    watchers = [
        asyncio.create_task(_backends(main, seen_main, stop)),
        asyncio.create_task(_backends(keys, seen_keys, stop)),
    ]

    async def step(chat: int, update: int) -> None:
        async with store.conversation(chat, update_id=update * 1000 + chat) as conv:
            await asyncio.sleep(0.02)  # the flow's work, holding the transaction
            conv.save({"step": update})

    try:
        for update in range(1, 4):
            await asyncio.gather(*(step(7700 + c, update) for c in range(CHATS)))
    finally:
        stop.set()
        await asyncio.gather(*watchers)
        await store.close()
    # Every step was applied: each chat's state is its third step.
    store = await backend.open()
    try:
        for c in range(CHATS):
            async with store.conversation(7700 + c) as conv:
                assert conv.state == {"step": 3}, "a step was lost"
    finally:
        await store.close()
    assert 1 <= len(seen_main) <= POOL, "connections were opened and closed, not reused"
    assert 1 <= len(seen_keys) <= POOL
