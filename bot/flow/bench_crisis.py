"""How well and how fast the crisis word lists catch crisis messages.

Run `python -m bot.flow.bench_crisis [--dir FOLDER] [--misses] [--model]`.

Reads message sets (one YAML file per locale with lists `danger`, `selfharm`, `ordinary`) from
tests/data/crisis/dev and, when present, tests/data/crisis/heldout (or only `--dir`). Prints per
language: danger and self-harm messages caught (any tier) and how many got a strong tier, and
ordinary messages that raised any alarm. Exits 1 when a target is missed: at least 90% of danger
and of self-harm messages caught, at most 1 false alarm per 30 ordinary messages, per language.

With `--model`, also (b) the on-device model alone (bot/flow/crisis_model.py, at its shipped
thresholds) and (c) lists OR model, the model only as a "possible" check-in; the exit status
still follows the lists alone. The model learnt dev and dev2, so its numbers there are in-sample;
the cross-validated ones come from `python -m bot.flow.crisis_model cv`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from bot.config import ROOT, Settings
from bot.flow.crisis import CrisisKind
from bot.flow.crisis_model import ModelTier, load
from bot.i18n.catalog import Catalogs
from bot.runtime import crisis_matcher

CAUGHT_TARGET = 0.9
FALSE_ALARMS_PER = 30  # at most one false alarm per this many ordinary messages
STRONG = ("danger", "selfharm")
SETS = (ROOT / "tests" / "data" / "crisis" / "dev", ROOT / "tests" / "data" / "crisis" / "heldout")


class Matcher(Protocol):
    def match(self, text: str) -> CrisisKind | None: ...
    def explain(self, text: str) -> list[tuple[CrisisKind, str]]: ...
    def forget(self) -> None: ...


@dataclass
class Score:
    danger: int = 0
    danger_caught: int = 0
    danger_strong: int = 0
    selfharm: int = 0
    selfharm_caught: int = 0
    selfharm_strong: int = 0
    ordinary: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("danger", "selfharm", "ordinary"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("danger_caught", "danger_strong", "selfharm_caught", "selfharm_strong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.false_alarms += other.false_alarms

    @property
    def ok(self) -> bool:
        return (
            self.danger_caught >= CAUGHT_TARGET * self.danger
            and self.selfharm_caught >= CAUGHT_TARGET * self.selfharm
            and self.false_alarms * FALSE_ALARMS_PER <= self.ordinary
        )


def _text(item: object) -> str:
    """A message as written, even when YAML read "parent here: my son..." as a mapping."""
    if isinstance(item, dict):
        return " ".join(f"{k}: {v}" for k, v in item.items())
    return str(item)


def load_set(folder: Path) -> dict[str, dict[str, list[str]]]:
    """Locale code -> {"danger": [...], "selfharm": [...], "ordinary": [...]}."""
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        out[path.stem] = {k: [_text(t) for t in data.get(k) or []] for k in (*STRONG, "ordinary")}
    return out


def score(matcher: Matcher, messages: dict[str, list[str]]) -> Score:
    s = Score()
    for text in messages["danger"]:
        kind = matcher.match(text)
        s.danger += 1
        s.danger_caught += kind is not None
        s.danger_strong += kind in STRONG
        if kind is None:
            s.misses.append(f"danger missed: {text}")
    for text in messages["selfharm"]:
        kind = matcher.match(text)
        s.selfharm += 1
        s.selfharm_caught += kind is not None
        s.selfharm_strong += kind in STRONG
        if kind is None:
            s.misses.append(f"selfharm missed: {text}")
    for text in messages["ordinary"]:
        kind = matcher.match(text)
        s.ordinary += 1
        if kind is not None:
            s.false_alarms += 1
            why = "; ".join(f"{k}: {p}" for k, p in matcher.explain(text))
            s.misses.append(f"false alarm ({why}): {text}")
    return s


def _pct(n: int, total: int) -> str:
    return f"{n:>3}/{total:<3} {100 * n / total:5.1f}%" if total else "   -        "


def table(name: str, scores: dict[str, Score]) -> list[str]:
    lines = [
        f"== {name}",
        f"{'locale':<7} {'danger caught':>15} {'strong':>7}  {'self-harm caught':>16}"
        f" {'strong':>7}  {'false alarms':>15}  target",
    ]
    total = Score()
    for code, s in [*scores.items(), ("total", total)]:
        if code != "total":
            total.add(s)
        lines.append(
            f"{code:<7} {_pct(s.danger_caught, s.danger):>15} {s.danger_strong:>7}  "
            f"{_pct(s.selfharm_caught, s.selfharm):>16} {s.selfharm_strong:>7}  "
            f"{_pct(s.false_alarms, s.ordinary):>15}  {'ok' if s.ok else 'MISSED'}"
        )
    return lines


def _spread(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
    return f"median {statistics.median(samples) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms"


def timing(matcher: Matcher, texts: list[str]) -> list[str]:
    """Time per call, the first time each word is met (the matcher remembers words) and after."""
    matcher.forget()
    first: list[float] = []
    again: list[float] = []
    for rounds, samples in ((1, first), (3, again)):
        for _ in range(rounds):
            for text in texts:
                start = time.perf_counter()
                matcher.match(text)
                samples.append(time.perf_counter() - start)
    longest = (" ".join(texts) * 20)[:4096]
    fresh = []
    for _ in range(5):
        matcher.forget()
        start = time.perf_counter()
        matcher.match(longest)
        fresh.append(time.perf_counter() - start)
    seen = []
    for _ in range(20):
        start = time.perf_counter()
        matcher.match(longest)
        seen.append(time.perf_counter() - start)
    long_ms = statistics.median(seen) * 1000
    return [
        f"time per call over {len(texts)} messages: {_spread(first)} when new,"
        f" {_spread(again)} when seen before",
        f"a 4096-character message: {min(fresh) * 1000:.3f} ms when new,"
        f" {long_ms:.3f} ms when seen before",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.flow.bench_crisis", description=__doc__)
    parser.add_argument("--dir", type=Path, action="append", help="a message set folder")
    parser.add_argument("--locales", type=Path, default=None, help="catalog folder")
    parser.add_argument("--misses", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--model", action="store_true", help="also the model, and lists OR model")
    args = parser.parse_args(argv)
    locales = args.locales or Settings().locales_dir
    built = time.perf_counter()
    matcher = crisis_matcher(Catalogs.load(locales), model=False)  # (a): the lists alone
    built_ms = (time.perf_counter() - built) * 1000
    both = ModelTier(load(), matcher)
    if args.model:
        thresholds = ", ".join(f"{k} {v}" for k, v in sorted(load().thresholds.items()))
        print(f"model thresholds: {thresholds}; in-sample on the sets it learnt")
    folders = args.dir or [f for f in SETS if f.is_dir()]
    ok = True
    texts: list[str] = []
    for folder in folders:
        sets = load_set(folder)
        if not sets:
            print(f"{folder}: no <locale>.yaml files", file=sys.stderr)
            return 2
        scores = {code: score(matcher, messages) for code, messages in sets.items()}
        print("\n".join(table(str(folder), scores)))
        if args.misses:
            for code, s in scores.items():
                print("\n".join(f"  {code}: {m}" for m in s.misses))
        if args.model:
            for name, other in (("model alone", ModelTier(load())), ("lists OR model", both)):
                extra = {code: score(other, messages) for code, messages in sets.items()}
                print("\n".join(table(f"{folder}: {name}", extra)))
                if args.misses:
                    for code, s in extra.items():
                        print("\n".join(f"  {code}: {m}" for m in s.misses))
        ok = ok and all(s.ok for s in scores.values())
        texts.extend(t for messages in sets.values() for ts in messages.values() for t in ts)
    print(f"matcher built from {locales} in {built_ms:.0f} ms")
    print("\n".join(timing(matcher, texts)))
    if args.model:
        print("lists OR model: " + "; ".join(timing(both, texts)))
    print("all targets met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
