"""What the running bot is assembled from: complete languages are offered, and every language's
crisis words are watched for, finished translation or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ROOT, Settings
from bot.flow import keys
from bot.runtime import load_runtime


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
