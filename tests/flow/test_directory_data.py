"""The directory's data, as routing tables: who is offered which service for each need.

Sections are picked by tag through `Directory.select`, the same call every results layout
uses, so these rows hold whatever order or folding the results screen has.
"""

from __future__ import annotations

import re

import pytest

from bot.flow.directory import Audience, Directory
from bot.runtime import Runtime
from tests.flow.walk import to_results

COUNTRIES = ["us", "gb", "au", "ca", "tw", "kr"]
ADULT_ONLY = {"stopncii", "gb-rph", "rph-outside-uk", "ca-bc-iips"}


def offered(
    directory: Directory,
    country: str | None,
    tag: str,
    images: Audience = "adult",
    users: Audience = "adult",
    **facts: str | list[str],
) -> list[str]:
    facts = {"country": country, **facts} if country else dict(facts)
    chosen = directory.select(
        country=country, tags=[tag], images=images, users=users, facts=facts, limit=50
    )
    return [r.id for r in chosen]


@pytest.fixture(scope="module")
def directory(runtime: Runtime) -> Directory:
    return runtime.directory


def test_taiwan_adult_whose_images_were_shared_gets_siarc_legal_aid_and_police(
    directory: Directory,
) -> None:
    assert offered(directory, "tw", "takedown", what="shared", real="real")[0] == "tw-siarc"
    assert offered(directory, "tw", "legal", what="shared", real="real")[0] == "tw-laf"
    police = offered(directory, "tw", "police", what="shared", real="real")
    assert police[0] == "tw-police"
    assert "tw-165" not in police  # the anti-fraud line is for money demands


def test_taiwan_anti_fraud_line_only_when_someone_is_threatening(directory: Directory) -> None:
    assert "tw-165" in offered(directory, "tw", "police", what="threatened")
    for what in ("shared", "taken", "fear", "unsure"):
        assert "tw-165" not in offered(directory, "tw", "police", what=what)


def test_taiwan_child_gets_siarc_and_iwin_and_adults_never_get_iwin(directory: Directory) -> None:
    child = offered(directory, "tw", "takedown", images="minor", users="minor")
    assert {"tw-siarc", "tw-iwin"} <= set(child)
    assert child.index("tw-siarc") < child.index("tw-iwin")
    assert "tw-iwin" not in offered(directory, "tw", "takedown")
    # 113 is a protection line for every age, also the danger line
    assert "tw-113" in offered(directory, "tw", "dv", images="minor", users="minor")
    assert "tw-113" in directory.countries["tw"].crisis.danger


def test_uk_adult_is_never_offered_the_outside_uk_list(directory: Directory) -> None:
    legal = offered(directory, "gb", "legal")
    assert legal[0] == "gb-rph"
    assert "rph-outside-uk" not in legal
    for country in ("us", "tw", "kr", None):
        assert "rph-outside-uk" in offered(directory, country, "support")


def test_uk_adult_walk_never_shows_the_outside_uk_list_or_the_mix(runtime: Runtime) -> None:
    w = to_results(
        runtime, country="gb", age="adult", wants=["legal", "talk"], relationship="partner"
    )
    shown = set(w.resource_ids())
    assert "gb-rph" in shown
    assert not {"rph-outside-uk", "gb-the-mix"} & shown


def test_report_harmful_content_no_longer_promises_the_adults_helpline(runtime: Runtime) -> None:
    for code in runtime.catalogs.codes:
        text = runtime.catalogs.text(code, "res.gb-report-harmful-content")
        assert "Revenge Porn Helpline" not in text, code


@pytest.mark.parametrize("country", COUNTRIES)
def test_children_are_never_offered_adult_only_services(
    directory: Directory, country: str
) -> None:
    for tag in ("takedown", "legal", "support", "police", "sextortion", "dv", "security"):
        for users in ("minor", "adult"):
            got = set(offered(directory, country, tag, images="minor", users=users))
            assert not got & ADULT_ONLY, (country, tag, users)
    assert "gb-the-mix" not in offered(directory, "gb", "support")  # under-25s only


def test_the_mix_is_for_young_people(directory: Directory) -> None:
    assert "gb-the-mix" in offered(directory, "gb", "support", images="any", users="minor")


# Where the reference found no service, the section stays empty rather than invented:
# Canada has no domestic-violence line, no legal help outside British Columbia (the legal
# topic then lists the Revenge Porn Helpline's page for other countries) and no support service for
# an adult whose images were made as a child (its youth lines serve under-19s); no UK
# legal service takes under-18 images.
KNOWN_GAPS = {
    ("ca", "dv", "adult"),
    ("ca", "dv", "minor"),
    ("ca", "legal", "adult"),
    ("ca", "legal", "minor"),
    ("ca", "support", "minor"),
    ("gb", "legal", "minor"),
}


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_section_the_flow_can_open_has_a_service(directory: Directory, country: str) -> None:
    gaps = set()
    for tag in ("takedown", "police", "legal", "support", "dv", "security", "payment"):
        for images in ("adult", "minor"):
            if not offered(directory, country, tag, images=images, users="any"):
                gaps.add((country, tag, images))
    assert gaps == {g for g in KNOWN_GAPS if g[0] == country}


def test_british_columbia_fills_canadas_adult_legal_gap(directory: Directory) -> None:
    assert offered(directory, "ca", "legal", bc="yes")[0] == "ca-bc-iips"
    assert "ca-bc-iips" not in offered(directory, "ca", "legal", bc="no")


def test_korea_legal_police_and_digital_sex_crime_centre(directory: Directory) -> None:
    assert {"kr-klac", "kr-dsc-center", "kr-sunflower"} <= set(offered(directory, "kr", "legal"))
    assert offered(directory, "kr", "police")[0] == "kr-police-ecrm"
    child = offered(directory, "kr", "takedown", images="minor", users="minor")
    assert "kr-dsc-center" in child


def test_us_legal_section_has_the_federal_remedies(directory: Directory) -> None:
    legal = offered(directory, "us", "legal")
    assert {"us-ccri", "us-civil-remedy", "us-ftc-takeitdown"} <= set(legal)
    assert "us-ndvh" in offered(directory, "us", "dv")


def test_payment_routes_follow_the_situation(directory: Directory) -> None:
    threat = set(offered(directory, "us", "payment", what="threatened"))
    assert {"paypal", "chainabuse", "us-ic3", "us-cashapp"} <= threat
    shared = set(offered(directory, "us", "payment", what="shared"))
    assert "paypal" in shared  # a site that profits from the images
    assert not {"chainabuse", "us-ic3", "us-cashapp"} & shared
    assert "us-cashapp" not in offered(directory, "gb", "payment", what="threatened")


def test_app_store_reports_only_for_made_or_altered_images(directory: Directory) -> None:
    for real in ("ai", "altered"):
        got = set(offered(directory, "tw", "appstore", real=real))
        assert {"apple-report-app", "google-play-report", "cloudflare-abuse"} <= got
    assert offered(directory, "tw", "appstore", real="real") == ["cloudflare-abuse"]


@pytest.mark.parametrize("country", [*COUNTRIES, None])
def test_everyone_gets_account_security_steps(directory: Directory, country: str | None) -> None:
    pairs: list[tuple[Audience, Audience]] = [("adult", "adult"), ("minor", "minor")]
    for images, users in pairs:
        got = offered(directory, country, "security", images=images, users=users)
        assert "refuge-tech-safety" in got
    steps = next(r for r in directory.global_.resources if r.id == "refuge-tech-safety")
    assert "res.security_steps" in steps.extra


def test_security_steps_name_two_step_sessions_and_location(runtime: Runtime) -> None:
    text = runtime.catalogs.text("en", "res.security_steps")
    for words in ("two-step verification", "signed in", "location sharing"):
        assert words in text


def test_every_phone_number_can_be_dialled(directory: Directory) -> None:
    for rid, res in directory.resources.items():
        for c in res.contacts:
            if c.kind in ("phone", "sms"):
                number = re.sub(r",?\s*ext\.\s*\d+$", "", c.value)  # "… ext. 5086" is fine
                assert not re.search(r"[A-Za-z]", number), (rid, c.value)


def test_numbers_written_out_from_letters_stay_marked_unverified(directory: Directory) -> None:
    fbi = directory.resources["us-fbi"]
    phone = next(c for c in fbi.contacts if c.kind == "phone")
    assert phone.value == "1-800-225-5324"  # 1-800-CALL-FBI on a keypad
    assert not fbi.contact_verified(phone)
    hsi = directory.resources["us-hsi"]
    assert [c.value for c in hsi.contacts] == ["877-447-4847"]  # 877-4-HSI-TIP
    assert not hsi.verified
