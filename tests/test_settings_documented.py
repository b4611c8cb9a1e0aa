"""Every setting the code reads is in the README's table, and the deploy files and README name
no setting the code does not read (a typo there would be silently ignored)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"\bHELPLINE_[A-Z_]+[A-Z]\b")


def _settings() -> set[str]:
    return {f"HELPLINE_{name.upper()}" for name in Settings.model_fields}


def _table(readme: str) -> set[str]:
    rows = [line for line in readme.splitlines() if line.startswith("| `HELPLINE_")]
    return {name for row in rows for name in NAME.findall(row.split("|")[1])}


def test_every_setting_is_in_the_readme_table() -> None:
    documented = _table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert _settings() - documented == set(), "add these to the README's settings table"


def test_the_readme_and_deploy_files_name_only_real_settings() -> None:
    files = [ROOT / "README.md", *(p for p in (ROOT / "deploy").rglob("*") if p.is_file())]
    named = {(p.name, n) for p in files for n in NAME.findall(p.read_text(encoding="utf-8"))}
    unknown = sorted((f, n) for f, n in named if n not in _settings())
    assert unknown == []
