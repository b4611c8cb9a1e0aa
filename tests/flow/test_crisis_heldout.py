"""A regression floor on the held-out crisis set (never tuned on: see the README). The target is
higher (90% per language); this only keeps what has been reached from slipping back."""

from __future__ import annotations

from bot.config import ROOT
from bot.flow.bench_crisis import Score, load_set, score
from bot.runtime import Runtime

HELDOUT = ROOT / "tests" / "data" / "crisis" / "heldout"


def test_the_held_out_set_is_caught_at_least_as_well_as_measured(runtime: Runtime) -> None:
    total = Score()
    sets = load_set(HELDOUT)
    assert len(sets) == 16
    for messages in sets.values():
        total.add(score(runtime.engine.crisis, messages))
    assert total.danger_caught >= 0.75 * total.danger  # measured: 77.0%
    assert total.selfharm_caught >= 0.77 * total.selfharm  # measured: 78.7%
    assert total.false_alarms <= 0.025 * total.ordinary  # measured: 2.1%
