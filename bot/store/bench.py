"""Benchmark (not a test): what encryption and storage cost per step, and a big purge.

    python -m bot.store.bench [--chats 20] [--steps 25] [--cases 100000] [--only sqlite]

Prints, for SQLite and PostgreSQL: load+decrypt and encrypt+store per conversation step
(median and p95), and the time to purge 100,000 expired cases (rows deleted, keys shredded,
audit events written). PostgreSQL runs in two throw-away databases created through
--pg (default: the local test server) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.store.cases import _case_fields
from bot.store.commands import upgrade_databases
from bot.store.crypto import MasterKeys, encode_json, generate_master_key, generate_secret
from bot.store.crypto import new_data_key as _new_key
from bot.store.store import Store
from bot.store.tables import CaseRow, DataKey
from bot.store.urls import async_url

INSERT_BATCH = 5000


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


async def _steps(store: Store, chats: int, steps: int) -> tuple[list[float], list[float]]:
    load: list[float] = []
    save: list[float] = []
    update_id = 0
    for chat in range(1, chats + 1):
        answers: dict[str, str] = {}
        for step in range(steps):
            update_id += 1
            answers[f"q{step}"] = f"an answer of a realistic length, step {step} " * 2
            t0 = time.perf_counter()
            async with store.conversation(10_000 + chat, update_id) as conv:
                t1 = time.perf_counter()
                conv.save({"node": f"q{step + 1}", "answers": dict(answers), "turn": step})
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            load.append(t1 - t0)
            save.append(t3 - t2)
    return load, save


async def _expired_cases(store: Store, master: MasterKeys, count: int) -> float:
    """Insert `count` cases that expired yesterday, with real keys and ciphertext."""
    started = time.perf_counter()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    answers = encode_json({"q1": "yes", "q2": ["a", "b"], "q3": "a short free text answer"})
    lang = encode_json("en")
    for start in range(0, count, INSERT_BATCH):
        keys: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        for n in range(start, min(start + INSERT_BATCH, count)):
            key_id = secrets.token_hex(16)
            data_key = _new_key()
            version, wrapped = master.wrap(key_id, data_key)
            keys.append(
                {"id": key_id, "kek_version": version, "wrapped": wrapped, "created_at": past}
            )
            code = f"B{n:09d}"
            chat = encode_json(1_000_000 + n)
            cases.append(
                {
                    "code": code,
                    "subject": store._pseudonyms.chat(1_000_000 + n),
                    "key_id": key_id,
                    "consent": "keep-v1",
                    "kept_at": past,
                    "expires_at": past + dt.timedelta(days=30),
                    "status": "kept",
                    **_case_fields(data_key, code, chat, answers, lang),
                }
            )
        async with store._keys_engine.begin() as conn:
            await conn.execute(insert(DataKey), keys)
        async with store._main.begin() as conn:
            await conn.execute(insert(CaseRow), cases)
    return time.perf_counter() - started


async def run(name: str, settings: Settings, args: argparse.Namespace) -> None:
    assert settings.master_key is not None
    master = MasterKeys.parse(settings.master_key.get_secret_value(), "bench key")
    store = await Store.open(settings)
    try:
        load, save = await _steps(store, args.chats, args.steps)
        print(f"{name:10s} load+decrypt per step   {_ms(load)}   ({len(load)} steps)")
        print(f"{name:10s} encrypt+store per step  {_ms(save)}")
        filled = await _expired_cases(store, master, args.cases)
        print(f"{name:10s} inserted {args.cases} expired cases in {filled:.1f} s")
        t0 = time.perf_counter()
        report = await store.purge()
        took = time.perf_counter() - t0
        assert report.cases == args.cases, report
        print(
            f"{name:10s} purge of {args.cases} expired cases: {took:.2f} s "
            f"({report.keys} data keys shredded)"
        )
    finally:
        await store.close()
    sys.stdout.flush()


def _settings(data_dir: Path, main: str, keys: str) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=main,
        keystore_url=keys,
        master_key=SecretStr(generate_master_key(1)),
        pseudonym_key=SecretStr(generate_secret()),
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        base = Path(tmp)
        if args.only in (None, "sqlite"):
            settings = _settings(base, f"sqlite:///{base}/main.db", f"sqlite:///{base}/keys.db")
            await run("sqlite", settings, args)
        if args.only in (None, "postgres"):
            admin_url = async_url(args.pg)
            names = [f"helpline_bench_{secrets.token_hex(4)}", ""]
            names[1] = names[0] + "_keys"
            admin = create_async_engine(
                admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
            async with admin.connect() as conn:
                for db in names:
                    await conn.execute(text(f'CREATE DATABASE "{db}"'))
            try:
                main_url, keys_url = (
                    admin_url.set(drivername="postgresql", database=db).render_as_string(False)
                    for db in names
                )
                settings = _settings(base, main_url, keys_url)
                await upgrade_databases(settings)
                await run("postgres", settings, args)
            finally:
                async with admin.connect() as conn:
                    for db in names:
                        await conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    asyncio.run(main(parser.parse_args()))
