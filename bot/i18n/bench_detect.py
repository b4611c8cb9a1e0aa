"""Benchmark of the language hint: ``python -m bot.i18n.bench_detect [DATA_DIR]``.

Prints accuracy per language on the held-out messages in tests/data/langid (one message per
line in ``<locale>.txt``; abstaining counts as wrong there), the outcome on the hard sets
(``*.tsv``: text, tab, the one acceptable answer or "none"; abstaining is fine there), time per
call, and the memory the detector adds. ``hard.tsv`` is scored with the eight locales its labels
assume, every other set with all sixteen. ``python -m bot.i18n.bench_detect tests/data/langid/dev``
scores the tuning set the same way. Standard library only, so it runs wherever the bot runs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "langid"
SUPPORTED = (
    "en", "zh-TW", "es", "fr", "ar", "pt-BR", "vi", "ko",
    "id", "fil", "th", "zh-Hans", "ja", "hi", "de", "fa",
)  # fmt: skip
SUPPORTED_8 = SUPPORTED[:8]  # the locales hard.tsv's labels assume
HARD_SETS_8 = frozenset({"hard"})
EXPECTED_FOR = {"pt-PT": "pt-BR"}  # a data set whose name is not the locale it expects
MIN_ACCURACY = 0.95
ROUNDS = 5


def rss_mib() -> float:
    """Current resident set size, from /proc (Linux) or the peak from getrusage elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def read_hard(path: Path) -> list[tuple[str, str]]:
    rows = (line.split("\t") for line in path.read_text("utf-8").splitlines() if line)
    return [(text, expected) for text, expected in rows]


def main(argv: list[str]) -> int:
    """Load, score and time the detector; exit 1 if any language is below 95%."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.i18n.bench_detect",
        description="Accuracy per language, time per call and memory of the language hint.",
    )
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="a data folder")
    data: Path = parser.parse_args(argv).data
    if not any(data.glob("*.txt")) and not any(data.glob("*.tsv")):
        parser.error(f"no <locale>.txt or *.tsv message files in {data}")
    rss_before = rss_mib()
    start = time.perf_counter()
    from bot.i18n.detect import LanguageDetector

    detector = LanguageDetector(SUPPORTED)
    detector.detect("bonjour tout le monde")  # the model loads lazily, on the first message
    # that no word list decides
    load_s = time.perf_counter() - start
    rss_loaded = rss_mib()
    detector_8 = LanguageDetector(SUPPORTED_8)

    sets = {p.stem: p.read_text("utf-8").splitlines() for p in sorted(data.glob("*.txt"))}
    hard_sets = {p.stem: read_hard(p) for p in sorted(data.glob("*.tsv"))}
    print(f"{'set':<8} {'expect':<7} {'correct':>8} {'wrong':>6} {'abstain':>8} {'accuracy':>9}")
    ok = True
    for name, lines in sets.items():
        expected = EXPECTED_FOR.get(name, name)
        answers = [detector.detect(t) for t in lines]
        right = sum(a == expected for a in answers)
        abstain = sum(a is None for a in answers)
        ok &= right >= MIN_ACCURACY * len(lines)
        print(
            f"{name:<8} {expected:<7} {right:>4}/{len(lines):<3} {len(lines) - right - abstain:>6}"
            f" {abstain:>8} {right / len(lines):>9.1%}"
        )
        for text, answer in zip(lines, answers, strict=True):
            if answer != expected:
                print(f"    miss: {text!r} -> {answer}")
    for name, hard in hard_sets.items():
        judge = detector_8 if name in HARD_SETS_8 else detector
        answers = [judge.detect(text) for text, _ in hard]
        wrong = [(t, e, a) for (t, e), a in zip(hard, answers, strict=True) if a not in (None, e)]
        n_locales = len(SUPPORTED_8 if name in HARD_SETS_8 else SUPPORTED)
        print(
            f"{name} ({n_locales} locales) {len(hard)} cases:"
            f" {sum(a is not None for a in answers) - len(wrong)} right,"
            f" {sum(a is None for a in answers)} abstained, {len(wrong)} wrong"
        )
        for text, expected, answer in wrong:
            print(f"    wrong: {text!r} -> {answer} (acceptable: {expected})")

    texts = [t for lines in sets.values() for t in lines]
    texts += [t for hard in hard_sets.values() for t, _ in hard]
    micros: list[float] = []
    for _ in range(ROUNDS):
        for text in texts:
            t0 = time.perf_counter_ns()
            detector.detect(text)
            micros.append((time.perf_counter_ns() - t0) / 1000)
    micros.sort()
    p95 = micros[int(0.95 * len(micros))]
    print(
        f"time per call: median {statistics.median(micros):.1f} µs, p95 {p95:.1f} µs"
        f" ({len(micros)} calls)"
    )
    print(f"load time (import + first call): {load_s:.3f} s")
    print(
        f"memory: RSS {rss_before:.1f} MiB before import, {rss_loaded:.1f} MiB after load"
        f" (+{rss_loaded - rss_before:.1f} MiB), {rss_mib():.1f} MiB after the run"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
