"""Where going to the police can put the survivor at risk (Iran, per flows/resources/ir.yaml),
the results never tell them to go to the police first; they say why, and what is safer."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from tests.flow.walk import to_results


@pytest.mark.parametrize("what", ["shared", "threatened"])
def test_iran_results_never_send_the_survivor_to_the_police(runtime: Runtime, what: str) -> None:
    w = to_results(runtime, country="ir", what=what, wants=["removal", "police", "legal"])
    shown = set(w.shown_keys())
    assert "results.police.text" not in shown and "results.evidence.police_first" not in shown
    assert "res.ir-risk" in shown  # the risk, said plainly, with the safer first steps


def test_elsewhere_the_police_advice_is_still_given(runtime: Runtime) -> None:
    w = to_results(runtime, country="gb", what="threatened", wants=["removal", "police"])
    shown = set(w.shown_keys())
    assert {"results.police.text", "results.evidence.police_first"} <= shown
    assert "res.ir-risk" not in shown
