"""Every message the bot can send, in every locale, is HTML that Telegram accepts.

Nothing here is sent: each catalog entry and each screen the engine can produce is rendered
and parsed with the fake Bot API's copy of Telegram's HTML parser. Everything is enumerated
from data (catalog keys, plural rules, flow nodes, directory countries and resources, the
command menu), so a new screen, question, country or locale is checked without editing this.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.channels.render import Rendered
from bot.channels.telegram.keyboard import CALLBACK_LIMIT, markup
from bot.flow import keys
from bot.flow.crisis import CrisisMatcher
from bot.flow.events import Choice, CodeWordChecked, Command, Event, Media, Start, TextIn
from bot.flow.model import Ask, End, Input, Results, Say
from bot.flow.replies import CheckCodeWord, Join, Ltr, Param, Reply, SetCodeWord, Text
from bot.flow.screens import Env, StaffStatus, Stored
from bot.flow.state import Answer, State
from bot.i18n.catalog import PLACEHOLDER, placeholders
from bot.runtime import Runtime
from tests.fakebot.markup import EntityParseError, parse_html, utf16_len

TEXT_LIMIT = 4096  # UTF-16 code units after entity parsing (stricter than Telegram's count)
LABEL_LIMIT = 64  # a button label longer than this is cut off on phones
# Bidi isolates and marks: the renderer inserts them; none may sit inside a tag or entity.
_INSERTED = "\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_IN_TAG = re.compile(rf"<[^<>]*[{_INSERTED}][^<>]*>|&[#a-zA-Z0-9]*[{_INSERTED}]")
_OPENS = "\u2066\u2067\u2068"
_ISOLATE = re.compile("[\u2066-\u2069]")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Taipei"))

# Survivor and staff text: markup characters, an entity, right-to-left script, a command,
# emoji with modifiers, a line break and an unbalanced end tag.
HOSTILE: tuple[str, ...] = (
    "Mía <b>&amp; Co",
    'O\'Brien & <Sons> "quoted" </i>',
    "مريم تكتب /exit 🌸",
    "李小龍 👩🏽‍💻 (zh) 24/7",
    "line one\nline two </b> &lt;",
)
LTR: tuple[Ltr, ...] = (
    Ltr("+1 800-843-5678"),
    Ltr("https://example.org/help?a=1&b=<2>"),
    Ltr("help@example.org"),
    Ltr("741741"),
    Ltr("K7Q2-zh-TW"),
)
WHEN: tuple[dt.datetime, ...] = (
    NOW,
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 4, 18, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
)
SPAN: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=12),
    dt.timedelta(hours=3),
    dt.timedelta(days=2),
)
COUNTS: tuple[int, ...] = (*range(0, 112), 1000, 1001, 1_000_000)


# ---------------------------------------------------------------- checking one message


class Problems:
    """Collects every broken message, so one run lists them all with locale and origin."""

    def __init__(self, runtime: Runtime) -> None:
        messages = runtime.catalogs.source().messages
        dotted = sorted((k for k in messages if "." in k), key=len, reverse=True)
        alternatives = "|".join(map(re.escape, dotted))
        self._keys = re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])")
        self.found: list[str] = []
        self.checked = 0
        self._seen: set[str] = set()

    def message(self, html: str, where: str) -> None:
        if html in self._seen:  # the same words from another screen: checked already
            return
        self._seen.add(html)
        bad = _IN_TAG.search(html)
        if bad:
            self.found.append(f"{where}: inserted character inside {bad.group(0)!r}")
        try:
            plain, _ = parse_html(html)
        except EntityParseError as exc:
            self.checked += 1
            self.found.append(f"{where}: Telegram refuses it: {exc}\n    {html[:300]!r}")
            return
        self.plain(plain, where, TEXT_LIMIT)

    def plain(self, plain: str, where: str, limit: int) -> None:
        self.checked += 1
        if not plain.strip():
            self.found.append(f"{where}: empty once Telegram trims it")
        if utf16_len(plain) > limit:
            self.found.append(f"{where}: {utf16_len(plain)} UTF-16 units, over {limit}")
        if m := PLACEHOLDER.search(plain):
            self.found.append(f"{where}: raw placeholder {m.group(0)}")
        if m := self._keys.search(plain):
            self.found.append(f"{where}: catalog key {m.group(0)} shown as text")
        depth = 0
        for m in _ISOLATE.finditer(plain):
            depth += 1 if m.group(0) in _OPENS else -1
            if depth < 0:
                break
        if depth != 0:
            self.found.append(f"{where}: unbalanced bidi isolates")

    def rendered(self, out: Rendered, token: str | None, where: str) -> None:
        for i, html in enumerate(out.messages):
            self.message(html, f"{where} [{i + 1}/{len(out.messages)}]")
        for b in out.buttons:
            self.plain(b.label, f"{where} button {b.id}", LABEL_LIMIT)
            if _IN_TAG.search(b.label) or "<" in b.label.replace("<Sons>", ""):
                self.found.append(f"{where} button {b.id}: markup in a label {b.label!r}")
        try:
            keyboard = markup(token or "99999999", out.buttons)
        except ValueError as exc:
            self.found.append(f"{where}: {exc}")
            return
        for row in keyboard.inline_keyboard if keyboard else ():
            for button in row:
                data = str(button.callback_data)
                if len(data.encode()) > CALLBACK_LIMIT:
                    self.found.append(f"{where}: callback data {data!r} over 64 bytes")

    def assert_none(self, at_least: int) -> None:
        assert self.checked >= at_least, f"only {self.checked} messages checked"
        shown = "\n".join(self.found[:40])
        assert not self.found, f"{len(self.found)} broken messages, first ones:\n{shown}"


@pytest.fixture
def problems(runtime: Runtime) -> Problems:
    return Problems(runtime)


# ---------------------------------------------------------------- (a) every catalog entry


def _samples(runtime: Runtime) -> dict[str, tuple[Param, ...]]:
    """Realistic values per placeholder name, from data wherever the data has them."""
    d = runtime.directory
    flow = runtime.flow
    countries = tuple(Text.of(c.name_key) for c in d.national())
    descriptions = tuple(Text.of(r.description_key) for r in d.resources.values())
    contacts = Join(
        tuple(
            Text.of(key, value=LTR[i % len(LTR)], keyword=Ltr("HOME"))
            for i, key in enumerate(keys.CONTACT.values())
        )
    )
    questions = tuple(
        Text.of(n.summary) for n in flow.nodes.values() if isinstance(n, Ask | Input) and n.summary
    )
    team: tuple[Param, ...] = (Text.of(keys.HANDOFF_TEAM_NAME), *HOSTILE)
    signature = tuple(Text.of(keys.HANDOFF_SIGNATURE, name=h, team=team[0]) for h in HOSTILE)
    return {
        "value": LTR,
        "keyword": (Ltr("HOME"), Ltr("START"), *LTR),
        "number": (Ltr("911"), Ltr("112"), Ltr("000"), *LTR),
        "code": LTR,
        "country": countries or HOSTILE,
        "description": descriptions or HOSTILE,
        "contacts": (contacts, Join(()), Join((Text.of(keys.CARD_ALWAYS_OPEN),))),
        "flags": (Join(tuple(Text.of(k) for k in keys.STAFF_FLAG.values())),),
        "status": (
            Text.of(keys.ABOUT_SOURCE),
            Text.of(keys.ABOUT_REVIEWED),
            Text.of(keys.ABOUT_UNREVIEWED),
        ),
        "question": questions or HOSTILE,
        "answer": (*HOSTILE, Join(countries, ", "), Text.of(keys.SKIP)),
        "team": team,
        "signature": (*signature, *team),
        "date": (NOW.date(), dt.date(2026, 12, 31)),
        "when": WHEN,
        "delay": SPAN,
        "waited": SPAN,
        "since": SPAN,
        "wait": SPAN,
    }


def _plural_counts(runtime: Runtime, code: str) -> list[int]:
    """Two counts of every plural class of the locale (0, 1, few, many, other...)."""
    rule = runtime.catalogs.by_code[code].plural
    seen: dict[int, list[int]] = {}
    for n in COUNTS:
        picks = seen.setdefault(rule(n), [])
        if len(picks) < 2:
            picks.append(n)
    return sorted(n for picks in seen.values() for n in picks)


def _entry_values(
    names: set[str], counted: set[str], samples: dict[str, tuple[Param, ...]], count: int
) -> Iterator[tuple[tuple[str, Param], ...]]:
    """Sets of placeholder values: variant i of every placeholder at once."""
    pools = {
        name: (count,) if name in counted else samples.get(name, (*HOSTILE, *LTR, count))
        for name in names
    }
    for i in range(max((len(p) for p in pools.values()), default=1)):
        yield tuple(sorted((name, pool[i % len(pool)]) for name, pool in pools.items()))


NEVER_SHOWN = {*keys.CRISIS_WORDS.values(), keys.CRISIS_NOT}  # word lists the bot watches for


def test_every_catalog_entry_renders_as_valid_telegram_html_in_every_locale(
    runtime: Runtime, problems: Problems
) -> None:
    samples = _samples(runtime)
    source = runtime.catalogs.source()
    for code in runtime.catalogs.codes:
        counts = _plural_counts(runtime, code)
        for key, msg in source.messages.items():
            if key in NEVER_SHOWN:
                continue
            counted = placeholders(msg.source_plural) if msg.source_plural else set()
            names = placeholders(msg.source) | counted
            for count in counts if msg.source_plural else [3]:
                for params in _entry_values(names, counted, samples, count):
                    text = Text(key, params, count if msg.source_plural else None)
                    where = f"{code} {key} {dict(params)}"
                    problems.message(runtime.renderer.text(text, code), where)
                    problems.plain(runtime.renderer.plain(text, code), where, TEXT_LIMIT)
    problems.assert_none(len(runtime.catalogs.codes) * len(source.messages))


# ---------------------------------------------------------------- (b) every screen


def _envs() -> list[Env]:
    """No store (the demos), a store without staff, staff open, staff away, a kept case."""
    stored = Stored(working_expires=NOW, case_expires=NOW + dt.timedelta(days=30))
    guarded = dataclasses.replace(stored, code_word=True)
    return [
        Env(channel="telegram"),
        Env(channel="console"),  # the terminal demo's variants of texts
        Env(channel="telegram", storage=True),
        Env(channel="telegram", storage=True, staff=StaffStatus(open_now=True)),
        Env(channel="telegram", storage=True, staff=StaffStatus(False, NOW), stored=stored),
        Env(
            channel="telegram",
            storage=True,
            staff=StaffStatus(False, NOW),
            stored=Stored(NOW, NOW, in_handoff=True),
        ),
        Env(channel="telegram", storage=True, stored=guarded),  # a code word guards the case
        Env(
            channel="telegram",
            storage=True,
            stored=dataclasses.replace(guarded, locked_for=dt.timedelta(minutes=15)),
        ),
    ]


def _answer_sets(runtime: Runtime, seed: int, combos: int) -> Iterator[dict[str, Answer]]:
    """Answers to every question: option i of each in turn (so every option is chosen), then
    random picks; multi-choice questions get subsets, free text gets hostile text."""
    flow = runtime.flow
    rng = random.Random(seed)
    asks = [(nid, n) for nid, n in flow.nodes.items() if isinstance(n, Ask) and not n.options_from]
    widest = max((len(n.options) for _, n in asks), default=1)
    for j in range(widest + combos):
        answers: dict[str, Answer] = {}
        for nid, node in asks:
            ids = [o.id for o in node.options]
            if j < widest:
                pick = [ids[(j + k) % len(ids)] for k in range(j % 3 + 1)] if node.multi else None
                answers[flow.answer_name(nid)] = pick or ids[j % len(ids)]
            elif node.multi:
                answers[flow.answer_name(nid)] = rng.sample(ids, rng.randint(1, len(ids)))
            else:
                answers[flow.answer_name(nid)] = rng.choice(ids)
        for nid, other in flow.nodes.items():
            if isinstance(other, Input):
                answers[flow.answer_name(nid)] = HOSTILE[j % len(HOSTILE)]
        yield answers


def _states(runtime: Runtime, code: str, combos: int) -> Iterator[State]:
    """Conversations with every question answered, for every country and for none."""
    flow = runtime.flow
    country_node = runtime.engine.screens.country_node
    asked = [nid for nid, n in flow.nodes.items() if isinstance(n, Ask | Input)]
    countries: list[str | None] = [c.option_id for c in runtime.directory.national()]
    for country in [*countries, None]:
        for answers in _answer_sets(runtime, hash((code, country)) & 0xFFFF, combos):
            state = State(flow=flow.id, lang=code, kept=bool(len(answers) % 2))
            for nid in asked:
                name = flow.answer_name(nid)
                if nid == country_node:
                    if country is not None:
                        state.answers[name] = country
                        state.asked.append(nid)
                elif name in answers:
                    state.answers[name] = answers[name]
                    state.asked.append(nid)
            yield state


def _screens(runtime: Runtime, code: str) -> Iterator[tuple[str, Reply]]:
    """Every screen built straight from the Screens API: crisis, results, /mydata, /about."""
    engine = runtime.engine
    screens = engine.screens
    envs = _envs()
    results = [n for n in runtime.flow.nodes.values() if isinstance(n, Results)]
    staffed = next(e for e in envs if e.staff and e.staff.open_now)
    away = next(e for e in envs if e.staff and not e.staff.open_now)
    yield "about", screens.about()
    yield "unavailable", engine.unavailable(code)
    for i, state in enumerate(_states(runtime, code, combos=2)):
        env = envs[i % len(envs)]
        country = screens.country_of(state)
        where = f"country={country.option_id if country else None} answers={state.answers}"
        for kind in ("danger", "selfharm"):
            for buttons in (True, False):
                yield f"crisis {kind} {where}", screens.crisis(state, env, kind, buttons, "42")
        for node in results:
            yield f"results {where}", screens.results(node, state, env)
        for e in (envs[0], envs[5], envs[6]):
            yield f"mydata {e} {where}", screens.mydata(state, e)
        yield f"mydata unlocked {where}", screens.mydata(state, envs[6], unlocked=True)
        yield f"support {where}", Reply(tuple(screens.support_cards(state, env)))
        yield f"closed {where}", engine.handoff_closed(state, env).replies[0]
        for reply in engine.handoff_unavailable(state, env).replies:
            yield f"handoff unavailable {where}", reply
        for ahead in (0, 1, 12):
            yield f"waiting {ahead} {where}", engine.handoff_waiting(state, staffed, ahead)
        yield f"waiting offline {where}", engine.handoff_waiting(state, away, 3)


def _crisis_phrases(runtime: Runtime) -> list[str]:
    out = []
    for key in keys.CRISIS_WORDS.values():
        for code in runtime.catalogs.codes:
            text = runtime.catalogs.by_code[code].lookup(key, None)
            out.extend(CrisisMatcher.parse_list(text or "")[:1])
    return out


CHECKED = (  # what the host may answer to a typed code word
    CodeWordChecked(ok=True),
    CodeWordChecked(ok=False, tries_left=3),
    CodeWordChecked(ok=False, locked_for=dt.timedelta(minutes=15)),
)


def _code_word(runtime: Runtime, code: str) -> Iterator[tuple[str, Reply]]:
    """The code word's screens, scripted: offered after each keep consent in the flow (too
    short, then set), then asked by /resume and /mydata, wrong, locked and right."""
    engine = runtime.engine
    envs = _envs()
    storage, guarded, locked = envs[2], envs[-2], envs[-1]
    script: list[tuple[Env, State | None, list[Event]]] = []
    for nid, node in runtime.flow.nodes.items():
        for option in node.options if isinstance(node, Ask) else ():
            if option.effect == "keep_case":
                state = State(flow=runtime.flow.id, lang=code, node=nid, turn=5)
                script.append(
                    (
                        storage,
                        state,
                        [Choice("5", option.id), TextIn("ab"), TextIn("Rose 7"), CHECKED[0]],
                    )
                )
    asks = [TextIn("guess"), *CHECKED[1:2], TextIn("guess"), *CHECKED[2:]]
    script.append((guarded, None, [Start(code), Command("resume"), *asks]))
    script.append((guarded, None, [Start(code), Command("mydata"), TextIn("word"), CHECKED[0]]))
    script.append((locked, None, [Start(code), Command("resume"), Command("mydata")]))
    for env, state, events in script:
        for event in events:
            out = engine.step(state, event, env)
            state = out.state
            yield from ((f"code word {event}", r) for r in out.replies)


def _walks(runtime: Runtime, code: str) -> Iterator[tuple[str, Reply]]:
    """Conversations through the engine, pressing every button of every question in turn and
    interrupting with every command, crisis words, numbers, media and other languages."""
    engine = runtime.engine
    others = [c for c in runtime.catalogs.codes if c != code]
    interruptions: list[Event] = [  # the rarest first: walks that end early still meet it
        TextIn(HOSTILE[0], detected_lang=others[0] if others else None),
        *(Command(name) for name in keys.COMMAND_MENU),
        Command("nonsense"),
        *(TextIn(p) for p in _crisis_phrases(runtime)),
        TextIn("2"),
        TextIn("   "),
        Media("photo"),
        Choice("0", "stale"),
    ]
    used: dict[tuple[str | None, str | None, str], int] = {}
    interrupted = itertools.count()
    rng = random.Random(code)
    for walk, env in enumerate(itertools.islice(itertools.cycle(_envs()), 24)):
        start: Event = Start(client_lang=None if walk % 6 == 0 else code)
        out = engine.step(None, start, env)
        state = out.state
        replies = list(out.replies)
        for turn in range(60):
            yield from ((f"walk {walk} turn {turn} {state.node}", r) for r in replies)
            prompt = next((r for r in reversed(replies) if r.token and r.buttons), None)
            event: Event
            if turn % 7 == 3 and walk % 2:  # every interruption in turn, however many
                event = interruptions[next(interrupted) % len(interruptions)]
            elif prompt is not None and prompt.expects_text and rng.random() < 0.5:
                event = TextIn(HOSTILE[turn % len(HOSTILE)])
            elif prompt is not None:
                choices = [b.id for b in prompt.buttons if b.id not in ("_exit", "_restart")]
                if not choices:
                    break
                where = (state.node, state.pending)
                pick = min(choices, key=lambda b: (used.get((*where, b), 0), rng.random()))
                used[(*where, pick)] = used.get((*where, pick), 0) + 1
                event = Choice(prompt.token or "", pick)
            else:
                break
            out = engine.step(state, event, env)
            if any(isinstance(e, CheckCodeWord | SetCodeWord) for e in out.effects):
                answer = rng.choice(CHECKED)  # as the host answers
                out = engine.step(out.state, answer, env)
            state = out.state
            replies = list(out.replies)
            if state.mode == "done" and not replies:
                break


def test_every_screen_renders_as_valid_telegram_html_in_every_locale(
    runtime: Runtime, problems: Problems
) -> None:
    seen: set[tuple[Reply, str]] = set()
    kinds: set[str] = set()
    for code in runtime.catalogs.codes:
        screens = (_screens(runtime, code), _walks(runtime, code), _code_word(runtime, code))
        for where, reply in itertools.chain(*screens):
            if (reply, code) in seen:
                continue
            seen.add((reply, code))
            kinds.update(t.key for t in reply.body)
            problems.rendered(runtime.renderer.reply(reply, code), reply.token, f"{code} {where}")
    problems.assert_none(1000)
    nodes = {  # every question, every Say, the goodbye: each was shown in some walk
        variant if isinstance(variant, str) else variant.key
        for n in runtime.flow.nodes.values()
        if isinstance(n, Ask | Input | Say | End)
        for spec in (n.text if isinstance(n, Say) else [n.text])
        for variant in ([spec] if isinstance(spec, str) else spec)
    }
    assert nodes <= kinds, f"flow texts never reached: {nodes - kinds}"
    for key in (
        keys.HANDOFF_CONNECTING,
        keys.LANG_PICK,
        keys.LANG_OFFER,
        keys.HELP,
        keys.UNAVAILABLE,
        keys.CRISIS_ANYWHERE,
        keys.CHECKIN,
        keys.HANDOFF_OFFLINE,
        keys.CODEWORD_OFFER,
        keys.CODEWORD_SAVED,
        keys.CODEWORD_ASK,
        keys.CODEWORD_LENGTH,
        keys.CODEWORD_WRONG,
        keys.CODEWORD_LOCKED,
        keys.MYDATA_GUARDED,
    ):
        assert key in kinds, f"{key} never shown"


# ---------------------------------------------------------------- staff side


def _staff_screens(runtime: Runtime, code: str) -> Iterator[tuple[str, Reply]]:
    """What bot/staff/desk.py posts, built the way it builds them, with every case summary
    the answer sets give and survivor/staff text relayed in both directions."""
    screens = runtime.engine.screens
    team: list[Param] = [Text.of(keys.HANDOFF_TEAM_NAME), "Línea <Ayuda> & co"]
    for i, state in enumerate(_states(runtime, code, combos=1)):
        summary = screens.case_summary(state)
        body = [
            Text.of(keys.STAFF_CARD_TITLE, code=Ltr("K7Q2")),
            Text.of(keys.STAFF_CARD_LANGUAGE, language=HOSTILE[i % len(HOSTILE)], code=Ltr(code)),
        ]
        if i % 2:
            body.insert(0, Text.of(keys.STAFF_CARD_REOPENED))
        if summary.flags:
            flags = Join(tuple(Text.of(keys.STAFF_FLAG[f]) for f in summary.flags))
            body.append(Text.of(keys.STAFF_CARD_FLAGS, flags=flags))
        if summary.items:
            items = tuple(
                Text.of(keys.STAFF_CARD_ITEM, question=q, answer=a) for q, a in summary.items
            )
            body.append(Text.of(keys.VERBATIM, text=Join(items)))
        body.append(
            Text.of(keys.STAFF_CARD_TOLD_OFFLINE, when=NOW)
            if i % 2
            else Text.of(keys.STAFF_CARD_TOLD_OPEN)
        )
        body.append(Text.of(keys.STAFF_CARD_HOW, team=team[i % 2]))
        yield f"case card {state.answers}", Reply(tuple(body))
    for text in (*HOSTILE, "x" * 4000, "مرحبا " * 700):
        from_survivor = [Text.of(keys.STAFF_FROM_SURVIVOR, text=text)]
        if runtime.engine.crisis.match(text):
            from_survivor.append(Text.of(keys.STAFF_CRISIS_WORDS))
        yield "from survivor", Reply(tuple(from_survivor))
        yield "withheld", Reply((Text.of(keys.STAFF_WITHHELD), *from_survivor))
        for signer in (*team, Text.of(keys.HANDOFF_SIGNATURE, name=HOSTILE[2], team=team[0])):
            relay = Text.of(keys.HANDOFF_FROM_TEAM, team=signer, text=text)
            yield "to survivor", Reply((relay,), sensitive=True)
        yield "team said", Reply((Text.of(keys.STAFF_TEAM_SAID, text=text),))


def test_every_staff_text_renders_as_valid_telegram_html_in_every_locale(
    runtime: Runtime, problems: Problems
) -> None:
    for code in runtime.catalogs.codes:  # staff may run the desk in any locale
        for where, reply in _staff_screens(runtime, code):
            problems.rendered(runtime.renderer.reply(reply, code), None, f"{code} {where}")
    problems.assert_none(100)


# ---------------------------------------------------------------- texts outside messages

TOASTS = (  # callback answers: at most 200 characters, no formatting
    keys.STALE,
    keys.STAFF_ERROR,
    keys.STAFF_NOT_STAFF,
    keys.STAFF_UNKNOWN_CASE,
    keys.STAFF_CLAIMED_TOAST,
    keys.STAFF_TAKEN,
    keys.STAFF_ALREADY_CLOSED,
    keys.STAFF_NOT_YOURS_CLOSE,
)


def test_command_menus_toasts_and_topic_names_fit_telegrams_limits(
    runtime: Runtime, problems: Problems
) -> None:
    menus = {**keys.COMMAND_MENU, **keys.STAFF_COMMAND_MENU}
    for code in runtime.catalogs.codes:
        for name, key in menus.items():  # shown as-is by setMyCommands: 1-256, no markup
            raw = runtime.catalogs.text(code, key)
            problems.plain(raw, f"{code} /{name} description", 256)
            if re.search(r"<[a-z/]|&[#a-z0-9]+;", raw):
                problems.found.append(f"{code} {key}: markup in a command description")
        for key in TOASTS:
            problems.plain(runtime.renderer.plain(Text.of(key), code), f"{code} {key}", 200)
        topic = runtime.renderer.plain(Text.of(keys.STAFF_TOPIC, code="K7Q2"), code)
        problems.plain(topic, f"{code} topic name", 128)
    problems.assert_none(len(runtime.catalogs.codes) * (len(menus) + len(TOASTS)))
