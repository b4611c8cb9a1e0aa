"""The README's benchmark command runs end to end and prints its table (figures not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_a_row_per_scenario_with_every_reply_arrived() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.bench", "sqlite", "--chats", "3", "--concurrency", "3",
         "--steps", "6"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip
    header, row = (line for line in out.splitlines() if line.startswith(("scenario", "helpline")))
    names = [c.strip() for c in header.split("  ") if c.strip()]
    cells = [c.strip() for c in row.split("  ") if c.strip()]
    values = dict(zip(names, cells, strict=True))
    assert values["scenario"] == "helpline, SQLite, 1 worker"
    assert int(values["updates"]) >= 3  # at least each chat's /start
    assert values["no reply"] == "0", out
    assert values["429s"] == "0"
