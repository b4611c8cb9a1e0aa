"""`helpline flows check`: broken data is named with file and line, shipped data passes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import ROOT
from bot.flow.check import check_all
from bot.i18n import toolkit


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of flows/ and locales/ to break."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    return tmp_path


def problems(root: Path, every_path: bool = False) -> list[str]:
    """What `flows check` finds; the walk of every path x country (seconds) only if asked."""
    report, _ = check_all(
        root / "flows" / "triage.yaml",
        root / "flows" / "resources",
        root / "locales",
        every_path=every_path,
    )
    return [str(p) for p in report.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line
    )


def test_the_shipped_data_passes(data: Path) -> None:
    assert problems(data, every_path=True) == []


def test_the_command_exits_zero_and_reports_counts_and_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert (
        "nodes" in result.output and "resources" in result.output and "checked in" in result.output
    )


def test_a_target_that_does_not_exist_is_named_with_its_line(data: Path) -> None:
    flow = data / "flows" / "triage.yaml"
    edit(flow, "{id: ok, label: safe.ok, next: danger}", "{id: ok, label: safe.ok, next: dangr}")
    line = line_of(flow, "next: dangr")
    found = problems(data)
    assert any(f"triage.yaml:{line}:" in p and "'dangr'" in p for p in found), found


def test_schema_errors_name_the_field_and_line(data: Path) -> None:
    flow = data / "flows" / "triage.yaml"
    edit(flow, "    type: ask\n    text: safe.question", "    type: ask\n    txet: safe.question")
    found = problems(data)
    line = line_of(flow, "txet:")
    assert any(f"triage.yaml:{line}:" in p and "txet" in p for p in found), found


def test_yaml_syntax_errors_are_reported_not_raised(data: Path) -> None:
    flow = data / "flows" / "triage.yaml"
    edit(flow, "nodes:\n", "nodes:\n  broken: [unclosed\n")
    found = problems(data)
    assert any("YAML syntax error" in p for p in found), found


def test_unreachable_nodes_and_dead_ends_are_found(data: Path) -> None:
    flow = data / "flows" / "triage.yaml"
    text = flow.read_text("utf-8")
    text += (
        "\n  orphan:\n    type: say\n    text: welcome.body\n    next: loop_a\n"
        "  loop_a:\n    type: say\n    text: welcome.body\n    next: loop_b\n"
        "  loop_b:\n    type: route\n    routes: []\n    default: loop_a\n"
    )
    flow.write_text(text, "utf-8")
    found = "\n".join(problems(data))
    assert "'orphan' can never be reached" in found
    assert "'loop_a' loops back to itself without a question" in found


def test_unknown_resource_ids_and_tags_are_found(data: Path) -> None:
    edit(data / "flows" / "triage.yaml", "{ids: [google-real]}", "{ids: [google-reall]}")
    edit(data / "flows" / "triage.yaml", "{tags: [platform]}", "{tags: [platfrom]}")
    found = "\n".join(problems(data))
    assert "unknown resource id 'google-reall'" in found and "unknown tag 'platfrom'" in found


def test_a_key_without_english_text_is_found(data: Path) -> None:
    edit(data / "flows" / "triage.yaml", "text: safe.question", "text: safe.question_new")
    found = "\n".join(problems(data))
    assert "'safe.question_new'" in found and "no English text" in found


@pytest.fixture
def locale(data: Path) -> Callable[[dict[str, str]], Path]:
    """A fresh locale in the copy, with every entry filled from English unless overridden."""

    def make(overrides: dict[str, str]) -> Path:
        import polib

        folder = data / "locales"
        path = folder / "xx-TEST.po"
        path.unlink(missing_ok=True)
        path = toolkit.new_locale(folder, "eo")
        po = polib.pofile(str(path))
        for entry in po:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            else:
                entry.msgstr = overrides.get(entry.msgctxt, entry.msgid)
        po.save(str(path))
        return path

    return make


def test_placeholder_mismatches_between_locales_are_found(locale: Callable[..., Path]) -> None:
    path = locale({"crisis.emergency": "Krizo en {lando}: {number}"})
    found = "\n".join(problems(path.parent.parent))
    reported = next(p for p in found.splitlines() if "unknown placeholder {lando}" in p)
    line = int(reported.split("eo.po:")[1].split(":")[0])
    entry = path.read_text("utf-8").splitlines()[line - 1 : line + 4]
    assert 'msgctxt "crisis.emergency"' in entry, entry
    assert "placeholder {country} is missing" in found


def test_broken_markup_in_a_translation_is_found(locale: Callable[..., Path]) -> None:
    path = locale({"card": "<b>{name}\n{description}\n{contacts}"})
    found = "\n".join(problems(path.parent.parent))
    assert "key 'card': <b> is never closed" in found


def test_wrong_plural_count_and_unknown_keys_are_found(locale: Callable[..., Path]) -> None:
    path = locale({})
    text = path.read_text("utf-8")
    text = text.replace(
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        '"Plural-Forms: nplurals=3; plural=(n != 1);\\n"',
    )
    text += '\nmsgctxt "no.such.key"\nmsgid "x"\nmsgstr "y"\n'
    path.write_text(text, "utf-8")
    found = "\n".join(problems(path.parent.parent))
    assert "plural forms, this language needs 3" in found
    assert "unknown key 'no.such.key'" in found


def test_po_syntax_errors_name_file_and_line(data: Path) -> None:
    path = data / "locales" / "helpline.pot"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([*lines, "", 'msgctxt "x"', 'msgid "unterminated']) + "\n", "utf-8")
    found = problems(data)
    assert any(f"helpline.pot:{len(lines) + 3}: not valid PO syntax" in p for p in found), found


def test_option_ids_too_long_for_telegram_buttons_are_rejected(data: Path) -> None:
    edit(
        data / "flows" / "triage.yaml",
        "{id: ok, label: safe.ok",
        "{id: this-option-id-is-far-too-long-for-a-button, label: safe.ok",
    )
    found = "\n".join(problems(data))
    assert "options.0.id" in found


def test_refusing_to_start_lists_the_problems(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(data / "flows" / "triage.yaml", "next: danger}", "next: nowhere}")
    monkeypatch.setenv("HELPLINE_FLOWS_DIR", str(data / "flows"))
    monkeypatch.setenv("HELPLINE_LOCALES_DIR", str(data / "locales"))
    result = CliRunner().invoke(main, ["demo", "--lang", "en"], input="")
    assert result.exit_code != 0
    assert "nowhere" in result.output and "refusing to start" in result.output


def test_a_country_without_an_emergency_number_is_refused(data: Path) -> None:
    kr = data / "flows" / "resources" / "kr.yaml"
    text = kr.read_text("utf-8")
    start, end = text.index("emergency:\n"), text.index("crisis:\n")
    kr.write_text(text[:start] + text[end:], "utf-8")
    found = problems(data)
    line = line_of(kr, "country: KR")
    assert any(f"kr.yaml:{line}:" in p and "KR has no emergency number" in p for p in found), found


@pytest.mark.parametrize(
    ("need", "old", "message"),
    [
        ("danger", "  danger: [tw-113]\n", "TW has no danger line"),
        ("selfharm", "  selfharm: [tw-1925, tw-1995, tw-1980]\n", "TW has no self-harm line"),
    ],
)
def test_a_country_without_a_danger_or_self_harm_line_is_refused(
    data: Path, need: str, old: str, message: str
) -> None:
    tw = data / "flows" / "resources" / "tw.yaml"
    edit(tw, old, f"  {need}: []\n")
    found = problems(data)
    line = line_of(tw, f"  {need}: []")
    assert any(f"tw.yaml:{line}:" in p and message in p for p in found), found


def test_a_crisis_list_naming_an_unknown_or_foreign_resource_is_refused(data: Path) -> None:
    tw = data / "flows" / "resources" / "tw.yaml"
    edit(tw, "  danger: [tw-113]\n", "  danger: [tw-113, tw-nope, kr-1366]\n")
    found = problems(data)
    line = line_of(tw, "tw-nope")
    assert any(f"tw.yaml:{line}:" in p and "'tw-nope'" in p for p in found), found
    assert any("'kr-1366'" in p and "another country" in p for p in found), found


def test_a_global_line_may_stand_in_for_a_country_and_the_old_list_form_is_explained(
    data: Path,
) -> None:
    tw = data / "flows" / "resources" / "tw.yaml"
    edit(tw, "  danger: [tw-113]\n", "  danger: [findahelpline]\n")
    assert problems(data, every_path=True) == []
    edit(
        tw,
        "crisis:\n  danger: [findahelpline]\n  selfharm: [tw-1925, tw-1995, tw-1980]\n",
        "crisis: [tw-1925]\n",
    )
    found = problems(data)
    assert any("tw.yaml:" in p and "crisis lists lines per need" in p for p in found), found


def test_the_international_list_cannot_be_empty(data: Path) -> None:
    g = data / "flows" / "resources" / "global.yaml"
    edit(g, "  selfharm: [findahelpline]\n", "  selfharm: []\n")
    found = problems(data)
    line = line_of(g, "  selfharm: []")
    assert any(
        f"global.yaml:{line}:" in p and "no international self-harm line" in p for p in found
    ), found


def test_second_hand_emergency_numbers_are_listed_to_verify(data: Path) -> None:
    report, _ = check_all(
        data / "flows" / "triage.yaml", data / "flows" / "resources", data / "locales"
    )
    assert "kr emergency 112" in report.unverified and "kr emergency 119" in report.unverified
    assert not any(u.startswith("tw emergency") for u in report.unverified)  # [V] Taichung


def test_a_section_that_would_list_no_service_fails_for_the_paths_it_empties(data: Path) -> None:
    # Refuge is the UK's only domestic violence service; without the fallback the partner
    # section would promise help and list nothing for the US, Canada and Taiwan's adults.
    flow = data / "flows" / "triage.yaml"
    edit(
        flow,
        "          fallback: {tags: [support, crisis], not_tags: [minors], limit: 2, "
        "fallback: {tags: [crisis], limit: 2}}\n",
        "",
    )
    found = [p for p in problems(data, every_path=True) if "section 'partner'" in p]
    assert any("country=ca" in p and "would list no service" in p for p in found)
    assert not any("country=gb" in p for p in found)  # Refuge is there
    assert all(p.startswith("flows/triage.yaml:") or "triage.yaml:" in p for p in found)


def test_optional_sections_may_be_empty_where_their_condition_says(data: Path) -> None:
    # Germany and Korea lose their police routes; only Korea is allowed a gap there.
    resources = data / "flows" / "resources"
    edit(resources / "de.yaml", "tags: [police, report]", "tags: [support]")
    edit(resources / "kr.yaml", "tags: [police, report, sextortion]", "tags: [sextortion]")
    flow = data / "flows" / "triage.yaml"
    edit(
        flow,
        "optional: {country: other}\n        when: {all:",
        "optional: {country: [other, kr]}\n        when: {all:",
    )
    found = [p for p in problems(data, every_path=True) if "section 'police'" in p]
    assert found and all("country=de" in p for p in found)


def test_a_service_shown_to_an_audience_it_excludes_fails(data: Path) -> None:
    # An "order" cannot smuggle in a service, but an `ids` list of another country's can't
    # either: the walk checks every service shown against age then, age now and country.
    res = data / "flows" / "resources" / "gb.yaml"
    edit(res, "images: adult # its text", "images: any # its text")
    edit(  # as its text once said: cases go on to the Revenge Porn Helpline (adults only)
        data / "locales" / "helpline.pot",
        '"For people aged 13 and over in the UK when a platform hasn\'t acted on a "',
        '"Passed to the Revenge Porn Helpline. For people aged 13 and over in the UK when a '
        "platform hasn't acted on a \"",
    )
    found = problems(data, every_path=True)
    assert any(
        "'gb-report-harmful-content' says “Revenge Porn Helpline”" in p and "age=under18" in p
        for p in found
    ), found[:5]


def test_a_service_whose_text_names_a_foreign_service_fails(data: Path) -> None:
    edit(
        data / "locales" / "helpline.pot",
        'msgctxt "res.meta-ncii"\nmsgid ""\n"Facebook and Instagram',
        'msgctxt "res.meta-ncii"\nmsgid ""\n"Like the Revenge Porn Helpline, '
        "Facebook and Instagram",
    )
    found = problems(data, every_path=True)
    assert any(
        "'meta-ncii' says “Revenge Porn Helpline”" in p and "country=us" in p for p in found
    )


def test_folds_and_order_name_what_exists(data: Path) -> None:
    flow = data / "flows" / "triage.yaml"
    edit(flow, "        fold: legal\n", "        fold: lawyers\n")
    edit(flow, "first: [au-esafety]", "first: [au-esafty]")
    found = problems(data)
    assert any("section 'legal': no fold 'lawyers'" in p for p in found)
    assert any("order: unknown resource id 'au-esafty'" in p for p in found)


def test_a_new_country_with_only_crisis_lines_is_noted_not_refused(data: Path) -> None:
    (data / "flows" / "resources" / "za.yaml").write_text(
        'country: ZA\nemergency:\n  - number: "10111"\n    for: police\n    verified: true\n'
        "    sources: [https://www.hirainbow.org/covid-19]\n"
        "crisis:\n  danger: [findahelpline]\n  selfharm: [findahelpline]\nresources: []\n",
        "utf-8",
    )
    report, _ = check_all(
        data / "flows" / "triage.yaml", data / "flows" / "resources", data / "locales"
    )
    assert not any("country=za" in str(p) for p in report.problems)
    assert any(n.startswith("za: no services of its own yet") for n in report.notes)


def test_a_fingerprint_service_offered_without_the_file_fails(data: Path) -> None:
    # StopNCII hashes the file on the survivor's device: someone who said they have no copy
    # (often a deepfake they never had) must not be sent there.
    res = data / "flows" / "resources" / "global.yaml"
    for _ in range(2):  # both fingerprint services
        edit(res, "    show_if: {not: {has_file: no}} # the fingerprint", "    # the fingerprint")
    found = problems(data, every_path=True)
    assert any(
        "shows 'stopncii', but it fingerprints the file" in p and "has_file=no" in p for p in found
    ), found[:5]
