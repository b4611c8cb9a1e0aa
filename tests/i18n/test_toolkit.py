"""The NGO toolkit: coverage, new locales, translator round trips, graphs, adding a country."""

from __future__ import annotations

import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import polib
import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.config import ROOT
from bot.runtime import Runtime

SHIPPED = ["ar", "es", "fr", "ko", "pt-BR", "vi", "zh-TW"]


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setenv("HELPLINE_FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setenv("HELPLINE_LOCALES_DIR", str(tmp_path / "locales"))
    return tmp_path


def helpline(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_coverage_lists_every_locale_and_passes_when_complete(data: Path) -> None:
    from bot.i18n.catalog import Catalogs
    from bot.i18n.toolkit import coverage

    for c in coverage(Catalogs.load(data / "locales")):  # languages still being translated
        if c.missing or c.fuzzy:
            (data / "locales" / f"{c.code}.po").unlink()
    result = helpline("locales", "coverage")
    assert result.exit_code == 0, result.output
    for code in SHIPPED:
        assert f"{code} " in result.output
    assert "not yet" in result.output  # review status, honestly


@pytest.mark.parametrize("code", SHIPPED)
def test_export_then_import_round_trips_byte_for_byte(data: Path, code: str) -> None:
    path = data / "locales" / f"{code}.po"
    before = path.read_bytes()
    exported = data / f"{code}.export.po"
    assert helpline("locales", "export", "--lang", code, "-o", str(exported)).exit_code == 0
    assert helpline("locales", "import", str(exported)).exit_code == 0
    assert path.read_bytes() == before


def test_exports_pass_the_gettext_toolchain(data: Path) -> None:
    for code in SHIPPED:
        out = data / f"{code}.po"
        helpline("locales", "export", "--lang", code, "-o", str(out))
        check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(out)],
                               capture_output=True, text=True, check=False)  # fmt: skip
        assert check.returncode == 0, check.stderr


def test_exports_carry_context_and_where_each_string_appears(data: Path) -> None:
    text = helpline("locales", "export", "--lang", "zh_TW").output
    assert 'msgctxt "safe.question"' in text
    assert "#: flows/triage.yaml:" in text
    assert "#. Button on every question" in text


def test_a_file_a_translator_reordered_and_rewrapped_still_imports(data: Path) -> None:
    path = data / "locales" / "es.po"
    before = path.read_bytes()
    edited = polib.pofile(str(path), wrapwidth=30)
    entries = list(edited)
    random.Random(4).shuffle(entries)
    edited[:] = entries
    mangled = data / "from-poedit.po"
    edited.save(str(mangled))
    assert mangled.read_bytes() != before
    result = helpline("locales", "import", str(mangled))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before


def test_an_import_with_unknown_keys_is_refused_with_the_keys_named(data: Path) -> None:
    bad = data / "bad.po"
    text = (data / "locales" / "fr.po").read_text("utf-8")
    bad.write_text(text + '\nmsgctxt "no.such.thing"\nmsgid "x"\nmsgstr "y"\n', "utf-8")
    result = CliRunner().invoke(main, ["locales", "import", str(bad)])
    assert result.exit_code != 0 and "no.such.thing" in result.output


def test_language_codes_in_any_form_are_understood(data: Path) -> None:
    for form in ("zh_TW", "zh-Hant-TW", "ZH-tw"):
        assert 'msgctxt "safe.question"' in helpline("locales", "export", "--lang", form).output
    assert helpline("locales", "coverage", "--lang", "PT-br").exit_code == 0


def test_a_new_locale_lists_every_key_and_is_reported_incomplete(data: Path) -> None:
    result = helpline("locales", "new", "cy")
    assert result.exit_code == 0, result.output
    po = polib.pofile(str(data / "locales" / "cy.po"))
    template = polib.pofile(str(data / "locales" / "helpline.pot"))
    assert {e.msgctxt for e in po} == {e.msgctxt for e in template}
    assert po.metadata["X-Native-Review"] == "not yet"
    assert "nplurals=" in po.metadata["Plural-Forms"]
    coverage = CliRunner().invoke(main, ["locales", "coverage"])
    assert coverage.exit_code != 0 and "incomplete: cy" in coverage.output
    # A locale in progress is never offered to survivors (English would show through).
    assert "cy" not in _offered(data)


def test_changing_the_english_marks_translations_fuzzy_with_the_old_text(data: Path) -> None:
    pot = data / "locales" / "helpline.pot"
    pot.write_text(pot.read_text("utf-8").replace(
        'msgid "Who are you asking for?"', 'msgid "Who are you here for?"'), "utf-8")  # fmt: skip
    assert helpline("locales", "update").exit_code == 0
    entry = next(e for e in polib.pofile(str(data / "locales" / "ko.po"))
                 if e.msgctxt == "who.question")  # fmt: skip
    assert "fuzzy" in entry.flags and entry.previous_msgid == "Who are you asking for?"
    assert entry.msgstr  # the old translation is kept for the translator to revise
    coverage = CliRunner().invoke(main, ["locales", "coverage", "--lang", "ko"])
    assert coverage.exit_code != 0 and "fuzzy: who.question" in coverage.output


def test_a_broken_catalog_stops_the_bot_with_file_line_and_key(data: Path) -> None:
    po = data / "locales" / "vi.po"
    text = po.read_text("utf-8")
    start = text.index('msgctxt "crisis.emergency"')
    end = text.index("\n\n", start)
    entry = text[start:end]
    broken = entry.replace("{country}", "{land}")
    po.write_text(text.replace(entry, broken), "utf-8")
    result = CliRunner().invoke(main, ["demo", "--lang", "vi"], input="")
    assert result.exit_code != 0
    assert "vi.po:" in result.output and "crisis.emergency" in result.output
    assert "refusing to start" in result.output


def test_the_graph_shows_every_node_and_branch_in_the_chosen_language(
    data: Path, runtime: Runtime
) -> None:
    mermaid = helpline("flows", "graph", "--lang", "zh-TW").output
    assert mermaid.startswith("flowchart TD")
    for nid in runtime.flow.nodes:
        assert f"    {nid}" in mermaid
    assert runtime.catalogs.text("zh-TW", "safe.ok") in mermaid
    assert "skipped if" in mermaid  # skipped questions are visible too
    dot = helpline("flows", "graph", "--format", "dot").output
    assert dot.startswith("digraph flow {") and "age_now -> what" in dot
    svg = data / "flow.svg"
    assert helpline("flows", "graph", "--format", "svg", "-o", str(svg)).exit_code == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(
        root.findall("{http://www.w3.org/2000/svg}rect")
    ) == len(runtime.flow.nodes)


def test_simulate_replays_a_script_and_prints_the_transcript(data: Path) -> None:
    script = data / "answers.txt"
    script.write_text("1\n2\n3\n1\n2\n1\n", "utf-8")
    result = helpline("flows", "simulate", "--lang", "fr", "--script", str(script))
    assert result.exit_code == 0
    assert "> 1\n" in result.output
    assert "Que se passe-t-il" in result.output or "passe" in result.output


def test_adding_a_country_takes_one_file_and_its_strings(data: Path) -> None:
    """The README's worked example: South Africa, from the research note."""
    (data / "flows" / "resources" / "za.yaml").write_text(
        "country: ZA\n"
        "emergency:\n"
        '  - number: "10111"\n'
        "    for: police\n"
        "    verified: true\n"
        "    sources: [https://www.hirainbow.org/covid-19]\n"
        "crisis:\n"
        "  danger: [findahelpline]     # resource ids: this file's or global.yaml's\n"
        "  selfharm: [findahelpline]\n"
        "resources: []   # add services here, each with sources and a verified flag\n",
        "utf-8",
    )
    pot = data / "locales" / "helpline.pot"
    pot.write_text(pot.read_text("utf-8") + '\nmsgctxt "country.za"\nmsgid "South Africa"\n'
                   'msgstr ""\n', "utf-8")  # fmt: skip
    assert helpline("locales", "update").exit_code == 0
    for code in SHIPPED:  # each translator adds the country's name
        path = data / "locales" / f"{code}.po"
        po = polib.pofile(str(path))
        po.find("country.za", by="msgctxt").msgstr = f"South Africa ({code})"
        po.save(str(path))
    check = helpline("flows", "check")
    assert check.exit_code == 0, check.output
    from bot.config import Settings
    from bot.runtime import load_runtime
    from tests.flow.walk import Walk

    rt = load_runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    w = Walk(rt).start().pick("ok", "yes")
    assert "_cc:za" in [b.id for b in w.prompt.buttons]  # a button on the crisis screen
    w.pick("_cc:za")
    assert "South Africa" in w.text() and "10111" in w.text() and "police" in w.text()


def _offered(root: Path) -> list[str]:
    from bot.config import Settings
    from bot.runtime import load_runtime

    settings = Settings(_env_file=None, flows_dir=root / "flows", locales_dir=root / "locales")  # type: ignore[call-arg]
    return load_runtime(settings).catalogs.codes


def test_a_new_simplified_chinese_is_not_mistaken_for_traditional(data: Path) -> None:
    locales = data / "locales"
    (locales / "zh-Hans.po").unlink()
    traditional = (locales / "zh-TW.po").read_bytes()
    result = helpline("locales", "new", "zh-Hans")
    assert result.exit_code == 0, result.output
    po = polib.pofile(str(locales / "zh-Hans.po"))
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["X-Native-Name"] == "中文 (简体)"
    assert (locales / "zh-TW.po").read_bytes() == traditional
    # zh-CN is the same locale as zh-Hans: refused, naming the file that serves it.
    again = CliRunner().invoke(main, ["locales", "new", "zh_CN"])
    assert again.exit_code != 0 and "zh-Hans.po already exists" in again.output
    # ... and the other commands find the right file too.
    assert "中文 (简体)" in helpline("locales", "export", "--lang", "zh-CN").output


CLDR_PLURALS = {"id": 1, "ja": 1, "th": 1, "zh-Hans": 1, "ko": 1, "vi": 1, "fil": 2, "tl": 2,
                "hi": 2, "fa": 2, "de": 2, "ar": 6}  # fmt: skip
NATIVE = {"id": "Indonesia", "ja": "日本語", "th": "ไทย", "fil": "Filipino", "tl": "Filipino",
          "hi": "हिन्दी", "fa": "فارسی", "de": "Deutsch", "zh-Hans": "中文 (简体)"}  # fmt: skip


@pytest.mark.parametrize("code", sorted(CLDR_PLURALS))
def test_a_new_locale_gets_its_own_plural_rules_and_name_from_cldr(data: Path, code: str) -> None:
    import gettext

    from babel import Locale

    for path in (data / "locales").glob("*.po"):
        path.unlink()  # start every language afresh
    result = helpline("locales", "new", code)
    assert result.exit_code == 0, result.output
    path = data / "locales" / f"{code}.po"
    po = polib.pofile(str(path))
    header = po.metadata["Plural-Forms"]
    assert header.startswith(f"nplurals={CLDR_PLURALS[code]};"), header  # id: not English's 2
    # The formula picks the same form as CLDR's rule for every count.
    rule = Locale.parse(code, sep="-").plural_form
    forms = ["zero", "one", "two", "few", "many", "other"]
    used = [f for f in forms if f in rule.tags or f == "other"]
    plural = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
    for n in [*range(0, 250), 1000, 1_000_000]:
        assert used[plural(n)] == rule(n), (code, n)
    if code in NATIVE:
        assert po.metadata["X-Native-Name"] == NATIVE[code]
    check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stderr
