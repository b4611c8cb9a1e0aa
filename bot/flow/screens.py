"""What the survivor reads, built from the flow, the resource directory and their answers.

Pure functions of (state, env): no state changes. The engine decides *when* to show a results
screen, a crisis screen or /mydata; this module decides *what* is on it, which resources
fit the answers, and what staff see of a case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.flow import keys
from bot.flow.conditions import SKIPPED, holds
from bot.flow.directory import (
    GLOBAL,
    Asker,
    Audience,
    Country,
    Directory,
    Resource,
    Service,
    fits,
)
from bot.flow.model import (
    Ask,
    Condition,
    Flow,
    Fold,
    Handoff,
    Input,
    Results,
    Section,
    Selector,
    TextSpec,
)
from bot.flow.replies import Button, Join, Ltr, Param, Reply, Text
from bot.flow.state import Answer, State


@dataclass(frozen=True, slots=True)
class LocaleInfo:
    code: str
    native_name: str
    reviewed: bool = False
    source: bool = False


@dataclass(frozen=True, slots=True)
class Stored:
    """What the store holds for this survivor, for /mydata and /resume."""

    working_expires: dt.datetime | None = None
    case_expires: dt.datetime | None = None
    in_handoff: bool = False
    code_word: bool = False  # the kept case has a code word: /resume and /mydata ask for it
    locked_for: dt.timedelta | None = None  # too many wrong code words: wait this long


@dataclass(frozen=True, slots=True)
class StaffStatus:
    open_now: bool
    next_open: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What staff see of a case: chosen answers, the message for the team, and risk flags."""

    items: tuple[tuple[Text, Param], ...]
    flags: tuple[str, ...]  # images_minor, user_minor, danger, selfharm


@dataclass(frozen=True, slots=True)
class Env:
    """Facts about the world outside the conversation, given by the host for one step."""

    channel: str = "console"
    storage: bool = False  # a store exists, so answers can be kept with consent
    retention_days: int = 30
    idle_hours: int = 24
    stored: Stored | None = None
    staff: StaffStatus | None = None  # None: no staff chat configured
    client_lang: str | None = None  # the app's language, for a conversation that starts now


# The answers the share consent covers, by the consent's own words (handoff.consent: "your
# language, country, situation, what you'd like, and any safety concerns"). Change the two
# together: tests/staff/test_card_consent.py holds them to each other in every locale.
SHARED_ON_CARD: dict[str, str] = {
    "country": "country",
    "who": "situation",
    "what": "situation",
    "real": "situation",
    "where": "situation",
    "wants": "wants",
    "danger": "safety",
    "selfharm": "safety",
    "age": "safety",
    "age_now": "safety",
}


class Screens:
    """Builds replies from data; shared by the engine and the staff desk."""

    __slots__ = ("country_node", "default_lang", "directory", "flow", "locales")

    def __init__(
        self, flow: Flow, directory: Directory, locales: Sequence[LocaleInfo], default_lang: str
    ) -> None:
        self.flow = flow
        self.directory = directory
        self.locales = tuple(locales)
        self.default_lang = default_lang
        self.country_node = next(
            (nid for nid, n in flow.nodes.items() if isinstance(n, Ask) and n.options_from),
            None,
        )

    def case_summary(self, state: State) -> CaseSummary:
        """The card staff see: exactly what the share consent (handoff.consent) lists, and
        typed text only where the survivor wrote it for the team (an input leading to the
        handoff), never other free text.

        The consent names language (the card's header), country, situation, what they'd like
        and safety concerns; SHARED_ON_CARD says which answers are which, and any other
        answer (who is responsible, whether they still have the file, ...) stays off."""
        for_team = {
            nid
            for nid, n in self.flow.nodes.items()
            if isinstance(n, Input) and isinstance(self.flow.nodes.get(n.next or ""), Handoff)
        }
        items = []
        for (label, answer), nid in zip(self.summary(state), self.summarised(state), strict=True):
            node = self.flow.nodes[nid]
            if isinstance(node, Input) and (nid not in for_team or isinstance(answer, Text)):
                continue  # free text not meant for the team, or a skipped message
            if isinstance(node, Ask) and nid not in SHARED_ON_CARD:
                continue  # not among what the survivor agreed to share
            items.append((label, answer))
        flags: list[str] = []
        images, users = self.audiences(state)
        if images == "minor":
            flags.append("images_minor")
        if users == "minor":
            flags.append("user_minor")
        for nid in state.asked:
            ask = self.flow.nodes.get(nid)
            if not isinstance(ask, Ask):
                continue
            value = state.answers.get(self.flow.answer_name(nid))
            picked = set(value if isinstance(value, list) else [value])
            for option in ask.options:
                if option.id in picked and option.crisis and option.crisis not in flags:
                    flags.append(option.crisis)
        flags += [kind for kind in state.raised if kind in keys.STAFF_FLAG and kind not in flags]
        return CaseSummary(tuple(items), tuple(flags))

    def summarised(self, state: State) -> list[str]:
        """The node ids `summary` lists, in the same order."""
        return [
            nid
            for nid in state.asked
            if isinstance(self.flow.nodes.get(nid), Ask | Input)
            and state.answers.get(self.flow.answer_name(nid)) is not None
        ]

    def facts(self, state: State, env: Env | None = None) -> dict[str, Answer]:
        e = env or Env()
        return {
            **state.answers,
            "channel": e.channel,
            "storage": "true" if e.storage else "false",
            "staff": "true" if e.staff is not None and e.storage else "false",
            "kept": "true" if state.kept else "false",
        }

    def audiences(self, state: State) -> tuple[Audience, Audience]:
        """(age of the person when the images were made, current age of the one asking)."""
        a = self.flow.audience
        facts = self.facts(state)

        def pick(minor: Condition | None, adult: Condition | None) -> Audience:
            if minor is not None and holds(minor, facts):
                return "minor"
            if adult is not None and holds(adult, facts):
                return "adult"
            return "any"

        return pick(a.images_minor, a.images_adult), pick(a.users_minor, a.users_adult)

    def asker(self, state: State) -> Asker:
        """Whether the person shown asks ("self"), or a parent or friend for them ("helper")."""
        a = self.flow.audience
        facts = self.facts(state)
        if a.asker_helper is not None and holds(a.asker_helper, facts):
            return "helper"
        if a.asker_self is not None and holds(a.asker_self, facts):
            return "self"
        return "any"

    def country_of(self, state: State) -> Country | None:
        if self.country_node is None:
            return None
        value = state.answers.get(self.flow.answer_name(self.country_node))
        return self.directory.country(value) if isinstance(value, str) else None

    def summary(self, state: State) -> list[tuple[Text, Param]]:
        """Each answered question with its answer, as shown in /mydata and to staff."""
        out: list[tuple[Text, Param]] = []
        for nid in state.asked:
            node = self.flow.nodes.get(nid)
            if not isinstance(node, Ask | Input):
                continue
            value = state.answers.get(self.flow.answer_name(nid))
            if value is None:
                continue
            label = Text.of(node.summary or self.text_key(node.text, state))
            out.append((label, self.answer_param(nid, value)))
        return out

    def crisis(
        self, state: State, env: Env, kind: str, buttons: bool, token: str | None = None
    ) -> Reply:
        """The screen for one need. Danger: every emergency number (labelled by what it is
        for), then police, domestic- and sexual-violence lines. Self-harm: the main emergency
        number, then suicide and crisis lines. Minors' lines first for someone under 18 now.
        Before the country is known: a short screen with the international lines and the
        country buttons, never every country's numbers."""
        need = "danger" if kind.split(":")[0] == "danger" else "selfharm"
        about_other = kind.endswith(":other")  # a parent or friend, about the one they help
        intro = {
            ("danger", False): keys.CRISIS_DANGER,
            ("selfharm", False): keys.CRISIS_SELFHARM,
            ("danger", True): keys.CRISIS_DANGER_OTHER,
            ("selfharm", True): keys.CRISIS_SELFHARM_OTHER,
        }[need, about_other]
        country = self.country_of(state)
        body: list[Text] = [Text.of(intro)]
        btns: list[Button] = []
        if country is not None:
            body.extend(self.emergency(country, every=need == "danger"))
            cards = [self.card(r, state) for r in self.crisis_lines(state, need)]
            if cards:
                body.append(
                    Text.of(keys.CRISIS_DANGER_LINES if need == "danger" else keys.CRISIS_LINES)
                )
                body.extend(cards)
        else:
            body.append(Text.of(keys.CRISIS_ANYWHERE))
            body.extend(self.card(r, state) for r in self.crisis_lines(state, need))
            if buttons and self.country_node:
                body.append(Text.of(keys.CRISIS_PICK_COUNTRY))
                btns.extend(
                    Button(f"_cc:{c.option_id}", Text.of(c.name_key), names=True)
                    for c in self.directory.national()
                )
        if buttons:
            btns.append(Button("_continue", Text.of(keys.CRISIS_CONTINUE)))
            if env.staff is not None and env.storage and self.flow.entry.human:
                btns.append(Button("_human", Text.of(keys.CRISIS_HUMAN)))
        return Reply(
            tuple(body), tuple(btns), token if buttons else None, "crisis", exit_button=buttons
        )

    def crisis_lines(self, state: State, need: str) -> list[Resource]:
        """The lines for one need: the country's (minors' first for someone under 18 now), or
        the international ones from global.yaml while the country is unknown."""
        country = self.country_of(state)
        _, users = self.audiences(state)
        minor = users == "minor"
        found: list[Resource] = []
        for source in (country, self.directory.global_):
            if source is None:
                continue
            ids = source.crisis.lines(need, minor)
            found = [
                self.directory.resources[i]
                for i in ids
                if i in self.directory.resources
                and fits(self.directory.resources[i], "any", users, self.asker(state))
            ]
            if found:
                break
        return found

    def emergency(self, country: Country, every: bool) -> list[Text]:
        """The country's emergency numbers, each labelled by what it is for when they differ
        ("police 110 · ambulance and fire 119"); only the main one unless `every`."""
        numbers = country.emergency if every else country.emergency[:1]
        if not numbers:
            return []
        if len(numbers) == 1 and _label_keys(numbers[0].serves) == [keys.EMERGENCY_FOR["all"]]:
            return [
                Text.of(
                    keys.CRISIS_EMERGENCY,
                    country=Text.of(country.name_key),
                    number=Ltr(numbers[0].number),
                )
            ]
        items: list[Param] = [
            Text.of(
                keys.CRISIS_EMERGENCY_ITEM,
                service=Join(tuple(Text.of(k) for k in _label_keys(e.serves)), " / "),
                number=Ltr(e.number),
            )
            for e in numbers
        ]
        return [
            Text.of(
                keys.CRISIS_EMERGENCY_NUMBERS,
                country=Text.of(country.name_key),
                numbers=Join(tuple(items), " · "),
            )
        ]

    def short_numbers(self, state: State) -> list[Text]:
        """Help in one glance, for the check-in, /help and the team's absence: the main
        emergency number, one danger line and one self-harm line; or the international
        lines while the country is unknown."""
        country = self.country_of(state)
        body: list[Text] = [Text.of(keys.CRISIS_NOW)]
        ids: list[str] = []
        if country is not None:
            body.extend(self.emergency(country, every=False))
            for need in ("danger", "selfharm"):  # one line each, two different ones if any
                lines = [r.id for r in self.crisis_lines(state, need)]
                ids.extend([i for i in lines if i not in ids][:1])
        else:
            for need in ("danger", "selfharm"):
                ids.extend(r.id for r in self.crisis_lines(state, need) if r.id not in ids)
        body.extend(self.card(self.directory.resources[i], state) for i in ids)
        return body

    def safety_reminder(self, state: State) -> Text:
        """A gentle closing line: the emergency number, and that /help shows crisis lines."""
        country = self.country_of(state)
        if country is None or not country.emergency:
            return Text.of(keys.SAFETY_REMINDER_ANYWHERE)
        return Text.of(
            keys.SAFETY_REMINDER,
            country=Text.of(country.name_key),
            number=Ltr(country.emergency[0].number),
        )

    def flow_text(self, spec: TextSpec, state: State, env: Env) -> Text:
        return Text.of(
            self.text_key(spec, state, env), days=env.retention_days, hours=env.idle_hours
        )

    def text_key(self, spec: TextSpec, state: State, env: Env | None = None) -> str:
        if isinstance(spec, str):
            return spec
        facts = self.facts(state, env)
        for variant in spec:
            if variant.when is None or holds(variant.when, facts):
                return variant.key
        return spec[-1].key

    def results(self, node: Results, state: State, env: Env) -> Reply:
        """The first results screen: "Start here" (one action, from the flow's `lead` rules)
        and the sections that belong to no fold. The folds follow as buttons."""
        facts = self.facts(state, env)
        body: list[Text] = [self.flow_text(node.text, state, env)]
        first_fold = next((i for i, x in enumerate(node.sections) if x.fold), len(node.sections))
        for section in node.sections[:first_fold]:  # "I don't know your country" and the like
            if section.fold is None:
                body.extend(self.section(node, section, state, env) or [])
        lead = next((x for x in node.lead if x.when is None or holds(x.when, facts)), None)
        if lead is not None:
            body.append(Text.of(keys.RESULTS_START, bold=True))
            body.extend(self.flow_text(spec, state, env) for spec in lead.text)
            if lead.resources is not None:
                body.extend(
                    self.card(r, state) for r in self.services(node, lead.resources, state, env)
                )
        if self.folds(node, state, env):
            body.append(Text.of(keys.RESULTS_MORE))
        for section in node.sections[first_fold:]:
            if section.fold is None:
                body.extend(self.section(node, section, state, env) or [])
        body.append(self.safety_reminder(state))
        return Reply(tuple(body), kind="results", sensitive=True)

    def fold(self, node: Results, fold_id: str, state: State, env: Env) -> Reply:
        """One folded topic: its sections, each with its services in order of fit. A service
        an earlier section of the topic listed is not listed again (a section left with
        none is left out, heading and all)."""
        body: list[Text] = []
        seen: set[str] = set()
        for section in node.sections:
            if section.fold == fold_id:
                body.extend(self.section(node, section, state, env, seen) or [])
        return Reply(tuple(body), kind="results", sensitive=True)

    def folds(self, node: Results, state: State, env: Env) -> list[Fold]:
        """The folds with something to show for these answers, in the flow's order."""
        return [
            f
            for f in node.folds
            if any(s.fold == f.id and self.section(node, s, state, env) for s in node.sections)
        ]

    def section(
        self,
        node: Results,
        section: Section,
        state: State,
        env: Env,
        seen: set[str] | None = None,
    ) -> list[Text] | None:
        """A section's heading, text and services; None when it does not apply, or when it
        lists services and finds none (a heading is never shown over nothing). Services in
        `seen` (listed earlier on the same screen) are left out; those listed are added."""
        facts = self.facts(state, env)
        if section.when is not None and not holds(section.when, facts):
            return None
        found: list[Resource] = []
        if section.resources is not None:
            found = self.services(node, section.resources, state, env)
            if seen is not None:
                found = [r for r in found if r.id not in seen]
                seen.update(r.id for r in found)
            if not found:
                return None
        chunk: list[Text] = []
        if section.title:
            chunk.append(Text.of(section.title, bold=True))
        chunk.extend(self.flow_text(spec, state, env) for spec in section.text)
        chunk.extend(self.card(r, state) for r in found)
        return chunk

    def services(self, node: Results, sel: Selector, state: State, env: Env) -> list[Resource]:
        """The services a selector lists for these answers, the flow's `order` first; its
        fallback when it finds none."""
        facts = self.facts(state, env)
        images, users = self.audiences(state)
        country = self.country_of(state)
        current: Selector | None = sel
        while current is not None:
            found = self.directory.select(
                country=country.option_id if country else None,
                ids=current.ids,
                tags=current.tags,
                not_tags=current.not_tags,
                any_tags=current.any_tags,
                only_images=current.images,
                facts=facts,
                images=images,
                users=users,
                asker=self.asker(state),
                limit=len(self.directory.resources),
            )
            if found:
                first = [
                    rid
                    for rule in node.order
                    if rule.when is None or holds(rule.when, facts)
                    for rid in rule.first
                ]
                if not current.ids:
                    rank = {rid: i for i, rid in enumerate(dict.fromkeys(first))}
                    found.sort(key=lambda r: rank.get(r.id, len(rank)))
                return found[: current.limit]
            current = current.fallback
        return []

    def card(self, r: Resource, state: State) -> Text:
        contacts: list[Param] = []
        for c in r.contacts:
            kind = "sms_keyword" if c.kind == "sms" and c.keyword else c.kind
            params: tuple[tuple[str, Param], ...] = (("value", Ltr(c.value)),)
            if c.keyword:
                params = (("keyword", Ltr(c.keyword)), *params)
            line: Param = Text(keys.CONTACT[kind], params)
            if not r.contact_verified(c):
                line = Join((line, Text.of(keys.CARD_UNVERIFIED)), " ")
            contacts.append(line)
        if r.always_open:
            contacts.append(Text.of(keys.CARD_ALWAYS_OPEN))
        # A service with several languages that lists the survivor's (Tagalog: tl or fil):
        # news to a Vietnamese speaker in Taiwan, noise to an English speaker on a global one.
        spoken = {x.split("-")[0].replace("fil", "tl") for x in r.languages}
        mine = (state.lang or "").split("-")[0].replace("fil", "tl")
        global_english = mine == "en" and self.directory.origin.get(r.id) == GLOBAL
        if len(spoken) > 1 and mine in spoken and not global_english:
            contacts.append(Text.of(keys.CARD_SPEAKS))
        if r.asker == "self" and self.asker(state) == "helper":
            contacts.append(Text.of(keys.CARD_FOR_THEM))
        for extra in r.extra:
            contacts.append(Text.of(extra))
        chain = [
            state.lang or self.default_lang,
            (state.lang or "").split("-")[0],
            self.default_lang,
        ]
        return Text.of(
            keys.CARD,
            name=r.display_name(chain),
            description=Text.of(
                r.description_helper
                if r.description_helper and self.asker(state) == "helper"
                else r.description_key
            ),
            contacts=Join(tuple(contacts)),
        )

    def support_cards(self, state: State, env: Env) -> list[Text]:
        country = self.country_of(state)
        images, users = self.audiences(state)
        found = self.directory.select(
            country=country.option_id if country else None,
            tags=["support"],
            images=images,
            users=users,
            asker=self.asker(state),
            limit=3,
            facts=self.facts(state, env),
        )
        crisis = self.crisis_lines(state, "selfharm")
        ids = dict.fromkeys([*(r.id for r in found), *(r.id for r in crisis)])
        return [self.card(self.directory.resources[i], state) for i in ids]

    def mydata(self, state: State, env: Env, unlocked: bool = False) -> Reply:
        """What is stored. With a code word set, the details show only once it is given
        (`unlocked`): whoever holds the phone sees that something is kept, not what, not
        until when (which dates it) and not whether it was shared with the team."""
        if not env.storage:
            return Reply((Text.of(keys.MYDATA_NONE),))
        body: list[Text] = [Text.of(keys.MYDATA_INTRO)]
        if self.guarded(env) and not unlocked:
            body.append(Text.of(keys.MYDATA_GUARDED))
            if env.channel == "telegram":
                body.append(Text.of(keys.MYDATA_MESSAGE_IDS))
            body.append(Text.of(keys.MYDATA_HOW))
            return Reply(tuple(body), sensitive=True)
        items = self.summary(state)
        if items:
            body.append(Text.of(keys.MYDATA_WORKING, hours=env.idle_hours))
            body.extend(Text.of(keys.MYDATA_ITEM, question=q, answer=a) for q, a in items)
        else:
            body.append(Text.of(keys.MYDATA_WORKING_EMPTY, hours=env.idle_hours))
        stored = env.stored
        if stored and stored.case_expires:
            body.append(Text.of(keys.MYDATA_CASE, date=stored.case_expires.date()))
        else:
            body.append(Text.of(keys.MYDATA_NO_CASE))
        if state.mode == "handoff" or (stored and stored.in_handoff):
            body.append(Text.of(keys.MYDATA_HANDOFF))
        if env.channel == "telegram":  # quick exit's list of what to delete, kept even by /delete
            body.append(Text.of(keys.MYDATA_MESSAGE_IDS))
        body.append(Text.of(keys.MYDATA_HOW))
        return Reply(tuple(body), sensitive=True)

    @staticmethod
    def guarded(env: Env) -> bool:
        """A kept case with a code word: its details wait for the word."""
        return bool(env.stored and env.stored.case_expires and env.stored.code_word)

    def about(self) -> Reply:
        body: list[Text] = [Text.of(keys.ABOUT)]
        for loc in self.locales:
            status = (
                keys.ABOUT_SOURCE
                if loc.source
                else (keys.ABOUT_REVIEWED if loc.reviewed else keys.ABOUT_UNREVIEWED)
            )
            body.append(
                Text.of(
                    keys.ABOUT_LOCALE,
                    name=loc.native_name,
                    code=Ltr(loc.code),
                    status=Text.of(status),
                )
            )
        return Reply(tuple(body))

    def answer_param(self, node_id: str, value: Answer) -> Param:
        node = self.flow.nodes[node_id]
        if isinstance(node, Input):
            return Text.of(keys.SKIP) if value == SKIPPED else str(value)
        assert isinstance(node, Ask)
        labels: dict[str, str] = {o.id: o.label for o in node.options}
        if node.options_from == "countries":
            labels.update({c.option_id: c.name_key for c in self.directory.national()})
        values = value if isinstance(value, list) else [value]
        parts: list[Param] = [
            Text.of(labels[v]) if v in labels else Text.of(keys.SKIP) for v in values
        ]
        return Join(tuple(parts), ", ") if len(parts) != 1 else parts[0]


def _label_keys(serves: Sequence[Service]) -> list[str]:
    """Catalog keys naming what an emergency number is for."""
    wanted = set(serves)
    if "all" in wanted or wanted >= {"police", "ambulance", "fire"}:
        return [keys.EMERGENCY_FOR["all"]]
    if wanted >= {"ambulance", "fire"}:
        rest = [keys.EMERGENCY_FOR[s] for s in ("police",) if s in wanted]
        return [*rest, keys.EMERGENCY_FOR["ambulance_fire"]]
    return [keys.EMERGENCY_FOR[s] for s in ("police", "ambulance", "fire") if s in wanted]
