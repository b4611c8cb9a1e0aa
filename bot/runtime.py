"""Assemble what every channel needs from the data folders, refusing broken data.

The bot will not start on a flow, resource file or catalog that `flows check` rejects: a
survivor must never meet a raw key, a missing placeholder or a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.channels.render import Renderer
from bot.config import Settings
from bot.flow import crisis_model, keys
from bot.flow.check import Report, check_all
from bot.flow.crisis import VOWELS_DROPPED, CrisisMatcher
from bot.flow.directory import Directory
from bot.flow.engine import Engine
from bot.flow.model import Flow
from bot.flow.screens import LocaleInfo
from bot.i18n.catalog import Catalogs
from bot.i18n.toolkit import coverage


class DataError(Exception):
    """The data folders have problems; `report` lists them with file and line."""

    def __init__(self, report: Report) -> None:
        super().__init__("\n".join(str(p) for p in report.problems))
        self.report = report


@dataclass(frozen=True, slots=True)
class Runtime:
    flow: Flow
    directory: Directory
    catalogs: Catalogs
    engine: Engine
    renderer: Renderer


def flow_path(settings: Settings) -> Path:
    return settings.flows_dir / "triage.yaml"


def load_runtime(settings: Settings) -> Runtime:
    report, loaded = check_all(  # the walk of every path is `helpline flows check`'s job
        flow_path(settings),
        settings.flows_dir / "resources",
        settings.locales_dir,
        every_path=False,
    )
    if loaded is None or not report.ok:
        raise DataError(report)
    catalogs = offered(loaded.catalogs)
    locales = [
        LocaleInfo(
            code,
            catalogs.by_code[code].native_name,
            reviewed=catalogs.by_code[code].reviewed.strip().lower() in ("yes", "done"),
            source=catalogs.by_code[code].is_source,
        )
        for code in catalogs.codes
    ]
    engine = Engine(
        loaded.flow,
        loaded.directory,
        locales,
        crisis_matcher(loaded.catalogs),  # every language's lists, finished UI or not
        default_lang=catalogs.match(settings.default_locale) or "en",
    )
    return Runtime(loaded.flow, loaded.directory, catalogs, engine, Renderer(catalogs))


def offered(catalogs: Catalogs) -> Catalogs:
    """Only complete translations are offered to survivors; others are work in progress."""
    unfinished = {
        c.code for c in coverage(catalogs) if c.missing or c.fuzzy or c.placeholder_errors
    }
    return Catalogs([catalogs.by_code[c] for c in catalogs.codes if c not in unfinished])


def crisis_matcher(
    catalogs: Catalogs, model: bool = True, exclusions: bool = True
) -> CrisisMatcher:
    """Crisis phrases of every locale at once: a survivor may type in any language.

    With `model`, the on-device classifier (bot/flow/crisis_model.py) adds "possible" (the
    check-in) to messages no phrase matches: on the held-out set it caught 53 more of 512 danger
    and 62 more of 512 self-harm messages than the lists alone, with no more false alarms.
    Without `exclusions`, the not-a-crisis lists are left out (to test they hide no crisis).
    """
    phrases: dict[str, list[str]] = {}
    not_crisis: list[str] = []
    texting: list[str] = []

    def own_list(code: str, key: str) -> list[str]:
        """A language's own list, even marked fuzzy: switching crisis words off because the
        English example list changed would be the worst possible fallback."""
        msg = catalogs.by_code[code].messages.get(key)
        return CrisisMatcher.parse_list(msg.forms[0]) if msg and msg.forms else []

    for code in catalogs.codes:
        for kind, key in keys.CRISIS_WORDS.items():
            phrases.setdefault(kind, []).extend(own_list(code, key))
            if code in VOWELS_DROPPED:
                texting.extend(own_list(code, key))
        if exclusions:
            not_crisis.extend(own_list(code, keys.CRISIS_NOT))
    possible = crisis_model.load().is_possible if model else None
    return CrisisMatcher(phrases, not_crisis, possible, texting)
