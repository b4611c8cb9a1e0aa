"""The terminal demo, driven through its real stdin and stdout in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest

from bot.config import ROOT
from bot.i18n.collate import sort_key
from bot.runtime import Runtime

_NAMES = {  # English country names: the buttons are sorted by the name the survivor reads
    e.msgctxt: e.msgid for e in polib.pofile(str(ROOT / "locales" / "helpline.pot"))
}
COUNTRIES = sorted(
    (p.stem for p in (ROOT / "flows" / "resources").glob("*.yaml") if p.stem != "global"),
    key=lambda c: sort_key(_NAMES[f"country.{c}"], "en"),
)
UK = str(COUNTRIES.index("gb") + 1)
ADULT_PATH = ["1", "2", "3", "1", "2", "1", "1", "1", "1", "6", UK, "5", "1", "5"]
# safe: yes · danger: no · self-harm: no · myself · 18+ · shared · real · has file ·
# social media, Done · United Kingdom · rather not say · removal, Done


NO_DATA = Path("/nonexistent-should-not-be-used")
_data_dir = NO_DATA


@pytest.fixture(autouse=True)
def _startup_cache(startup_cache: Path) -> Iterator[None]:
    """Each demo starts from a data folder holding only the start-up cache (loading it takes a
    fraction of a second; building takes seconds), and must leave that folder as it found it:
    the demo stores nothing. One test starts with no data folder at all, as a fresh checkout."""
    global _data_dir
    before = _listing(startup_cache)
    _data_dir = startup_cache
    yield
    _data_dir = NO_DATA
    assert _listing(startup_cache) == before, "the demo wrote to its data folder"


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    )


def demo(
    *args: str, stdin: str, timeout: float = 60, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    helpline = Path(sys.executable).with_name("helpline")
    command = [str(helpline)] if helpline.exists() else [sys.executable, "-m", "bot"]
    env = {**os.environ, "NO_COLOR": "1", "HELPLINE_DATA_DIR": str(data_dir or _data_dir)}
    return subprocess.run(
        [*command, "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_a_survivor_walks_the_whole_triage_to_results() -> None:
    # Under the results: 1 talk, 2 remove the images, ...; then 6 is "I'm done for now".
    done = demo("--lang", "en", stdin="\n".join([*ADULT_PATH, "2", "6", ""]))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("is it safe for you to chat") < out.index("Are you in danger")
    assert "Here is what can help" in out
    start = out.index("Start here")
    assert "Revenge Porn Helpline" in out[start:]  # adult, UK: the helpline leads
    assert out.index("Stop copies spreading") > start  # StopNCII, once "Remove" is opened
    assert "StopNCII" in out
    assert "Take care of yourself" in out  # "I'm done for now"
    assert "Traceback" not in done.stderr


def test_the_demo_runs_in_traditional_chinese(runtime: Runtime) -> None:
    if "zh-TW" not in runtime.catalogs.codes:
        pytest.fail("zh-TW catalog is not complete")
    done = demo("--lang", "zh-TW", stdin="\n".join(ADULT_PATH) + "\n")
    assert done.returncode == 0, done.stderr
    welcome = runtime.catalogs.text("zh-TW", "welcome.body").splitlines()[0]
    assert welcome in done.stdout
    assert runtime.catalogs.text("zh-TW", "results.start.title") in done.stdout


def test_without_a_language_it_asks_in_every_language(runtime: Runtime) -> None:
    done = demo(stdin="")
    for code in runtime.catalogs.codes:
        assert runtime.catalogs.text(code, "lang.pick") in done.stdout
    assert done.returncode == 0


def test_bad_input_gets_a_clear_answer_never_a_traceback() -> None:
    junk = ["", "hello", "99", "0.5", "/nonsense", "x" * 10_000, "\x1b[31m\x00", "/mydata"]
    done = demo("--lang", "en", stdin="\n".join([*junk, "1", ""]))
    assert done.returncode == 0 and "Traceback" not in done.stderr
    out = done.stdout
    assert "I didn't catch anything there" in out
    assert "Please choose one of the options" in out
    assert "I don't know that command" in out
    assert "Nothing is stored" in out
    assert "Are you in danger" in out  # "1" still answered the first question


def test_crisis_words_typed_anywhere_show_numbers_in_the_next_reply() -> None:
    done = demo("--lang", "en", stdin="1\nI want to kill myself\n")
    after = (
        done.stdout.split("I want to kill myself")[-1]
        if "kill myself" in done.stdout
        else done.stdout
    )
    # country not known yet: the international line and the way to get national numbers
    assert "findahelpline.com" in after and "I'll show the numbers for your country" in after


def test_exit_leaves_at_once() -> None:
    done = demo("--lang", "en", stdin="1\n/exit\n1\n")
    assert done.returncode == 0
    assert "Are you in danger" not in done.stdout.split("/exit")[-1]
    assert done.stdout.rstrip().endswith(">")


def test_end_of_input_ends_the_demo_quietly() -> None:
    done = demo("--lang", "en", stdin="", data_dir=NO_DATA)  # no data folder, no cache: built
    assert done.returncode == 0 and done.stderr == ""
    assert not NO_DATA.exists()
