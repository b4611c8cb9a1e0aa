"""`python -m bot.bench`: the bot under a realistic load, side by side with a bare PTB bot.

Starts a fake Bot API on loopback (tests/fakebot: run this from a source checkout), then each
scenario's webhook workers as real `helpline serve` processes, and drives N chats through triage
conversations, `--concurrency` of them at a time, tapping the buttons the bot shows. Prints one
table: updates/s; latency p50/p95/p99 from request to acknowledgement and from update to the
reply arriving at the Bot API; Bot API calls per update; the most messages sent in any one
second (Telegram allows about 30 per bot) and the 429s the fake answered (with the rate limiter
on, Telegram's limits enforced: none expected); CPU ms per update and peak RSS of the workers; and
start-up time to ready (a restart, reading the start-up cache; in brackets the first start,
which builds it). The bare bot is a python-telegram-bot echo bot on aiohttp fed the same
number and kinds of updates. Figures are printed, never asserted: compare runs on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

SECRET = "bench-secret"
PG = "postgresql://postgres@127.0.0.1:5432"
TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY = 10_000  # updates between two RSS samples
# The fake Bot API keeps every call and message, so this process's full garbage collections
# grow with the run and paused the fake and the load generator: in a soak, one reply every
# ~25 s was late by 130 ms at first and 490 ms after 15,000 updates, counted against the bot.
# What has lived this long is moved out of the collector's reach (the bot does the same
# after start-up; the workers are other processes, their collections are measured).
FREEZE_EVERY = 1_000


@dataclass(frozen=True, slots=True)
class Scenario:
    label: str
    bot: str = "helpline"  # or "echo"
    db: str = "sqlite"  # or "postgres"
    workers: int = 1
    limiter: bool = False


@dataclass(slots=True)
class Result:
    scenario: Scenario
    updates: int = 0
    seconds: float = 0.0
    ack: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    api_calls: int = 0
    peak_sends: int = 0
    refused: int = 0  # 429s the fake Bot API answered (Telegram's limits went over)
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    start_seconds: float = 0.0
    first_start_seconds: float = 0.0
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (updates, RSS) samples
    lost: int = 0
    note: str = ""


SCENARIOS = {
    "echo": Scenario("bare PTB echo bot", bot="echo"),
    "sqlite": Scenario("helpline, SQLite, 1 worker"),
    "pg1": Scenario("helpline, PostgreSQL, 1 worker", db="postgres"),
    "pg2": Scenario("helpline, PostgreSQL, 2 workers", db="postgres", workers=2),
    "pg4": Scenario("helpline, PostgreSQL, 4 workers", db="postgres", workers=4),
    "sqlite-limited": Scenario("helpline, SQLite, rate limiter on", limiter=True),
    "pg2-limited": Scenario(
        "helpline, PostgreSQL, 2 workers, limiter on", db="postgres", workers=2, limiter=True
    ),
}


# ---------------------------------------------------------------- the fake Bot API


def _fake_class() -> Any:
    try:
        from tests.fakebot import FakeBotApi
    except ImportError:
        sys.exit("bench: run from a source checkout (it uses the fake Bot API in tests/fakebot)")

    class BenchApi(FakeBotApi):
        """Delivers nothing itself (the bench posts updates, many at a time) and tells the
        bench when a chat gets a reply."""

        def __init__(self) -> None:
            super().__init__()
            self.waiters: dict[int, asyncio.Future[float]] = {}
            self.sent_at: deque[float] = deque()
            self.peak_sends = 0

        async def _webhook_loop(self) -> None:
            await asyncio.Event().wait()

        def _m_send_message(self, p: Any) -> dict[str, Any]:
            result: dict[str, Any] = super()._m_send_message(p)
            now = time.perf_counter()
            self.sent_at.append(now)
            while self.sent_at and now - self.sent_at[0] > 1.0:
                self.sent_at.popleft()
            self.peak_sends = max(self.peak_sends, len(self.sent_at))
            self._replied(int(result["chat"]["id"]), now)
            return result

        def _m_edit_message_reply_markup(self, p: Any) -> Any:
            """A multiple-choice tap is answered by ticking the button in place."""
            result = super()._m_edit_message_reply_markup(p)
            if isinstance(result, dict):
                self._replied(int(result["chat"]["id"]), time.perf_counter())
            return result

        def _replied(self, chat: int, now: float) -> None:
            waiter = self.waiters.pop(chat, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

    return BenchApi


# ---------------------------------------------------------------- workers


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def _databases(kind: str, folder: Path) -> AsyncIterator[tuple[str, str]]:
    if kind == "sqlite":
        yield f"sqlite:///{folder}/main.db", f"sqlite:///{folder}/keys.db"
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"{PG}/test", timeout=5)
    try:
        for suffix in ("main", "keys"):
            await admin.execute(f"CREATE DATABASE {name}_{suffix}")
        try:
            yield f"{PG}/{name}_main", f"{PG}/{name}_keys"
        finally:
            for suffix in ("main", "keys"):
                await admin.execute(f"DROP DATABASE IF EXISTS {name}_{suffix} WITH (FORCE)")
    finally:
        await admin.close()


def _env(api_url: str, token: str, port: int, urls: tuple[str, str], folder: Path,
         limiter: bool) -> dict[str, str]:  # fmt: skip
    from bot.store.crypto import generate_master_key, generate_secret

    for name, value in (
        ("master.key", generate_master_key(1)),
        ("pseudonym.key", generate_secret()),
    ):
        path = folder / name
        if not path.exists():
            path.write_text(value)
            path.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env.update(
        HELPLINE_TELEGRAM_TOKEN=token,
        HELPLINE_TELEGRAM_API_URL=api_url,
        HELPLINE_TELEGRAM_RATE_LIMIT="true" if limiter else "false",
        HELPLINE_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        HELPLINE_WEBHOOK_SECRET=SECRET,
        HELPLINE_LISTEN=f"127.0.0.1:{port}",
        HELPLINE_DATA_DIR=str(folder),
        HELPLINE_DATABASE_URL=urls[0],
        HELPLINE_KEYSTORE_URL=urls[1],
        HELPLINE_MASTER_KEY_FILE=str(folder / "master.key"),
        HELPLINE_PSEUDONYM_KEY_FILE=str(folder / "pseudonym.key"),
        HELPLINE_FLOOD_MESSAGES="10000",
        HELPLINE_LOG_LEVEL="ERROR",
        PTB_TIMEDELTA="true",
    )
    return env


@contextlib.asynccontextmanager
async def _workers(
    sc: Scenario, api: Any, folder: Path, result: Result, profile: Path | None = None
) -> AsyncIterator[list[tuple[int, int]]]:
    """(pid, port) of each worker, ready to take updates."""
    procs: list[asyncio.subprocess.Process] = []
    ports = [_free_port() for _ in range(sc.workers)]
    async with _databases(sc.db, folder) as urls:
        if sc.db == "postgres":
            env = _env(api.base_url, api.token, ports[0], urls, folder, sc.limiter)
            upgrade = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "db", "upgrade", env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if await upgrade.wait() != 0:
                raise RuntimeError("helpline db upgrade failed")
        if sc.bot == "helpline":  # a first start builds the start-up cache the others read
            env = _env(api.base_url, api.token, ports[0], urls, folder, sc.limiter)
            started = time.perf_counter()
            first = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve",
                                                         env=env)  # fmt: skip
            try:
                await _ready([ports[0]], [first])
                result.first_start_seconds = time.perf_counter() - started
                await _cache_written(folder / "cache")
            finally:
                first.terminate()
                await first.wait()
        started = time.perf_counter()
        try:
            for port in ports:
                env = _env(api.base_url, api.token, port, urls, folder, sc.limiter)
                module = ["bot.bench.echo"] if sc.bot == "echo" else ["bot", "serve"]
                if profile is not None:
                    module = ["cProfile", "-o", str(profile / f"{sc.bot}-{port}.prof"),
                              "-m", *module]  # fmt: skip
                procs.append(
                    await asyncio.create_subprocess_exec(sys.executable, "-m", *module, env=env)
                )
            await _ready(ports, procs)
            result.start_seconds = time.perf_counter() - started
            yield [(p.pid, port) for p, port in zip(procs, ports, strict=True)]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()


async def _cache_written(folder: Path) -> None:
    for _ in range(1200):
        if await asyncio.to_thread(lambda: any(folder.glob("runtime-*.pickle"))):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the first start wrote no start-up cache in 120 s")


async def _ready(ports: list[int], procs: list[asyncio.subprocess.Process]) -> None:
    async with aiohttp.ClientSession() as http:
        for port, proc in zip(ports, procs, strict=True):
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"a worker exited with {proc.returncode}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.02)


# ---------------------------------------------------------------- the load


class Load:
    """Chats that talk like survivors: /start, then a tap on one of the offered buttons at a
    time until the goodbye (or a step budget); the echo bot gets the same kinds of updates."""

    def __init__(self, api: Any, ports: list[int], echo: bool, steps: int, seed: int,
                 rate: float = 0.0, sample: Any = None) -> None:  # fmt: skip
        self.api = api
        self.interval = 1 / rate if rate else 0.0  # a fixed rate: one update per interval
        self.next_at = 0.0
        self.sample = sample  # called every SAMPLE_EVERY updates (RSS)
        self.urls = [f"http://127.0.0.1:{p}/telegram" for p in ports]
        self.echo = echo
        self.steps = steps
        self.rng = random.Random(seed)
        self.next_url = 0
        self.result: Result | None = None

    def _take(self) -> dict[str, Any]:
        update: dict[str, Any] = self.api.all_updates.pop()
        self.api.all_updates.clear()
        with contextlib.suppress(ValueError):
            self.api.pending_updates.remove(update)
        return update

    async def _deliver(self, http: aiohttp.ClientSession, chat: int, update: dict[str, Any],
                       result: Result) -> None:  # fmt: skip
        if self.interval:  # open loop: updates leave on a fixed schedule, not when answered
            now = time.perf_counter()
            at = self.next_at = max(self.next_at + self.interval, now)
            await asyncio.sleep(at - now)
        url = self.urls[self.next_url % len(self.urls)]
        self.next_url += 1
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.api.waiters[chat] = waiter
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        start = time.perf_counter()
        async with http.post(url, json=update, headers=headers) as r:
            answer = await r.read()
        result.ack.append(time.perf_counter() - start)
        await self.api.webhook_reply(answer)  # a method in the answer, as Telegram does
        result.updates += 1
        if self.sample is not None and result.updates % SAMPLE_EVERY == 0:
            self.sample(result.updates)
        if result.updates % FREEZE_EVERY == 0:
            gc.freeze()  # see FREEZE_EVERY
        try:
            result.reply.append(await asyncio.wait_for(waiter, 10) - start)
        except TimeoutError:
            result.lost += 1

    def _choice(self, message: Any) -> str | None:
        data = [d for d in message.callback_data() if d.split(".", 1)[-1] not in _AVOID]
        if not data:
            return None
        forward = [d for d in data if d.split(".", 1)[-1] in _FORWARD]
        return str(self.rng.choice(forward or data))

    async def chat(self, http: aiohttp.ClientSession, n: int, result: Result) -> None:
        user = self.api.add_user(f"S{n}", language_code=self.rng.choice(["en", "es", "zh-TW"]))
        await self.api.user_sends(user, "/start")
        await self._deliver(http, user.id, self._take(), result)
        pressed: tuple[int, int] | None = None
        for _ in range(self.steps):
            if self.echo:
                message = self.api.last_bot_message(user.id)
                data = f"1.{self.rng.choice(sorted(_FORWARD))}"
            else:
                message = await self._question(user.id, pressed)
                choice = self._choice(message) if message is not None else None
                if message is None or choice is None:
                    return
                data = choice
            pressed = _version(message)
            await self.api.user_presses(user, message, data, check_button=False)
            await self._deliver(http, user.id, self._take(), result)
            if data.endswith(".done") and not self.echo and self._finished(user.id):
                return

    async def _question(self, chat: int, answered: tuple[int, int] | None) -> Any:
        """The newest question with buttons, once it is not the one just answered: replies
        leave through the outbox after the acknowledgement, one message at a time."""
        deadline = time.perf_counter() + 5
        while True:
            message = next(
                (m for m in reversed(self.api.bot_messages(chat)) if m.callback_data()), None
            )
            if message is not None and _version(message) != answered:
                return message
            if time.perf_counter() > deadline:
                return None
            await asyncio.sleep(0.01)

    def _finished(self, chat: int) -> bool:
        last = self.api.last_bot_message(chat)
        return last is not None and any(d.endswith("._restart") for d in last.callback_data())


def _version(message: Any) -> tuple[int, int] | None:
    """A message and how many times it was edited (a toggle edits the question in place)."""
    return None if message is None else (message.message_id, len(message.history))


_AVOID = {"_exit", "_restart", "again", "_language", "_human", "talk", "keep", "share"}
_FORWARD = {"ok", "no", "self", "adult", "under18", "shared", "threatened", "real", "yes",
            "social", "search", "us", "gb", "tw", "au", "partner", "known", "removal", "police",
            "_done", "done", "_continue", "unsure", "skip"}  # fmt: skip


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_scenario(sc: Scenario, chats: int, concurrency: int, steps: int,
                       profile: Path | None = None, rate: float = 0.0,
                       updates: int = 0) -> Result:  # fmt: skip
    """`updates`: start new chats until this many updates were sent (else `chats` chats)."""
    result = Result(sc)
    api = _fake_class()()
    await api.start()
    try:
        if sc.limiter:
            api.enforce_flood_limits()
        with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
            async with _workers(sc, api, Path(tmp), result, profile) as workers:
                pids = [pid for pid, _ in workers]

                def sample(n: int) -> None:
                    result.rss_mb.append((n, max(_rss_mb(pid) for pid in pids)))

                load = Load(api, [port for _, port in workers], sc.bot == "echo", steps, seed=7,
                            rate=rate, sample=sample)  # fmt: skip
                cpu_before = sum(_cpu_seconds(pid) for pid, _ in workers)
                calls_before = len(api.calls)
                numbers = iter(range(10**9 if updates else chats))

                async def talker() -> None:
                    for n in numbers:
                        if updates and result.updates >= updates:
                            return
                        await load.chat(http, n, result)

                started = time.perf_counter()
                connector = aiohttp.TCPConnector(limit=concurrency)
                async with aiohttp.ClientSession(connector=connector) as http:
                    await asyncio.gather(*(talker() for _ in range(concurrency)))
                result.seconds = time.perf_counter() - started
                result.cpu_seconds = sum(_cpu_seconds(pid) for pid, _ in workers) - cpu_before
                result.peak_rss_mb = max(_peak_rss_mb(pid) for pid, _ in workers)
                if updates:
                    sample(result.updates)
                result.api_calls = sum(  # HTTP calls: not what rode on a webhook answer
                    1 for c in api.calls[calls_before:] if c.http_method != "WEBHOOK"
                )
                result.peak_sends = api.peak_sends
                result.refused = sum(1 for c in api.calls[calls_before:] if c.status == 429)
    finally:
        await api.stop()
    return result


# ---------------------------------------------------------------- the table


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _rows(results: list[Result]) -> Iterator[list[str]]:
    yield ["scenario", "updates", "upd/s", "ack p50/p95/p99 ms", "reply p50/p95/p99 ms",
           "API calls/upd", "peak sends/s", "429s", "CPU ms/upd", "peak RSS MB",
           "ready s (first start)", "no reply"]  # fmt: skip
    for r in results:
        if r.note:
            yield [r.scenario.label, r.note, *[""] * 10]
            continue
        yield [
            r.scenario.label,
            str(r.updates),
            f"{r.updates / r.seconds:.1f}" if r.seconds else "-",
            "/".join(f"{_pct(r.ack, q):.0f}" for q in (0.5, 0.95, 0.99)),
            "/".join(f"{_pct(r.reply, q):.0f}" for q in (0.5, 0.95, 0.99)),
            f"{r.api_calls / max(r.updates, 1):.2f}",
            str(r.peak_sends),
            str(r.refused),
            f"{1000 * r.cpu_seconds / max(r.updates, 1):.1f}",
            f"{r.peak_rss_mb:.0f}",
            f"{r.start_seconds:.2f}"
            + (f" ({r.first_start_seconds:.2f})" if r.first_start_seconds else ""),
            str(r.lost),
        ]


def print_table(results: list[Result]) -> None:
    rows = list(_rows(results))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def print_rss(results: list[Result]) -> None:
    """RSS of the largest worker every 10,000 updates: flat means no leak."""
    sampled = [r for r in results if r.rss_mb]
    if sampled:
        print(f"\nRSS of the largest worker (MB) every {SAMPLE_EVERY:,} updates and at the end:")
    for r in sampled:
        points = ", ".join(f"{n:,}: {mb:.0f}" for n, mb in r.rss_mb)
        first = r.rss_mb[0][1]
        change = f" ({100 * (r.rss_mb[-1][1] - first) / first:+.1f}% since the first)"
        print(f"  {r.scenario.label}: {points}{change if len(r.rss_mb) > 1 else ''}")


def _print_profile(sc: Scenario, folder: Path, top: int) -> None:
    """Where the workers' CPU went: the costliest functions by own time, all workers."""
    import pstats

    files = sorted(str(p) for p in folder.glob("*.prof"))
    if not files:
        print(f"no profile written for {sc.label}", file=sys.stderr)
        return
    print(f"\n--- {sc.label}: top {top} by own time", file=sys.stderr)
    stats = pstats.Stats(*files, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--chats", type=int, default=100, help="conversations in all (100)")
    parser.add_argument("--concurrency", type=int, default=40, help="chats at a time (40)")
    parser.add_argument("--steps", type=int, default=20, help="most taps per chat (20)")
    parser.add_argument(
        "scenarios", nargs="*", default=["echo", "sqlite", "pg1", "pg2", "sqlite-limited"],
        choices=sorted(SCENARIOS), help="which to run (default: echo sqlite pg1 pg2 "
        "sqlite-limited)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="run the workers under cProfile "
        "and print each scenario's N costliest functions (own time); slows them down",
    )  # fmt: skip
    parser.add_argument(
        "--rate", type=float, default=0.0, metavar="R", help="send updates at a fixed R per "
        "second (open loop: latency at a given load) instead of as fast as replies come",
    )  # fmt: skip
    parser.add_argument(
        "--updates", type=int, default=0, metavar="N", help="keep starting chats until N "
        f"updates were sent (instead of --chats), sampling the workers' RSS every "
        f"{SAMPLE_EVERY:,} updates (a soak: e.g. 50000)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    results = []
    for name in args.scenarios:
        sc = SCENARIOS[name]
        print(f"running: {sc.label} …", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="helpline-profile-") as folder:
            profile = Path(folder) if args.profile else None
            try:
                results.append(
                    await run_scenario(
                        sc,
                        args.chats,
                        args.concurrency,
                        args.steps,
                        profile,
                        args.rate,
                        args.updates,
                    )
                )
            except (OSError, RuntimeError) as exc:
                results.append(Result(sc, note=f"could not run: {type(exc).__name__}: {exc}"[:80]))
            if profile is not None:
                _print_profile(sc, profile, args.profile)
    size = f"{args.updates:,} updates" if args.updates else f"{args.chats} chats"
    pace = f", updates sent at {args.rate:g}/s" if args.rate else ""
    print(f"\n{size}, {args.concurrency} chats at a time{pace}, {os.cpu_count()} cores, one run "
          "(repeat it to see the spread)\n")  # fmt: skip
    print_table(results)
    print_rss(results)


if __name__ == "__main__":
    asyncio.run(main())
