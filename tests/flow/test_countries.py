"""The countries behind the languages: each new country's crisis screens and routes, the risk
warnings where reporting can hurt the survivor, and the migrant case (a survivor's language,
their country of residence's services)."""

from __future__ import annotations

import pytest

from bot.flow import keys
from bot.flow.replies import Join, Param, Text
from bot.flow.state import State
from bot.runtime import Runtime
from tests.flow.test_crisis_screens import crisis_at
from tests.flow.walk import case_id, to_results

# code: (every emergency number, first danger line, first self-harm line, minors' danger line)
CRISIS: dict[str, tuple[list[str], str, str, str | None]] = {
    "jp": (["110", "119"], "jp-dv-plus", "jp-yorisoi", "jp-189"),
    "id": (["112", "110", "118 / 119", "113"], "id-sapa129", "id-healing119", None),
    "ph": (["911"], "ph-ncmh", "ph-ncmh", "ph-bantay-bata"),
    "th": (["191", "1669", "199", "1155"], "th-1300", "th-1323", None),
    "vn": (["113", "115", "114"], "vn-peace-house", "vn-ngay-mai", "vn-111"),
    "in": (["112"], "in-181", "in-telemanas", "in-1098"),
    "de": (["110", "112"], "de-hilfetelefon", "de-telefonseelsorge", None),
    "es": (["112", "091", "062"], "es-016", "es-024", "es-anar"),
    "mx": (["911"], "mx-079", "mx-linea-vida", None),
    "fr": (["112", "17"], "fr-3919", "fr-3114", "fr-119"),
    "br": (["190"], "br-180", "br-cvv", "br-disque100"),
    "ir": (["115", "125"], "findahelpline", "findahelpline", None),
}

# code: (the national route for intimate images an adult sees, the one for images made under 18)
NCII: dict[str, tuple[set[str], set[str]]] = {
    "jp": ({"jp-safeline", "jp-paps"}, {"jp-internet-hotline", "jp-safeline"}),
    "id": ({"id-safenet", "id-aduankonten"}, {"id-safenet"}),
    "ph": ({"ph-aleng-pulis"}, {"ph-makabata", "ph-aleng-pulis"}),
    "th": ({"th-thaihotline"}, {"th-ticac", "th-thaihotline"}),
    "vn": (set(), set()),  # no national body found: StopNCII / Take It Down only
    "in": ({"in-cybercrime"}, {"in-cybercrime"}),
    "de": ({"de-hateaid"}, {"de-internet-beschwerdestelle"}),
    "es": ({"es-aepd"}, {"es-aepd"}),
    "mx": (set(), set()),  # none found; 079 helps with digital violence (legal row below)
    "fr": ({"fr-pharos", "fr-3018"}, {"fr-pharos", "fr-3018"}),
    "br": ({"br-safernet"}, {"br-safernet"}),
    "ir": (set(), set()),  # no safe national route: international ones only
}


@pytest.mark.parametrize("code", sorted(CRISIS))
def test_the_danger_screen_gives_every_emergency_number_and_a_danger_line(
    runtime: Runtime, code: str
) -> None:
    numbers, danger, selfharm, _ = CRISIS[code]
    w = crisis_at(runtime, "danger", code)
    text = w.text()
    assert all(n in text for n in numbers), (numbers, text)
    ids = w.resource_ids()
    assert ids[0] == danger, ids
    if selfharm != danger:
        assert selfharm not in ids  # not the suicide line instead


@pytest.mark.parametrize("code", sorted(CRISIS))
def test_the_self_harm_screen_gives_the_main_number_and_a_self_harm_line(
    runtime: Runtime, code: str
) -> None:
    numbers, _, selfharm, _ = CRISIS[code]
    w = crisis_at(runtime, "selfharm", code)
    text = w.text()
    assert numbers[0] in text
    assert w.resource_ids()[0] == selfharm


@pytest.mark.parametrize("code", [c for c, row in sorted(CRISIS.items()) if row[3]])
def test_a_young_person_sees_the_child_line_first_in_danger(runtime: Runtime, code: str) -> None:
    young = {"who": "self", "age": "under18", "age_now": "minor"}
    assert crisis_at(runtime, "danger", code, **young).resource_ids()[0] == CRISIS[code][3]


@pytest.mark.parametrize("code", sorted(NCII))
def test_an_adult_is_routed_to_the_national_route_and_stopncii(
    runtime: Runtime, code: str
) -> None:
    got = set(to_results(runtime, age="adult", country=code, has_file="yes").resource_ids())
    assert NCII[code][0] | {"stopncii"} <= got, sorted(got)
    assert "takeitdown" not in got


@pytest.mark.parametrize("code", sorted(NCII))
def test_images_made_under_18_get_take_it_down_and_nothing_for_adults_only(
    runtime: Runtime, code: str
) -> None:
    adult_only = {rid for rid, r in runtime.directory.resources.items() if r.images == "adult"}
    young_only = {rid for rid, r in runtime.directory.resources.items() if r.users == "minor"}
    got = set(
        to_results(
            runtime, age="under18", age_now="adult", country=code,
            wants=["removal", "police", "legal", "talk"],
        ).resource_ids()
    )  # fmt: skip
    assert NCII[code][1] | {"takeitdown"} <= got, sorted(got)
    assert not got & adult_only, got & adult_only
    assert not got & young_only  # an adult now asking about old images


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({"country": "jp", "wants": ["police", "legal"]}, {"jp-9110", "jp-houterasu"}),
        ({"country": "id", "wants": ["legal"]}, {"id-sapa129", "id-lbh-apik"}),
        ({"country": "ph", "what": "threatened", "wants": ["police"]}, {"ph-cicc-1326"}),
        ({"country": "th", "wants": ["police", "legal"]}, {"th-police-online", "th-justice-fund"}),
        ({"country": "vn", "wants": ["police", "legal"]}, {"vn-vneid", "vn-legal-aid"}),
        (
            {"country": "in", "what": "threatened", "wants": ["stop", "legal"]},
            {"in-1930", "in-nalsa"},
        ),
        ({"country": "de", "relationship": "partner"}, {"de-hilfetelefon"}),
        ({"country": "es", "wants": ["police"]}, {"es-alertcops"}),
        ({"country": "mx", "wants": ["legal"], "relationship": "partner"}, {"mx-079"}),
        ({"country": "fr", "wants": ["legal"]}, {"fr-116006"}),
        ({"country": "br", "relationship": "partner", "wants": ["legal"]}, {"br-180"}),
    ],
    ids=lambda v: case_id(v, 50),
)
def test_police_legal_and_partner_routes(
    runtime: Runtime, answers: dict[str, str | list[str]], shown: set[str]
) -> None:
    got = set(to_results(runtime, **answers).resource_ids())
    assert shown <= got, f"missing {shown - got}; got {sorted(got)}"


# ---------------------------------------------------------------- where reporting can hurt


def test_iran_offers_no_police_or_court_route_and_warns_plainly(runtime: Runtime) -> None:
    iran = runtime.directory.countries["ir"]
    assert all("police" not in e.serves for e in iran.emergency)
    assert not any("police" in r.tags for r in iran.resources)
    w = to_results(runtime, country="ir", wants=["police", "legal"])
    got = w.resource_ids()
    assert "stopncii" in got and "ir-123" in got
    assert not [r for r in got if "police" in runtime.directory.resources[r].tags]
    text = w.text()
    assert text.index("StopNCII") < text.index("Social Emergency 123")  # international first
    assert "going to the police, the cyber police or the courts can put you yourself at risk" in (
        text
    )
    assert "its teams work with the police" in text


def test_iran_crisis_screens_lead_with_the_international_line(runtime: Runtime) -> None:
    danger = crisis_at(runtime, "danger", "ir")
    assert danger.resource_ids() == ["findahelpline", "ir-123"]
    assert "110" not in danger.text()  # police left out on purpose
    assert crisis_at(runtime, "selfharm", "ir").resource_ids() == ["findahelpline", "ir-1480"]


def test_persian_readers_see_the_iranian_names_and_the_warning_in_their_script(
    runtime: Runtime,
) -> None:
    card = runtime.engine.screens.card(runtime.directory.resources["ir-123"], State(lang="fa"))
    assert dict(card.params)["name"] == "اورژانس اجتماعی ۱۲۳"
    assert "res.ir-risk" in _keys(card)


def test_indonesia_warns_not_to_forward_images(runtime: Runtime) -> None:
    text = to_results(runtime, age="adult", country="id").text()
    assert "Don't forward the images to anyone but the police, SAPA 129 or your lawyer" in text
    assert "It is not anonymous: it asks for your national ID number" in text


# ---------------------------------------------------------------- the migrant case


def _keys(value: Param) -> list[str]:
    if isinstance(value, Text):
        return [value.key, *(k for _, p in value.params for k in _keys(p))]
    if isinstance(value, Join):
        return [k for item in value.items for k in _keys(item)]
    return []


def speaks(runtime: Runtime, rid: str, lang: str) -> bool:
    card = runtime.engine.screens.card(runtime.directory.resources[rid], State(lang=lang))
    return keys.CARD_SPEAKS in _keys(card)


def test_a_vietnamese_speaker_in_taiwan_gets_taiwans_113_marked_as_speaking_vietnamese(
    runtime: Runtime,
) -> None:
    w = crisis_at(runtime, "danger", "tw", lang="vi")
    assert w.resource_ids() == ["tw-113"]
    text = w.text()
    assert "110" in text and "Có hỗ trợ bằng ngôn ngữ của bạn" in text
    results = to_results(runtime, lang="vi", country="tw", relationship="partner")
    assert "tw-113" in results.resource_ids()
    assert "Có hỗ trợ bằng ngôn ngữ của bạn" in results.text()


@pytest.mark.parametrize(
    ("rid", "lang"),
    [
        ("tw-113", "vi"),
        ("tw-113", "id"),
        ("tw-113", "th"),
        ("tw-113", "ja"),
        ("kr-migrant-women", "vi"),
        ("kr-migrant-women", "fil"),  # Tagalog, listed as tl
        ("kr-migrant-women", "th"),
        ("kr-migrant-women", "zh-TW"),
        ("jp-yorisoi", "vi"),
        ("jp-yorisoi", "pt-BR"),
        ("jp-yorisoi", "fil"),
        ("fr-3919", "fa"),
        ("th-samaritans", "en"),
    ],
)
def test_a_service_says_when_it_speaks_the_survivors_language(
    runtime: Runtime, rid: str, lang: str
) -> None:
    assert speaks(runtime, rid, lang)


@pytest.mark.parametrize(
    ("rid", "lang"),
    [
        ("tw-113", "ko"),  # not among its interpreters
        ("tw-siarc", "zh-TW"),  # one language only: nothing to point out
        ("kr-1366", "ko"),
        ("fr-3114", "fr"),
        ("jp-9110", "vi"),  # no languages listed
    ],
)
def test_no_language_line_where_it_would_be_untrue_or_say_nothing(
    runtime: Runtime, rid: str, lang: str
) -> None:
    assert not speaks(runtime, rid, lang)


def test_every_new_country_is_offered_in_the_question_and_the_crisis_picker(
    runtime: Runtime,
) -> None:
    from tests.flow.walk import Walk, walk_to

    w = walk_to(Walk(runtime).start(), "country")
    offered = [b.id for b in w.prompt.buttons] if w.prompt else []
    assert set(CRISIS) <= set(offered) and offered[-1] == "other"
    crisis = Walk(runtime).start().pick("ok", "yes")
    picker = {b.id for b in crisis.prompt.buttons} if crisis.prompt else set()
    assert {f"_cc:{c}" for c in CRISIS} <= picker
