"""Crisis word lists are each language's own, not translations of the English: editing the
English list must never switch another language's list off."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ROOT, Settings
from bot.flow import keys
from bot.i18n.catalog import Catalogs
from bot.runtime import crisis_matcher

KEY = keys.CRISIS_WORDS["selfharm"]


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setenv("HELPLINE_FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setenv("HELPLINE_LOCALES_DIR", str(tmp_path / "locales"))
    return tmp_path / "locales"


def test_changing_the_english_list_leaves_other_lists_in_force(locales: Path) -> None:
    pot = polib.pofile(str(locales / "helpline.pot"))
    pot.find(KEY, by="msgctxt").msgid += "\nsome new english phrase"
    pot.save()
    assert CliRunner().invoke(main, ["locales", "update"]).exit_code == 0
    es = polib.pofile(str(locales / "es.po")).find(KEY, by="msgctxt")
    assert "fuzzy" not in es.flags
    matcher = crisis_matcher(Catalogs.load(locales), model=False)
    assert matcher.match("quiero matarme") == "selfharm"


def test_a_list_marked_fuzzy_by_an_older_tool_is_still_watched_for(locales: Path) -> None:
    po = polib.pofile(str(locales / "es.po"))
    po.find(KEY, by="msgctxt").flags.append("fuzzy")
    po.save()
    settings = Settings(_env_file=None, locales_dir=locales)  # type: ignore[call-arg]
    matcher = crisis_matcher(Catalogs.load(settings.locales_dir), model=False)
    assert matcher.match("quiero matarme") == "selfharm"
