"""README's "what a survivor sees": real results screens, one per script family, made by the
engine itself so they stay true. After a change to the flow, the services or the words,
write them anew with

    python -m tests.test_readme_screens

and this test checks the README holds exactly what the engine shows.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from bot.runtime import Runtime
from tests.flow.walk import to_results

README = Path(__file__).resolve().parent.parent / "README.md"
_TAGS = re.compile(r"<[^>]+>")
_ISOLATES = re.compile("[\u2066-\u2069]")
_BLOCK = re.compile(r"<!-- screen: (?P<name>[\w-]+) -->\n```text\n(?P<body>.*?)\n```\n", re.S)

# (name, language, who is writing and what happened), as answers to the triage.
SCREENS: list[tuple[str, str, dict[str, str | list[str]]]] = [
    ("en", "en", {"who": "self", "age": "under18", "age_now": "minor", "what": "threatened",
                  "country": "us", "wants": ["removal", "stop"]}),
    ("ar", "ar", {"who": "self", "age": "adult", "what": "shared", "country": "gb"}),
    ("zh-TW", "zh-TW", {"who": "self", "age": "adult", "what": "shared", "country": "tw"}),
    ("es", "es", {"who": "self", "age": "adult", "what": "shared", "real": "ai",
                  "has_file": "no", "where": ["search"], "country": "mx"}),
    ("hi", "hi", {"who": "parent", "age": "under18", "what": "shared", "country": "in"}),
    ("ko", "ko", {"who": "self", "age": "under18", "age_now": "minor", "what": "shared",
                  "real": "ai", "has_file": "no", "country": "kr"}),
    ("ja", "ja", {"who": "friend", "age": "adult", "what": "threatened", "country": "jp",
                  "wants": ["stop"]}),
    ("th", "th", {"who": "self", "age": "adult", "what": "taken", "country": "th"}),
]  # fmt: skip


def screen(runtime: Runtime, lang: str, answers: dict[str, str | list[str]]) -> str:
    """The results and the question under them, as the survivor reads them (buttons last)."""
    w = to_results(runtime, lang, unfold=False, **answers)
    out: list[str] = []
    for reply in w.replies:
        rendered = runtime.renderer.reply(reply, lang, limit=100_000)
        for message in rendered.messages:
            out.append(_ISOLATES.sub("", html.unescape(_TAGS.sub("", message))))
        if rendered.buttons:
            labels = " · ".join(_ISOLATES.sub("", b.label) for b in rendered.buttons)
            out.append(f"[buttons] {labels}")
    return "\n\n".join(out)


def blocks(text: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in _BLOCK.finditer(text)}


def test_the_readme_shows_what_the_engine_shows(runtime: Runtime) -> None:
    kept = blocks(README.read_text(encoding="utf-8"))
    assert set(kept) == {name for name, _, _ in SCREENS}, sorted(kept)
    for name, lang, answers in SCREENS:
        assert kept[name] == screen(runtime, lang, answers), (
            f"README's {name} screen is out of date: python -m tests.test_readme_screens"
        )


def test_each_screen_is_in_its_own_language_and_starts_with_one_step(runtime: Runtime) -> None:
    for name, lang, answers in SCREENS:
        text = screen(runtime, lang, answers)
        start = runtime.catalogs.text(lang, "results.start.title")
        assert text.count(start) == 1, name
        if lang != "en":
            assert "Thank you for telling me" not in text, name


if __name__ == "__main__":
    from bot.config import Settings
    from bot.runtime import load_runtime

    rt = load_runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    text = README.read_text(encoding="utf-8")
    for name, lang, answers in SCREENS:
        fresh = screen(rt, lang, answers)
        text, n = _BLOCK.subn(
            lambda m, name=name, fresh=fresh: (
                m.group(0)
                if m["name"] != name
                else f"<!-- screen: {name} -->\n```text\n{fresh}\n```\n"
            ),
            text,
        )
    README.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {README}\n")
