"""Routing as a table: answers in, the services a survivor is shown out."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from tests.flow.walk import to_results

ALWAYS_FOR_MINORS = {"takeitdown"}
ADULT_ONLY = {"stopncii", "gb-rph", "rph-outside-uk", "ca-bc-iips"}

ROUTES: list[tuple[dict[str, str | list[str]], set[str], set[str]]] = [
    # (answers, must be shown, must never be shown)
    ({"age": "under18", "country": "us"}, {"takeitdown", "us-cybertipline"}, ADULT_ONLY),
    (
        {"age": "under18", "age_now": "minor", "country": "gb"},
        {"takeitdown", "gb-iwf-report-remove"},
        ADULT_ONLY,
    ),
    # IWF Report Remove serves people who are under 18 now; Take It Down any age.
    (
        {"age": "under18", "age_now": "adult", "country": "gb"},
        {"takeitdown"},
        ADULT_ONLY | {"gb-iwf-report-remove"},
    ),
    ({"age": "under18", "country": "ca"}, {"takeitdown", "ca-cybertip"}, ADULT_ONLY),
    ({"age": "under18", "country": "au"}, {"takeitdown", "au-accce"}, ADULT_ONLY),
    ({"age": "under18", "country": "tw"}, {"takeitdown", "tw-siarc"}, ADULT_ONLY),
    ({"age": "under18", "who": "parent", "country": "us"}, {"takeitdown"}, ADULT_ONLY),
    ({"age": "under18", "country": "us", "what": "threatened"}, {"us-cybertipline"}, ADULT_ONLY),
    (
        {"age": "adult", "country": "us", "has_file": "yes"},
        {"stopncii", "us-ccri"},
        {"takeitdown", "us-cybertipline"},
    ),
    ({"age": "adult", "country": "gb", "has_file": "yes"}, {"stopncii", "gb-rph"}, {"takeitdown"}),
    ({"age": "adult", "country": "au", "has_file": "yes"}, {"stopncii", "au-esafety"}, set()),
    ({"age": "adult", "country": "tw"}, {"tw-siarc"}, set()),
    ({"age": "adult", "country": "kr"}, {"kr-1366"}, set()),
    ({"age": "adult", "has_file": "no"}, set(), {"stopncii", "takeitdown"}),
    ({"age": "unsure"}, {"stopncii", "takeitdown"}, set()),
    ({"where": ["search"], "real": "real"}, {"google-real"}, {"google-fake"}),
    ({"where": ["search"], "real": "ai"}, {"google-fake"}, {"google-real"}),
    ({"where": ["search"], "real": "unsure"}, {"google-real", "google-fake"}, set()),
    ({"where": ["social"]}, {"meta-ncii"}, {"google-real", "google-fake"}),
    ({"country": "ca", "bc": "yes"}, {"ca-bc-iips"}, set()),
    ({"country": "ca", "bc": "no"}, set(), {"ca-bc-iips"}),
    ({"country": "us", "what": "threatened", "wants": ["stop", "police"]}, {"us-fbi"}, set()),
    ({"country": "au", "relationship": "partner"}, {"au-1800respect"}, set()),
    ({"country": "gb", "wants": ["police"]}, {"gb-police-101"}, set()),
    ({"country": "other"}, {"stopncii"}, {"us-ccri", "gb-rph", "tw-siarc", "au-esafety"}),
    ({"country": "us", "wants": ["talk"]}, {"us-988"}, set()),
    (
        {"who": "self", "age": "under18", "age_now": "minor", "country": "gb"},
        {"gb-childline"},
        ADULT_ONLY,
    ),
]


@pytest.mark.parametrize(("answers", "shown", "never"), ROUTES, ids=lambda v: str(v)[:60])
def test_answers_route_to_the_right_services(
    runtime: Runtime, answers: dict[str, str | list[str]], shown: set[str], never: set[str]
) -> None:
    got = set(to_results(runtime, **answers).resource_ids())
    assert shown <= got, f"missing {shown - got}; got {sorted(got)}"
    assert not never & got, f"should not show {never & got}"


def test_images_made_under_18_never_reach_adult_services_in_any_country(runtime: Runtime) -> None:
    for country in [*runtime.directory.countries, "other"]:
        if country == "global":
            continue
        for what in ("shared", "threatened", "taken", "fear", "unsure"):
            got = set(
                to_results(
                    runtime,
                    age="under18",
                    country=country,
                    what=what,
                    wants=["removal", "police", "legal", "talk"],
                ).resource_ids()
            )
            assert got >= ALWAYS_FOR_MINORS, (country, what)
            assert not ADULT_ONLY & got, (country, what, ADULT_ONLY & got)


def test_every_hashing_service_shown_says_its_limits(runtime: Runtime) -> None:
    w = to_results(runtime, age="unsure")
    text = w.text()
    assert "participat" in text.lower() or "take part" in text.lower()
    assert "edited copy" in text.lower() or "new hash" in text.lower()


def test_a_country_without_its_own_services_says_so_and_gets_global_ones(runtime: Runtime) -> None:
    w = to_results(runtime, country="other")
    assert "results.other_country" in w.shown_keys()
    assert all(runtime.directory.origin[r] == "global" for r in w.resource_ids())


def test_sextortion_advice_comes_with_threats(runtime: Runtime) -> None:
    text = to_results(runtime, what="threatened").text()
    for advice in (
        "Don't pay",
        "Stop replying",
        "Screenshot the threats",
        "Don't delete your account",
    ):
        assert advice in text
    assert "Don't pay" not in to_results(runtime, what="shared", wants=["removal"]).text()


def test_evidence_advice_fits_the_situation(runtime: Runtime) -> None:
    minor = to_results(runtime, age="under18").shown_keys()
    assert "results.evidence.minor" in minor and "results.minor.no_copies" in minor
    threat = to_results(runtime, what="threatened").shown_keys()
    assert "results.evidence.threat" in threat
    assert "results.evidence.text" in to_results(runtime, what="shared").shown_keys()


def test_results_are_sent_protected_from_forwarding(runtime: Runtime) -> None:
    w = to_results(runtime)
    assert all(r.sensitive for r in w.replies if r.kind == "results")


def test_services_for_young_people_go_only_to_someone_under_18_now(runtime: Runtime) -> None:
    youth = {"ca-kids-help-phone", "ca-texted", "ca-c3p-support", "gb-childline"}
    helper = set(to_results(runtime, who="friend", age="adult", country="ca",
                            wants=["talk"]).resource_ids())  # fmt: skip
    assert not youth & helper
    w = to_results(runtime, who="friend", age="adult", country="ca").pick("talk")
    assert "Kids Help Phone" not in w.text()
    young = set(to_results(runtime, who="self", age="under18", age_now="minor", country="ca",
                           wants=["talk"]).resource_ids())  # fmt: skip
    assert "ca-kids-help-phone" in young
