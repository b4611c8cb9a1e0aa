"""What the running bot is assembled from: complete languages are offered, and every language's
crisis words are watched for, finished translation or not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner

from bot import runtime as runtime_module
from bot.cli import main
from bot.config import ROOT, Settings
from bot.flow import keys
from bot.runtime import Runtime, cache_key, load_runtime, save_cache
from tests.conftest import TYPED_BEFORE_SAVING


def test_crisis_words_of_a_language_still_being_translated_are_watched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setenv("HELPLINE_LOCALES_DIR", str(tmp_path / "locales"))
    monkeypatch.setenv("HELPLINE_FLOWS_DIR", str(tmp_path / "flows"))
    assert CliRunner().invoke(main, ["locales", "new", "cy"]).exit_code == 0
    po = polib.pofile(str(tmp_path / "locales" / "cy.po"))
    po.find(keys.CRISIS_WORDS["selfharm"], by="msgctxt").msgstr = "lladd fy hun"
    po.save()

    runtime = load_runtime(
        Settings(_env_file=None, flows_dir=tmp_path / "flows", locales_dir=tmp_path / "locales")  # type: ignore[call-arg]
    )
    assert "cy" not in runtime.catalogs.codes  # the Welsh screens are not finished: not offered
    assert runtime.engine.crisis.match("dw i eisiau lladd fy hun heno") == "selfharm"


# ---------------------------------------------------------------- the start-up cache

CRISIS_TEXTS = {  # the word lists and the regexes of unspaced scripts, after a restart
    "I want to kill myself tonight": "selfharm",
    "我想死": "selfharm",
    "死にたい": "selfharm",
    "죽고 싶어": "selfharm",
    "what time does the office open": None,
}


def _copy_data(folder: Path) -> Settings:
    shutil.copytree(ROOT / "flows", folder / "flows")
    shutil.copytree(ROOT / "locales", folder / "locales")
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        flows_dir=folder / "flows",
        locales_dir=folder / "locales",
        data_dir=folder / "data",
    )


def _shipped(data_dir: Path) -> Settings:
    """The shipped flows/ and locales/, with the start-up cache under `data_dir`."""
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def cached(runtime: Runtime, startup_cache: Path) -> Settings:
    """Data whose runtime a first start built, used on a message, and saved: the shipped data,
    whose first start is the session's runtime (conftest.py's `startup_cache`)."""
    settings = _shipped(startup_cache)
    assert not runtime.cached and runtime.key == cache_key(settings)
    return settings


def _cache_file(settings: Settings) -> Path:
    (path,) = (settings.data_dir / "cache").glob("runtime-*.pickle")
    return path


def test_a_restart_uses_the_cache_and_finds_crisis_words_in_every_script(
    cached: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = load_runtime(cached)
    assert runtime.cached

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a regex compiled while a message waited")

    monkeypatch.setattr(re, "compile", no_compile)  # every regex came compiled from the cache
    for text, kind in CRISIS_TEXTS.items():
        assert runtime.engine.crisis.match(text) == kind, text
    monkeypatch.undo()
    assert runtime.catalogs.codes == load_runtime(cached).catalogs.codes


def test_the_cache_holds_no_word_a_survivor_typed(cached: Settings) -> None:
    data = _cache_file(cached).read_bytes()
    assert "zqxjkword" in TYPED_BEFORE_SAVING  # matched before the cache was saved
    assert b"zqxjkword" not in data
    assert "死にたい".encode() in data  # it does hold the lists (a check that the test can fail)


def test_a_cache_file_others_can_write_is_not_loaded(cached: Settings, tmp_path: Path) -> None:
    settings = cached.model_copy(update={"data_dir": tmp_path / "data"})
    (tmp_path / "data" / "cache").mkdir(parents=True, mode=0o700)
    copy = tmp_path / "data" / "cache" / _cache_file(cached).name
    shutil.copy(_cache_file(cached), copy)
    copy.chmod(0o600)
    assert load_runtime(settings).cached  # the same file, private: used
    copy.chmod(0o666)
    runtime = load_runtime(settings)
    assert not runtime.cached  # anyone could have planted it: built from the data instead
    assert runtime.engine.crisis.match("我想死") == "selfharm"


def test_an_unwritable_cache_folder_means_building_at_each_start(
    runtime: Runtime, tmp_path: Path
) -> None:
    settings = _shipped(tmp_path / "data")
    settings.data_dir.write_text("not a folder")  # the cache folder cannot be made
    assert runtime.key == cache_key(settings)  # the first start: the session's runtime
    save_cache(runtime, settings)  # says so in the log, raises nothing
    again = load_runtime(settings)
    assert not again.cached
    assert again.engine.crisis.match("I want to kill myself tonight") == "selfharm"


def test_an_edited_crisis_list_is_matched_after_a_restart(
    cached: Settings, tmp_path: Path
) -> None:
    settings = _copy_data(tmp_path)
    # The first start's cache: the copy holds the shipped files, so their cache is what a first
    # start saves; only its name, the key (which covers the folder's path), differs.
    (settings.data_dir / "cache").mkdir(parents=True, mode=0o700)
    shutil.copy(
        _cache_file(cached), settings.data_dir / "cache" / f"runtime-{cache_key(settings)}.pickle"
    )
    restarted = load_runtime(settings)
    assert restarted.cached
    assert restarted.engine.crisis.match("viene el quorblatt") is None
    po = polib.pofile(str(settings.locales_dir / "es.po"))
    entry = po.find(keys.CRISIS_WORDS["danger"], by="msgctxt")
    entry.msgstr += "\nviene el quorblatt"
    po.save()

    runtime = load_runtime(settings)
    assert not runtime.cached
    assert runtime.engine.crisis.match("viene el quorblatt") == "danger"


def test_a_change_to_the_bot_code_makes_a_new_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "bot"
    code.mkdir()
    (code / "engine.py").write_text("STEP = 1\n")
    monkeypatch.setattr(runtime_module, "_CODE", code)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    before = cache_key(settings)
    assert cache_key(settings) == before
    (code / "engine.py").write_text("STEP = 2\n")
    assert cache_key(settings) != before
