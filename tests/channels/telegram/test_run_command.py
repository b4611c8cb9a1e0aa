"""`helpline run` as an operator meets it: bad configuration is one clear line, never a trace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ROOT


def run(tmp_path: Path, startup_cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A data folder a first start left: its start-up cache saves building the runtime again
    # where the configuration gets that far (an unreachable Bot API).
    shutil.copytree(startup_cache, tmp_path / "d")
    helpline = Path(sys.executable).with_name("helpline")
    command = [str(helpline)] if helpline.exists() else [sys.executable, "-m", "bot"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    return subprocess.run([*command, "run"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**clean, "HELPLINE_DATA_DIR": str(tmp_path / "d"),
                                             "HELPLINE_FLOWS_DIR": str(ROOT / "flows"),
                                             "HELPLINE_LOCALES_DIR": str(ROOT / "locales"), **env},
                          check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "HELPLINE_TELEGRAM_TOKEN is not set"),
        ({"HELPLINE_TELEGRAM_TOKEN": "not a token"}, "does not look like a bot token"),
        ({"HELPLINE_TELEGRAM_TOKEN": "123456:ABCDEFGHIJ", "HELPLINE_TELEGRAM_API_URL": "ftp://x"},
         "must be an http(s) URL"),
        ({"HELPLINE_TELEGRAM_TOKEN": "123456:ABCDEFGHIJ",
          "HELPLINE_TELEGRAM_API_URL": "http://127.0.0.1:9"}, "cannot reach the Telegram Bot API"),
        ({"HELPLINE_TELEGRAM_TOKEN": "123456:ABCDEFGHIJ", "HELPLINE_WEBHOOK_URL": "https://x.org/t"},
         "HELPLINE_WEBHOOK_SECRET must be set"),
        ({"HELPLINE_RETENTION_DAYS": "zero"}, "HELPLINE_RETENTION_DAYS"),
    ],
)  # fmt: skip
def test_bad_configuration_stops_with_one_line_and_a_nonzero_exit(
    tmp_path: Path, startup_cache: Path, env: dict[str, str], says: str
) -> None:
    done = run(tmp_path, startup_cache, **env)
    assert done.returncode != 0
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    problem_lines = [line for line in done.stderr.splitlines() if line.startswith("helpline:")]
    assert len(problem_lines) == 1, done.stderr
