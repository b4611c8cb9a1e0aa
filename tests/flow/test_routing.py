"""Routing as a table: answers in, the services a survivor is shown out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from tests.flow.walk import case_id, to_results

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
    # Korea's digital sex crime centre serves every age (directory-asia-pacific.md §1).
    (
        {"age": "under18", "age_now": "minor", "country": "kr"},
        {"takeitdown", "kr-dsc-center"},
        ADULT_ONLY,
    ),
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
    # Germany: 110 and the police's Onlinewache (the gap issue 10 left open).
    ({"country": "de", "wants": ["police"]}, {"de-police"}, set()),
    ({"country": "other"}, {"stopncii"}, {"us-ccri", "gb-rph", "tw-siarc", "au-esafety"}),
    ({"country": "us", "wants": ["talk"]}, {"us-988"}, set()),
    (
        {"who": "self", "age": "under18", "age_now": "minor", "country": "gb"},
        {"gb-childline"},
        ADULT_ONLY,
    ),
]


@pytest.mark.parametrize(("answers", "shown", "never"), ROUTES, ids=case_id)
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


# ---------------------------------------------------------------- the results, as a table
#
# country × age group × situation × who is asking → the one "Start here" service, and the
# first services of a topic. Every row is a case a survivor met in issue 10.

TABLE: list[tuple[dict[str, str | list[str]], str, str | None, list[str]]] = [
    # (answers, lead service, topic opened, its first services in order)
    ({"country": "gb", "age": "adult", "what": "shared", "relationship": "partner",
      "wants": ["removal", "legal"]}, "gb-rph", "legal", ["gb-rph"]),
    ({"country": "gb", "age": "adult", "has_file": "yes"}, "gb-rph", "remove",
     ["stopncii", "gb-report-harmful-content", "meta-ncii"]),
    ({"country": "us", "age": "under18", "age_now": "minor", "what": "threatened"},
     "takeitdown", "threat", ["us-cybertipline", "us-ccri", "us-fbi"]),
    ({"country": "us", "age": "under18", "age_now": "minor"}, "takeitdown", "remove",
     ["takeitdown", "us-cybertipline", "inhope"]),
    ({"country": "au", "age": "adult", "real": "ai"}, "au-esafety", "remove",
     ["stopncii", "meta-ncii", "au-esafety"]),
    ({"country": "tw", "age": "adult", "what": "shared"}, "tw-siarc", None, []),
    ({"country": "kr", "age": "adult"}, "kr-1366", None, []),
    ({"country": "ca", "age": "adult", "bc": "yes"}, "ca-bc-iips", None, []),
    ({"country": "ca", "age": "adult", "bc": "no", "has_file": "yes"}, "stopncii", None, []),
    ({"country": "us", "age": "adult", "what": "threatened"}, "us-ccri", "threat",
     ["us-ccri", "stopncii", "us-fbi"]),
    ({"country": "other", "age": "adult"}, "stopncii", None, []),
    ({"country": "gb", "who": "parent", "age": "under18", "what": "threatened"},
     "takeitdown", None, []),
    ({"country": "us", "who": "friend", "age": "adult"}, "us-ccri", None, []),
    # The partner section lists a service in every country.
    ({"country": "us", "relationship": "partner"}, "us-ccri", "support",
     ["us-ndvh", "us-ccri"]),  # the national domestic violence hotline first
    ({"country": "gb", "relationship": "partner"}, "gb-rph", "support", ["gb-refuge"]),
    ({"country": "ca", "relationship": "partner"}, "stopncii", "support", ["ca-988"]),
    ({"country": "kr", "relationship": "partner"}, "kr-1366", "support", ["kr-1366"]),
    # "For young people" lists a service in the US and Korea: a children's helpline (in the
    # US, where the research found none of its own, the directory of them), then the talk lines.
    ({"country": "us", "age": "under18", "age_now": "minor"}, "takeitdown", "support",
     ["chi", "us-988", "us-crisis-text-line"]),
    ({"country": "kr", "age": "under18", "age_now": "minor"}, "takeitdown", "support",
     ["kr-1388"]),
    # Taiwan's SIARC and Korea's digital sex crime centre serve children too: a child's
    # removal list has them before iWIN and INHOPE, and without the file they come first.
    ({"country": "tw", "age": "under18", "age_now": "minor"}, "takeitdown", "remove",
     ["takeitdown", "tw-siarc", "tw-iwin"]),
    ({"country": "tw", "age": "under18", "age_now": "minor", "real": "ai", "has_file": "no"},
     "tw-siarc", "remove", ["tw-siarc", "tw-iwin", "inhope"]),
    ({"country": "kr", "who": "parent", "age": "under18", "real": "ai", "has_file": "no"},
     "kr-dsc-center", "remove", ["kr-dsc-center", "inhope"]),
]  # fmt: skip


def _topic(runtime: Runtime, answers: dict[str, str | list[str]], fold: str) -> list[str]:
    w = to_results(runtime, unfold=False, **answers)
    assert fold in w.folds(), f"{fold} not offered: {w.folds()}"
    return w.pick(fold).resource_ids()


@pytest.mark.parametrize(("answers", "lead", "fold", "first"), TABLE, ids=lambda v: case_id(v, 50))
def test_results_lead_with_one_step_and_list_services_in_order_of_fit(
    runtime: Runtime,
    answers: dict[str, str | list[str]],
    lead: str,
    fold: str | None,
    first: list[str],
) -> None:
    w = to_results(runtime, unfold=False, **answers)
    assert w.lead_ids() == [lead]
    if fold:
        assert _topic(runtime, answers, fold)[: len(first)] == first


def test_the_first_screen_fits_on_a_phone_and_folds_the_rest(runtime: Runtime) -> None:
    for answers in (
        {"age": "under18", "age_now": "minor", "what": "threatened", "country": "us"},
        {"age": "adult", "country": "gb"},
        {"who": "parent", "age": "under18", "country": "tw", "what": "threatened"},
    ):
        w = to_results(runtime, unfold=False, **answers)
        results = next(r for r in w.replies if r.kind == "results")
        text = "\n\n".join(w.rt.renderer.reply(results, "en").messages)
        start = text.index("Start here")
        end = text.index("There is more below")
        assert end - start <= 800, (answers, end - start)
        assert len(w.folds()) >= 3
        # Opening every topic shows everything; each topic is offered once.
        opened = w.open_all()
        assert len(opened) == len(set(opened)) and not w.folds()


# Translations run longer than English: about 30% for text of this length is the usual
# allowance (IBM's globalization guidelines), so a translated "Start here" may take 1,040.
TRANSLATED_LIMIT = 1040


def test_start_here_stays_about_a_screen_long_in_every_language(
    runtime: Runtime, locales: list[str]
) -> None:
    longest: dict[str, int] = {}
    for lang in locales:
        start = runtime.catalogs.text(lang, "results.start.title")
        more = runtime.catalogs.text(lang, "results.more")
        for answers in (
            {"age": "under18", "age_now": "minor", "what": "threatened", "country": "us"},
            {"who": "parent", "age": "under18", "country": "tw", "what": "threatened"},
            {"age": "adult", "country": "au", "real": "ai", "has_file": "no"},
        ):
            w = to_results(runtime, lang, unfold=False, **answers)
            results = next(r for r in w.replies if r.kind == "results")
            text = "\n\n".join(w.rt.renderer.reply(results, lang).messages)
            length = text.index(more) - text.index(start)
            longest[lang] = max(longest.get(lang, 0), length)
    assert longest["en"] <= 800, longest
    assert all(n <= TRANSLATED_LIMIT for n in longest.values()), longest


def test_a_child_is_never_told_about_being_an_adult_and_a_parent_is_spoken_to(
    runtime: Runtime,
) -> None:
    child = to_results(runtime, who="self", age="under18", age_now="minor", what="threatened",
                       country="us")  # fmt: skip
    keys = child.shown_keys()
    assert "results.minor.text_child" in keys and "results.minor.text" not in keys
    assert "even if you're an adult now" not in child.text()
    assert "Tell an adult you trust" in child.text()
    parent = to_results(runtime, who="parent", age="under18", what="threatened", country="gb")
    text, keys = parent.text(), parent.shown_keys()
    # Not even on a service's card: Take It Down's is worded for the parent.
    assert "You are not in trouble" not in text and "before you were 18" not in text
    assert "you can use it with them or for them" in text
    assert "results.sextortion.minor_helper" in keys and "results.helper.minor_gb" in keys
    assert "results.helper.tell" in keys  # who to tell


def test_a_friend_reads_stopnciis_card_as_the_survivors_own_tool(runtime: Runtime) -> None:
    text = to_results(runtime, who="friend", age="adult", country="gb", has_file="yes").text()
    assert "The person in them makes the case on their own device" in text
    assert "For intimate images of you" not in text
    assert "For them to use themselves" in text
    survivor = to_results(runtime, who="self", age="adult", country="gb", has_file="yes").text()
    assert "For intimate images of you taken at 18 or over" in survivor


def test_plain_words_explain_hashes_partner_platforms_and_report_remove(runtime: Runtime) -> None:
    adult = to_results(runtime, age="adult", has_file="yes").text()
    assert "“Partner platforms” are" in adult and "“encrypted apps”" in adult
    child = to_results(runtime, age="under18", age_now="minor", country="gb").text()
    assert "A digital fingerprint (a “hash”) is" in child
    assert "Report Remove asks you to upload" in child  # the upload is the safe route


def _every_path(runtime: Runtime) -> Iterator[dict[str, str | list[str]]]:
    """Country × age group × situation × who is asking (the answers that decide routing)."""
    from bot.flow.coverage import core_paths

    for core in core_paths(runtime.flow, runtime.directory):
        if core.get("has_file", "yes") != "yes":
            continue  # without the file: tests/flow/test_routing_table.py walks those
        for what in ("shared", "threatened", "taken", "fear"):
            yield {**core, "what": what, "where": ["social", "search"],
                   "real": "real", "relationship": "partner",
                   "wants": ["removal", "stop", "police", "legal", "talk"]}  # fmt: skip


def test_no_path_shows_a_heading_over_nothing_or_a_service_that_excludes_the_survivor(
    runtime: Runtime,
) -> None:
    from bot.flow.coverage import excluded
    from bot.flow.model import Results
    from bot.flow.replies import Text
    from bot.flow.screens import Env
    from bot.flow.state import State

    node = next(n for n in runtime.flow.nodes.values() if isinstance(n, Results))
    screens = runtime.engine.screens
    titles = {s.title for s in node.sections if s.title}
    by_name: dict[str, str] = {}  # a card's service by its name (the first, as a search would)
    for r, res in runtime.directory.resources.items():
        by_name.setdefault(res.display_name(["en"]), r)
    paths = 0
    for answers in _every_path(runtime):
        paths += 1
        state = State(answers=dict(answers))
        images, users = screens.audiences(state)
        asker = screens.asker(state)
        country = answers["country"]
        cid = country if isinstance(country, str) and country != "other" else None
        replies = [screens.results(node, state, Env())]
        replies += [
            screens.fold(node, f.id, state, Env()) for f in screens.folds(node, state, Env())
        ]
        lead = [b for b in replies[0].body if b.key == "card"]
        assert lead, answers  # every path has a first step with a service
        for reply in replies[1:]:  # a topic lists each service once
            cards = [str(dict(b.params)["name"]) for b in reply.body if b.key == "card"]
            assert len(cards) == len(set(cards)), (answers, cards)
        for reply in replies:
            body: list[Text] = list(reply.body)
            for i, block in enumerate(body):
                if block.key in titles:
                    after = body[i + 1 :]
                    nxt = next((b for b in after if b.key in titles), None)
                    chunk = after[: after.index(nxt)] if nxt else after
                    assert chunk, (answers, block.key)
                if block.key == "card":
                    rid = by_name[str(dict(block.params)["name"])]
                    why = excluded(
                        runtime.directory.resources[rid],
                        runtime.directory.origin[rid], images, users, cid, asker,
                    )  # fmt: skip
                    assert why is None, (answers, rid, why)
    assert paths > 300


def test_uk_adults_get_the_uk_helpline_for_legal_help_not_its_page_for_other_countries(
    runtime: Runtime,
) -> None:
    uk = _topic(runtime, {"country": "gb", "age": "adult", "wants": ["legal"]}, "legal")
    assert uk[0] == "gb-rph" and "rph-outside-uk" not in uk
    us = _topic(runtime, {"country": "us", "age": "adult", "wants": ["legal"]}, "legal")
    assert us[0] == "us-ccri" and "rph-outside-uk" not in us
    # A country's own legal aid is never pushed aside by the English list for other countries;
    # where the country has no legal service (Canada outside British Columbia, a country the
    # directory does not cover), that list is what the legal topic offers.
    tw = _topic(runtime, {"country": "tw", "age": "adult", "wants": ["legal"]}, "legal")
    assert tw == ["tw-laf"]
    for country in ("ca", "other"):
        shown = _topic(runtime, {"country": country, "age": "adult", "wants": ["legal"]}, "legal")
        assert shown == ["rph-outside-uk"], (country, shown)


def test_services_for_the_young_reach_no_adult_and_no_parent(runtime: Runtime) -> None:
    for who, age in (("self", "adult"), ("parent", "under18"), ("friend", "adult")):
        got = to_results(runtime, who=who, age=age, country="gb", wants=["talk"]).resource_ids()
        assert "gb-the-mix" not in got and "gb-childline" not in got, (who, got)
        platforms = to_results(runtime, who=who, age="under18", country="gb").resource_ids()
        assert "gb-report-harmful-content" not in platforms  # it hands cases to adults' RPH


# ------------------------------------------------ deepfakes, and no copy of the file (issue 10)

HASHING = {"takeitdown", "stopncii"}  # both make the fingerprint from the file on the device


@pytest.mark.parametrize(
    ("who", "key"),
    [
        ("self", "has_file.question_fake"),
        ("parent", "has_file.question_fake_helper"),
        ("friend", "has_file.question_fake_helper"),
    ],
)
def test_someone_shown_in_a_fake_is_told_most_never_had_the_file_before_being_asked(
    runtime: Runtime, who: str, key: str
) -> None:
    from tests.flow.walk import Walk, walk_to

    for real in ("ai", "altered"):
        w = walk_to(Walk(runtime).start(), "has_file", who=who, real=real)
        assert key in w.shown_keys(), (real, w.shown_keys())
        assert "never had it" in w.text()
    real = walk_to(Walk(runtime).start(), "has_file", who=who, real="real")
    assert key not in real.shown_keys() and "never had it" not in real.text()


def test_without_the_file_no_path_offers_a_fingerprint_tool_and_start_here_says_why(
    runtime: Runtime,
) -> None:
    countries = [c for c in runtime.directory.countries if c != "global"] + ["other"]
    for country in countries:
        for who, age, age_now in (
            ("self", "adult", "adult"),
            ("self", "under18", "minor"),
            ("self", "under18", "adult"),
            ("parent", "under18", "adult"),
            ("friend", "unsure", "adult"),
        ):
            for what in ("shared", "threatened"):
                answers: dict[str, str | list[str]] = {
                    "who": who, "age": age, "age_now": age_now, "country": country,
                    "what": what, "real": "ai", "has_file": "no",
                    "wants": ["removal", "police", "legal", "talk"]
                    + (["stop"] if what == "threatened" else []),
                }  # fmt: skip
                first = to_results(runtime, unfold=False, **answers)
                lead = first.lead_ids()
                assert len(lead) == 1 and lead[0] not in HASHING, (answers, lead)
                keys = first.shown_keys()
                assert {
                    "results.lead.no_file",
                    "results.lead.no_file_helper",
                    "results.lead.minor_no_file",
                    "results.lead.minor_no_file_helper",
                } & set(keys), (answers, keys)
                threat = {"results.lead.threat", "results.lead.threat_helper"} & set(keys)
                assert bool(threat) == (what == "threatened"), (answers, keys)
                shown = set(to_results(runtime, **answers).resource_ids())
                assert not HASHING & shown, (answers, HASHING & shown)


def test_a_deepfake_without_the_file_still_gets_platform_and_search_removal(
    runtime: Runtime,
) -> None:
    w = to_results(runtime, real="ai", has_file="no", where=["social", "search"], country="gb")
    got = w.resource_ids()
    assert "google-fake" in got and "meta-ncii" in got and "google-real" not in got
    assert "gb-rph" in got  # a helpline that acts without the file
    assert "Fingerprint (hash) tools need the image on your own device" in w.text()
    # Nowhere else to start: where the fake is, the search form for fakes.
    alone = to_results(runtime, unfold=False, real="ai", has_file="no", where=["search"],
                       country="other")  # fmt: skip
    assert alone.lead_ids() == ["google-fake"]


def test_a_young_person_without_the_file_starts_with_a_service_that_takes_links(
    runtime: Runtime,
) -> None:
    for country, lead in (("us", "us-cybertipline"), ("ca", "ca-cybertip"),
                          ("au", "au-accce"), ("other", "inhope")):  # fmt: skip
        w = to_results(runtime, unfold=False, who="self", age="under18", age_now="minor",
                       real="ai", has_file="no", country=country)  # fmt: skip
        assert w.lead_ids() == [lead], (country, w.lead_ids())
        assert "Tell an adult you trust" in w.text()
        assert "Take It Down needs the image on your device" in w.text()


def test_a_deepfake_with_the_file_keeps_the_fingerprint_tools(runtime: Runtime) -> None:
    adult = to_results(runtime, real="ai", has_file="yes", country="us").resource_ids()
    assert "stopncii" in adult
    young = to_results(runtime, unfold=False, age="under18", age_now="minor", real="ai",
                       has_file="unsure", country="us")  # fmt: skip
    assert young.lead_ids() == ["takeitdown"]


# ------------------------------------------------ who uses a service: the survivor or a helper


def test_a_parent_sees_the_young_persons_own_report_tool_marked_as_theirs_to_use(
    runtime: Runtime,
) -> None:
    parent = to_results(runtime, who="parent", age="under18", country="gb")
    assert "gb-iwf-report-remove" in parent.resource_ids()
    assert "For them to use themselves: you can show them this." in parent.text()
    child = to_results(runtime, who="self", age="under18", age_now="minor", country="gb")
    assert "gb-iwf-report-remove" in child.resource_ids()
    assert "For them to use themselves" not in child.text()
    # Still only for images made under 18, and never to an adult writing for themself.
    adult = to_results(runtime, who="self", age="adult", country="gb").resource_ids()
    assert "gb-iwf-report-remove" not in adult
    assert "gb-iwf-report-remove" not in to_results(runtime, who="parent", age="adult",
                                                    country="gb").resource_ids()  # fmt: skip


def test_a_service_for_parents_and_friends_never_reaches_the_survivor_themself(
    runtime: Runtime,
) -> None:
    from bot.flow.coverage import excluded
    from bot.flow.directory import fits

    parents_line = runtime.directory.resources["us-ndvh"].model_copy(update={"asker": "helper"})
    assert not fits(parents_line, "any", "adult", "self")
    assert fits(parents_line, "any", "any", "helper")
    assert excluded(parents_line, "us", "any", "adult", "us", "self")
    assert excluded(parents_line, "us", "any", "any", "us", "helper") is None
    own_tool = runtime.directory.resources["gb-iwf-report-remove"]
    assert fits(own_tool, "minor", "any", "helper") and not fits(own_tool, "minor", "any", "self")
    assert not fits(own_tool, "adult", "any", "helper")  # made at 18 or over: not for this tool
