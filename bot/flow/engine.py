"""The pure triage engine: `step(state, event, env) -> Outcome(state, replies, effects)`.

No I/O, no clock, no randomness: everything it needs arrives as arguments, so every path of
the triage runs in microseconds in tests and the same flow serves Telegram and the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.flow import codeword, keys
from bot.flow.conditions import SKIPPED, holds
from bot.flow.crisis import CrisisMatcher
from bot.flow.directory import Directory
from bot.flow.events import (
    MAX_TEXT,
    CaseLoaded,
    Choice,
    CodeWordChecked,
    Command,
    Event,
    Media,
    Start,
    TextIn,
)
from bot.flow.model import (
    Ask,
    Branch,
    End,
    Flow,
    Handoff,
    Input,
    Option,
    Results,
    Say,
)
from bot.flow.replies import (
    Button,
    CheckCodeWord,
    Effect,
    EndHandoff,
    EraseData,
    HideMessage,
    KeepCase,
    LoadCase,
    QuickExit,
    RelayToStaff,
    Reply,
    SetCodeWord,
    StartHandoff,
    Text,
)
from bot.flow.screens import Env, LocaleInfo, Screens
from bot.flow.state import Answer, State

CONSENT_VERSION = "keep-v1"  # keep.consent
# handoff.consent, which also says the summary is kept: keeping agreed there records this one
SHARE_CONSENT_VERSION = "share-v1"
MAX_HOPS = 200  # a flow edit that loops without a question ends here instead of spinning
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...]


@dataclass(slots=True)
class _Turn:
    state: State
    env: Env
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


class Engine:
    """Runs one flow over one resource directory. Thread-safe: it holds no mutable state."""

    __slots__ = ("crisis", "default_lang", "directory", "flow", "locales", "screens")

    def __init__(
        self,
        flow: Flow,
        directory: Directory,
        locales: Sequence[LocaleInfo],
        crisis: CrisisMatcher,
        default_lang: str = "en",
    ) -> None:
        self.flow = flow
        self.directory = directory
        self.locales = tuple(locales)
        self.crisis = crisis
        self.default_lang = default_lang
        self.screens = Screens(flow, directory, locales, default_lang)

    # ------------------------------------------------------------------ public

    def step(self, state: State | None, event: Event, env: Env | None = None) -> Outcome:
        t = _Turn(State.from_dict(state.to_dict()) if state else State(), env or Env())
        if t.state.flow and t.state.flow != self.flow.id:
            t.state = State()
        if (t.state.node and t.state.node not in self.flow.nodes) or (
            t.state.pending and t.state.resume and t.state.resume not in self.flow.nodes
        ):
            self._restart_kindly(t)
        elif isinstance(event, Start):
            self._on_start(t, event.client_lang)
        elif isinstance(event, Command):
            self._on_command(t, event)
        elif isinstance(event, CaseLoaded):
            self._on_case_loaded(t, event)
        elif isinstance(event, CodeWordChecked):
            self._on_code_word_checked(t, event)
        elif t.state.node is None and t.state.pending is None and t.state.mode != "handoff":
            # Anything before /start begins the conversation; crisis words still count.
            self._on_start(t, t.state.lang or t.env.client_lang)
            kind = self.crisis.match(event.text) if isinstance(event, TextIn) else None
            if kind:
                self._signal(t, kind, resume=t.state.resume or t.state.node)
        elif isinstance(event, Choice):
            self._on_choice(t, event)
        elif isinstance(event, TextIn):
            self._on_text(t, event)
        elif isinstance(event, Media):
            self._on_media(t, event)
        return Outcome(t.state, tuple(t.replies), tuple(t.effects))

    def unavailable(self, lang: str | None) -> Reply:
        """The service is briefly down: say so, with the international crisis lines."""
        state = State(lang=lang)
        return Reply(
            (Text.of(keys.UNAVAILABLE), *self.screens.short_numbers(state)[1:]), kind="crisis"
        )

    def handoff_closed(self, state: State, env: Env | None = None) -> Outcome:
        """Staff closed the case: a kind goodbye with the survivor's resources."""
        t = _Turn(State.from_dict(state.to_dict()), env or Env())
        t.state.mode = "done"
        t.state.pending = None
        body = [Text.of(keys.HANDOFF_CLOSED), *self.screens.support_cards(t.state, t.env)]
        t.replies.append(
            Reply(tuple(body), (self._restart_button(),), self._token(t), "info", True)
        )
        return Outcome(t.state, tuple(t.replies), ())

    def handoff_waiting(self, state: State, env: Env, ahead: int) -> Reply:
        """What happens next, told honestly: within hours a person replies here (and how many
        are waiting first); outside them, when the team is back and the crisis lines."""
        staff = env.staff
        if staff is None or staff.open_now or staff.next_open is None:
            if ahead <= 0:
                return Reply((Text.of(keys.HANDOFF_QUEUED_FIRST),))
            return Reply((Text.of(keys.HANDOFF_QUEUED, ahead=ahead),))
        numbers = self.screens.short_numbers(state)[1:]  # emergency, danger and self-harm
        body = (Text.of(keys.HANDOFF_OFFLINE, when=staff.next_open), *numbers)
        return Reply(body, kind="crisis")

    def handoff_unavailable(self, state: State, env: Env | None = None) -> Outcome:
        """The team cannot be reached after all: the services that can talk with them, and
        the survivor goes on from where the handoff would have led."""
        t = _Turn(State.from_dict(state.to_dict()), env or Env())
        t.state.mode = "triage"
        t.state.pending = None
        t.replies.append(
            Reply(
                (Text.of(keys.HANDOFF_NONE), *self.screens.support_cards(t.state, t.env)),
                kind="info",
                sensitive=True,
            )
        )
        after = next((n.next for n in self.flow.nodes.values() if isinstance(n, Handoff)), None)
        self._goto(t, after or self.flow.start)
        return Outcome(t.state, tuple(t.replies), ())

    def restore(self, answers: dict[str, Answer], lang: str | None) -> State:
        """A conversation rebuilt from a kept case's answers (its order from the flow)."""
        state = State(flow=self.flow.id, lang=lang if self._supported(lang) else None, kept=True)
        for nid in self.flow.questions():
            name = self.flow.answer_name(nid)
            if name in answers:
                state.answers[name] = answers[name]
                state.asked.append(nid)
        return state

    # ------------------------------------------------------------------ events

    def _on_start(self, t: _Turn, client_lang: str | None) -> None:
        lang = client_lang if self._supported(client_lang) else None
        t.state = State(flow=self.flow.id, lang=lang, turn=t.state.turn)
        if t.state.lang is None:
            self._prompt_pending(t, "language", resume=self.flow.start)
        else:
            self._goto(t, self.flow.start)

    def _restart_kindly(self, t: _Turn) -> None:
        lang = t.state.lang
        t.state = State(flow=self.flow.id, lang=lang, turn=t.state.turn)
        t.replies.append(Reply((Text.of(keys.RESTARTED),)))
        self._goto(t, self.flow.start)

    def _on_command(self, t: _Turn, ev: Command) -> None:
        name = ev.name
        s = t.state
        if name == "start":
            if s.mode == "handoff":
                t.effects.append(EndHandoff())
            self._on_start(t, None)
        elif name == "exit":
            if s.mode == "handoff":
                t.effects.append(EndHandoff())
            t.effects.append(QuickExit())
            t.state = State(flow=self.flow.id, turn=s.turn + 1)
        elif name == "restart":
            if s.mode == "handoff":
                t.effects.append(EndHandoff())
            t.state = State(flow=self.flow.id, lang=s.lang, lang_chosen=s.lang_chosen, turn=s.turn)
            self._goto(t, self.flow.start)
        elif s.lang is None and s.pending == "language":
            self._prompt_pending(t, "language", resume=s.resume)
        elif name == "help":
            self._prompt_pending(t, "help", resume=s.resume if s.pending else s.node)
        elif name == "language":
            self._prompt_pending(t, "language", resume=s.resume if s.pending else s.node)
        elif name == "about":
            t.replies.append(self.screens.about())
            self._reprompt(t)
        elif name == "mydata":
            t.replies.append(self.screens.mydata(t.state, t.env))
            if self.screens.guarded(t.env):
                self._ask_code_word(t, "mydata")
            else:
                self._reprompt(t)
        elif name == "delete":
            if not t.env.storage:
                t.replies.append(Reply((Text.of(keys.DELETE_NOTHING),)))
                self._reprompt(t)
            else:
                self._prompt_pending(t, "delete", resume=s.resume if s.pending else s.node)
        elif name == "human":
            if s.mode == "handoff":
                t.replies.append(Reply((Text.of(keys.HANDOFF_ALREADY),)))
            else:
                s.pending = None
                self._goto(t, self.flow.entry.human or self.flow.start)
        elif name == "resume":
            if not t.env.storage:
                t.replies.append(Reply((Text.of(keys.RESUME_DEMO),)))
                self._reprompt(t)
            elif t.env.stored and t.env.stored.case_expires:
                if t.env.stored.code_word:
                    self._ask_code_word(t, "resume")
                else:
                    t.effects.append(LoadCase())
            else:
                t.replies.append(Reply((Text.of(keys.RESUME_NONE),)))
                self._reprompt(t)
        else:
            t.replies.append(Reply((Text.of(keys.UNKNOWN_COMMAND),)))
            self._reprompt(t)

    def _on_choice(self, t: _Turn, ev: Choice) -> None:
        s = t.state
        if ev.option == "_exit":  # leaving must work from any message, however old
            self._on_command(t, Command("exit"))
            return
        if ev.token != str(s.turn) or (s.mode == "handoff" and not s.pending):
            self._stale(t)  # with staff, only a prompt they opened (/delete, /help) takes buttons
            return
        if ev.option == "_restart":
            self._on_command(t, Command("restart"))
            return
        if s.pending:
            self._on_pending_choice(t, ev.option)
            return
        node = self.flow.nodes.get(s.node or "")
        if isinstance(node, Ask):
            self._on_answer(t, node, ev.option)
        elif isinstance(node, Input) and ev.option == "_skip":
            self._record(t, s.node or "", SKIPPED)
            self._goto(t, node.next)
        else:
            self._stale(t)

    def _on_answer(self, t: _Turn, node: Ask, option_id: str) -> None:
        s = t.state
        nid = s.node or ""
        options = self._options(node, t)
        if node.multi:
            if option_id == "_done":
                picks = [o.id for o in options if o.id in s.picks]
                s.picks = []
                self._record(t, nid, picks or SKIPPED)
                self._after_answer(t, node, None)
                return
            if option_id in {o.id for o in options}:
                s.picks = (
                    [p for p in s.picks if p != option_id]
                    if option_id in s.picks
                    else [*s.picks, option_id]
                )
                t.replies.append(self._question(t, nid, bump=False, replace=True))
                return
            self._stale(t)
            return
        chosen = next((o for o in options if o.id == option_id), None)
        if chosen is None:
            self._stale(t)
            return
        results = self._results_node()
        if node.options_from == "sections" and results and option_id in self._fold_ids(t):
            s.opened.append(option_id)  # a folded topic: show it, then offer what is left
            t.replies.append(self.screens.fold(results, option_id, s, t.env))
            t.replies.append(self._question(t, nid, bump=True))
            return
        self._record(t, nid, chosen.id)
        self._after_answer(t, node, chosen)

    def _after_answer(self, t: _Turn, node: Ask, chosen: Option | None) -> None:
        target = (chosen.next if chosen else None) or node.next
        effect = chosen.effect if chosen else None
        offer = False
        if effect == "keep_case":
            if t.env.storage and not t.state.kept:
                t.state.kept = True
                offer = not self._towards_handoff(target)
                t.effects.append(KeepCase(CONSENT_VERSION if offer else SHARE_CONSENT_VERSION))
        elif effect == "restart":
            self._on_command(t, Command("restart"))
            return
        elif effect == "quick_exit":
            self._on_command(t, Command("exit"))
            return
        if chosen is not None and chosen.crisis:
            about = ":other" if chosen.crisis_for == "other" else ""
            self._crisis(t, chosen.crisis + about, resume=target)
            return
        if target is None:
            self._restart_kindly(t)
            return
        if offer:  # right after agreeing to keep: a code word, recommended, never required
            self._prompt_pending(t, "codeword_set", resume=target)
            return
        self._goto(t, target)

    def _towards_handoff(self, target: str | None) -> bool:
        """Keeping because they asked for a person: the code word offer would only stand
        between them and the team, so it is made only on the keep consent's own path."""
        node = self.flow.nodes.get(target or "")
        if isinstance(node, Input):
            node = self.flow.nodes.get(node.next or "")
        return isinstance(node, Handoff)

    def _on_text(self, t: _Turn, ev: TextIn) -> None:
        s = t.state
        text = _clean(ev.text)
        kind = self.crisis.match(text) if text else None  # first: a code word prompt too
        asking = (s.pending or "").startswith(("codeword_set", "codeword:"))
        if asking and text and not kind:
            self._on_code_word(t, text)  # never relayed, kept or shown back
            return
        if asking and kind and s.mode == "handoff":
            s.pending = s.resume = None  # crisis words: what follows is not a code word
        if s.mode == "handoff":
            if text:
                t.effects.append(RelayToStaff(text))
            if kind == "possible":  # the team reads it; the numbers are here meanwhile
                numbers = self.screens.short_numbers(t.state)[1:]
                t.replies.append(Reply((Text.of(keys.CHECKIN_HANDOFF), *numbers), kind="crisis"))
            elif kind:
                t.replies.append(self.screens.crisis(t.state, t.env, kind, buttons=False))
            return
        if kind:
            self._signal(t, kind, resume=s.resume if s.pending else s.node)
            return
        if not text:
            t.replies.append(Reply((Text.of(keys.EMPTY),)))
            self._reprompt(t)
            return
        node = self.flow.nodes.get(s.node or "")
        if isinstance(node, Input) and not s.pending:
            if len(text) > node.max_length:
                t.replies.append(Reply((Text.of(keys.TOO_LONG, max=node.max_length),)))
                self._reprompt(t)
                return
            self._record(t, s.node or "", text)
            self._goto(t, node.next)
            return
        number = text.strip().rstrip(".)")
        if number.isdigit():
            prompt = self._current_prompt(t)
            if prompt and 1 <= int(number) <= len(prompt.buttons):
                self._on_choice(t, Choice(str(s.turn), prompt.buttons[int(number) - 1].id))
                return
        offer = ev.detected_lang
        if (
            offer
            and offer != s.lang
            and self._supported(offer)
            and offer not in s.declined_langs
            and not s.pending
        ):
            self._prompt_pending(t, f"offer_lang:{offer}", resume=s.node)
            return
        if isinstance(node, End):
            t.replies.append(
                Reply(
                    (Text.of(keys.FINISHED),), (self._restart_button(),), self._token(t, bump=True)
                )
            )
            return
        t.replies.append(Reply((Text.of(keys.CHOOSE),)))
        self._reprompt(t)

    def _on_media(self, t: _Turn, ev: Media) -> None:
        if t.state.mode == "handoff":
            t.replies.append(Reply((Text.of(keys.MEDIA_HANDOFF),)))
            t.effects.append(RelayToStaff("", withheld=ev.kind))
            return
        t.replies.append(Reply((Text.of(keys.MEDIA),)))
        self._reprompt(t)

    def _ask_code_word(self, t: _Turn, purpose: str) -> None:
        s = t.state
        stored = t.env.stored
        if stored and stored.locked_for:
            t.replies.append(Reply((Text.of(keys.CODEWORD_LOCKED, wait=stored.locked_for),)))
            self._reprompt(t)
            return
        self._prompt_pending(t, f"codeword:{purpose}", resume=s.resume if s.pending else s.node)

    def _on_code_word(self, t: _Turn, word: str) -> None:
        """The survivor typed their code word: it goes to the host in an effect and out of
        the chat at once, and never into the state."""
        s = t.state
        t.effects.append(HideMessage())
        if s.pending == "codeword_set":
            if not codeword.acceptable(word):
                body = Text.of(
                    keys.CODEWORD_LENGTH, min=codeword.MIN_LENGTH, max=codeword.MAX_LENGTH
                )
                t.replies.append(Reply((body,)))
                self._reprompt(t)
                return
            t.effects.append(SetCodeWord(word))  # "set" is said once the host has kept it
            return
        purpose = (s.pending or "").split(":", 1)[1]
        t.effects.append(CheckCodeWord(word, purpose))  # the host answers with CodeWordChecked

    def _on_code_word_checked(self, t: _Turn, ev: CodeWordChecked) -> None:
        s = t.state
        if s.pending == "codeword_set":  # the host kept the new word (or the case is gone)
            if ev.ok:
                t.replies.append(Reply((Text.of(keys.CODEWORD_SAVED),)))
            self._resume(t, s.resume)
            return
        if not (s.pending or "").startswith("codeword:"):
            return  # the survivor moved on (/exit, /restart) while the word was checked
        purpose = (s.pending or "").split(":", 1)[1]
        if ev.ok:
            if purpose == "resume":
                s.pending = s.resume = None
                t.effects.append(LoadCase())
                return
            t.replies.append(self.screens.mydata(s, t.env, unlocked=True))
            self._resume(t, s.resume)
        elif ev.locked_for:
            t.replies.append(Reply((Text.of(keys.CODEWORD_LOCKED, wait=ev.locked_for),)))
            self._resume(t, s.resume)
        else:
            t.replies.append(Reply((Text.of(keys.CODEWORD_WRONG, left=ev.tries_left),)))
            self._reprompt(t)

    def _on_case_loaded(self, t: _Turn, ev: CaseLoaded) -> None:
        lang = ev.lang if self._supported(ev.lang) else t.state.lang
        t.state = State(flow=self.flow.id, lang=lang, turn=t.state.turn, kept=True)
        for nid in self.flow.questions():
            name = self.flow.answer_name(nid)
            if name in ev.answers:
                t.state.answers[name] = ev.answers[name]
                t.state.asked.append(nid)
        results = next((n for n, v in self.flow.nodes.items() if isinstance(v, Results)), None)
        self._goto(t, results or self.flow.start)

    # ------------------------------------------------------------------ system prompts

    def _prompt_pending(self, t: _Turn, pending: str, resume: str | None) -> None:
        t.state.pending = pending
        t.state.resume = resume
        reply = self._pending_reply(t, bump=True)
        if reply:
            t.replies.append(reply)

    def _pending_reply(self, t: _Turn, bump: bool) -> Reply | None:
        s = t.state
        p = s.pending or ""
        token = self._token(t, bump)
        if p == "language":
            body = tuple(Text(keys.LANG_PICK, lang=loc.code) for loc in self.locales)
            buttons = tuple(
                Button(f"_lang:{loc.code}", Text.of(keys.VERBATIM, text=loc.native_name))
                for loc in self.locales
            )
            return Reply(body, buttons, token, "question", exit_button=True)
        if p.startswith("offer_lang:"):
            code = p.split(":", 1)[1]
            name = self._native(code)
            return Reply(
                (Text(keys.LANG_OFFER, (("name", name),), lang=code),),
                (
                    Button("_yes", Text(keys.LANG_OFFER_YES, (("name", name),), lang=code)),
                    Button("_no", Text.of(keys.LANG_OFFER_NO)),
                ),
                token,
                "question",
                exit_button=True,
            )
        if p == "help":
            menu = [Button("_continue", Text.of(keys.CONTINUE))]
            if self.flow.entry.human:
                menu.append(Button("_human", Text.of(keys.HELP_HUMAN)))
            menu.append(Button("_language", Text.of(keys.HELP_LANGUAGE)))
            body = (Text.of(keys.HELP), *self.screens.short_numbers(t.state))
            return Reply(body, tuple(menu), token, "question", exit_button=True)
        if p == "codeword_set":
            return Reply(
                (Text.of(keys.CODEWORD_OFFER, min=codeword.MIN_LENGTH),),
                (Button("_skip", Text.of(keys.SKIP)),),
                token,
                "question",
                exit_button=True,
                expects_text=True,
            )
        if p.startswith("codeword:"):
            return Reply(
                (Text.of(keys.CODEWORD_ASK),),
                (Button("_cancel", Text.of(keys.CODEWORD_CANCEL)),),
                token,
                "question",
                exit_button=True,
                expects_text=True,
            )
        if p == "delete":
            return Reply(
                (Text.of(keys.DELETE_CONFIRM),),
                (Button("_yes", Text.of(keys.YES_DELETE)), Button("_no", Text.of(keys.NO_KEEP))),
                token,
                "question",
                exit_button=True,
            )
        if p.startswith("crisis:"):
            return self.screens.crisis(
                t.state, t.env, p.split(":", 1)[1], buttons=True, token=token
            )
        if p == "checkin":
            return Reply(
                (Text.of(keys.CHECKIN), *self.screens.short_numbers(t.state)),
                (
                    Button("_danger", Text.of(keys.CHECKIN_DANGER)),
                    Button("_selfharm", Text.of(keys.CHECKIN_SELFHARM)),
                    Button("_continue", Text.of(keys.CHECKIN_OK)),
                ),
                token,
                "crisis",
                exit_button=True,
            )
        return None

    def _on_pending_choice(self, t: _Turn, option: str) -> None:
        s = t.state
        p = s.pending or ""
        resume = s.resume
        interrupting = p in ("help", "checkin") or p.startswith("crisis:")
        if option == "_continue" and interrupting:
            self._resume(t, resume)
        elif p == "checkin" and option in ("_danger", "_selfharm"):
            self._crisis(t, option[1:], resume=resume)
        elif option.startswith("_lang:") and p == "language" and self._supported(option[6:]):
            s.lang, s.lang_chosen = option[6:], True
            self._resume(t, resume)
        elif (p == "codeword_set" and option == "_skip") or (
            p.startswith("codeword:") and option == "_cancel"
        ):
            self._resume(t, resume)
        elif option == "_language" and p == "help":
            self._prompt_pending(t, "language", resume=resume)
        elif option == "_human" and interrupting:
            s.pending = s.resume = None
            if s.mode == "handoff":
                t.replies.append(Reply((Text.of(keys.HANDOFF_ALREADY),)))
            else:
                self._goto(t, self.flow.entry.human or self.flow.start)
        elif p.startswith("offer_lang:") and option in ("_yes", "_no"):
            code = p.split(":", 1)[1]
            if option == "_yes":
                s.lang, s.lang_chosen = code, True
            else:
                s.declined_langs.append(code)
            self._resume(t, resume)
        elif p == "delete" and option in ("_yes", "_no"):
            if option == "_yes":
                if s.mode == "handoff":
                    t.effects.append(EndHandoff())
                t.effects.append(EraseData())
                t.state = State(
                    flow=self.flow.id, lang=s.lang, lang_chosen=s.lang_chosen, turn=s.turn
                )
                t.replies.append(
                    Reply(
                        (Text.of(keys.DELETE_DONE),),
                        (self._restart_button(),),
                        self._token(t, bump=True),
                    )
                )
                t.state.mode = "done"
            else:
                t.replies.append(Reply((Text.of(keys.DELETE_CANCELLED),)))
                self._resume(t, resume)
        elif p.startswith("crisis:") and option.startswith("_cc:") and self.screens.country_node:
            code = option[4:]
            if self.directory.country(code):
                s.answers[self.flow.answer_name(self.screens.country_node)] = code
                if self.screens.country_node not in s.asked:
                    s.asked.append(self.screens.country_node)
            t.replies.append(self._pending_reply(t, bump=True) or Reply(()))
        else:
            self._stale(t)

    def _resume(self, t: _Turn, resume: str | None) -> None:
        t.state.pending = None
        t.state.resume = None
        if t.state.mode == "handoff":
            return
        if resume is None:
            if t.state.mode == "done" or t.state.node is None:
                self._goto(t, self.flow.start) if t.state.node is None else self._reprompt(t)
            else:
                self._reprompt(t)
            return
        if resume == t.state.node:
            self._reprompt(t)
        else:
            self._goto(t, resume)

    # ------------------------------------------------------------------ crisis

    def _signal(self, t: _Turn, kind: str, resume: str | None) -> None:
        """Crisis words: a clear "danger" or "selfharm" opens that screen; a "possible"
        signal asks gently first, with the numbers already in the same message."""
        if kind == "possible":
            self._prompt_pending(t, "checkin", resume=resume)
        else:
            self._crisis(t, kind, resume=resume)

    def _crisis(self, t: _Turn, kind: str, resume: str | None) -> None:
        if kind not in t.state.raised:  # the team's card says so, if the survivor shares it
            t.state.raised.append(kind)
        t.state.pending = f"crisis:{kind}"
        t.state.resume = resume
        reply = self._pending_reply(t, bump=True)
        if reply:
            t.replies.append(reply)

    # ------------------------------------------------------------------ walking the flow

    def _goto(self, t: _Turn, node_id: str) -> None:
        s = t.state
        s.pending = None
        s.resume = None
        s.mode = "triage" if s.mode != "handoff" else s.mode
        current: str | None = node_id
        for _ in range(MAX_HOPS):
            if current is None or current not in self.flow.nodes:
                self._restart_kindly(t)
                return
            node = self.flow.nodes[current]
            facts = self.screens.facts(s, t.env)
            if node.skip_if is not None and holds(node.skip_if, facts):
                current = self._skip_target(node)
                continue
            if (
                current == self.screens.country_node
                and self.flow.answer_name(current) in s.answers
            ):
                current = self._skip_target(node)  # given already, from a crisis prompt
                continue
            if isinstance(node, Say):
                body = tuple(self.screens.flow_text(spec, t.state, t.env) for spec in node.text)
                t.replies.append(Reply(body, kind="info"))
                current = node.next
            elif isinstance(node, Branch):
                current = next((r.next for r in node.routes if holds(r.when, facts)), node.default)
            elif isinstance(node, Results):
                s.opened = []
                t.replies.append(self.screens.results(node, t.state, t.env))
                current = node.next
            elif isinstance(node, Handoff):
                if self._handoff(t):
                    return
                current = node.next
            elif isinstance(node, Ask | Input):
                s.node = current
                s.picks = []
                t.replies.append(self._question(t, current, bump=True))
                return
            elif isinstance(node, End):
                s.node = current
                s.mode = "done"
                body = (
                    self.screens.flow_text(node.text, t.state, t.env),
                    self.screens.safety_reminder(t.state),
                )
                t.replies.append(
                    Reply(body, (self._restart_button(),), self._token(t, bump=True), "info")
                )
                return
        self._restart_kindly(t)

    def _skip_target(self, node: object) -> str | None:
        nxt: str | None = getattr(node, "next", None) or getattr(node, "default", None)
        if nxt is None and isinstance(node, Ask):
            nxt = next((o.next for o in node.options if o.next), None)
        return nxt

    def _record(self, t: _Turn, node_id: str, value: Answer) -> None:
        t.state.answers[self.flow.answer_name(node_id)] = value
        if node_id not in t.state.asked:
            t.state.asked.append(node_id)

    def _reprompt(self, t: _Turn) -> None:
        s = t.state
        if s.pending:
            reply = self._pending_reply(t, bump=True)
            if reply:
                t.replies.append(reply)
        elif s.mode == "handoff":
            return
        elif s.node and s.node in self.flow.nodes:
            node = self.flow.nodes[s.node]
            if isinstance(node, End):
                t.replies.append(
                    Reply(
                        (Text.of(keys.FINISHED),),
                        (self._restart_button(),),
                        self._token(t, bump=True),
                    )
                )
            else:
                t.replies.append(self._question(t, s.node, bump=True))
        else:
            self._goto(t, self.flow.start)

    def _current_prompt(self, t: _Turn) -> Reply | None:
        """The prompt the survivor is looking at, rebuilt without changing the state."""
        probe = _Turn(State.from_dict(t.state.to_dict()), t.env)
        probe.state.turn -= 1
        if probe.state.pending:
            return self._pending_reply(probe, bump=True)
        if probe.state.node and isinstance(self.flow.nodes.get(probe.state.node), Ask):
            return self._question(probe, probe.state.node, bump=True)
        return None

    def _stale(self, t: _Turn) -> None:
        if t.state.mode == "handoff":
            return
        t.replies.append(Reply((Text.of(keys.STALE),)))
        self._reprompt(t)

    def _token(self, t: _Turn, bump: bool = False) -> str:
        if bump:
            t.state.turn += 1
        return str(t.state.turn)

    # ------------------------------------------------------------------ building replies

    def _question(self, t: _Turn, node_id: str, bump: bool, replace: bool = False) -> Reply:
        node = self.flow.nodes[node_id]
        assert isinstance(node, Ask | Input)
        body: list[Text] = []
        if isinstance(node, Ask) and node.progress:
            n, total = self._progress(t, node_id)
            body.append(Text.of(keys.PROGRESS, n=n, total=total))
        body.append(self.screens.flow_text(node.text, t.state, t.env))
        buttons: list[Button] = []
        if isinstance(node, Ask):
            picks = set(t.state.picks)
            countries = (
                {c.option_id for c in self.directory.national()}
                if node.options_from == "countries"
                else set()
            )
            buttons = [
                Button(
                    o.id,
                    Text.of(o.label),
                    selected=node.multi and o.id in picks,
                    names=o.id in countries,
                )
                for o in self._options(node, t)
            ]
            if node.multi:
                buttons.append(Button("_done", Text.of(keys.DONE)))
        else:
            buttons = [Button("_skip", Text.of(keys.SKIP))]
        token = self._token(t, bump)
        return Reply(
            tuple(body),
            tuple(buttons),
            token,
            "question",
            exit_button=True,
            expects_text=isinstance(node, Input),
            replaces_last=replace,
        )

    def _options(self, node: Ask, t: _Turn) -> list[Option]:
        facts = self.screens.facts(t.state, t.env)
        dynamic: list[Option] = []
        if node.options_from == "countries":
            dynamic = [Option(id=c.option_id, label=c.name_key) for c in self.directory.national()]
        elif node.options_from == "sections":
            results = self._results_node()
            if results is not None:
                dynamic = [
                    Option(id=f.id, label=f.label)
                    for f in self.screens.folds(results, t.state, t.env)
                    if f.id not in t.state.opened
                ]
        static = [o for o in node.options if o.show_if is None or holds(o.show_if, facts)]
        at = next((i + 1 for i, o in enumerate(static) if o.id == node.options_after), 0)
        return static[:at] + dynamic + static[at:]

    def _results_node(self) -> Results | None:
        return next((n for n in self.flow.nodes.values() if isinstance(n, Results)), None)

    def _fold_ids(self, t: _Turn) -> set[str]:
        results = self._results_node()
        if results is None:
            return set()
        return {f.id for f in self.screens.folds(results, t.state, t.env)} - set(t.state.opened)

    def _progress(self, t: _Turn, node_id: str) -> tuple[int, int]:
        facts = self.screens.facts(t.state, t.env)
        done = 0
        for nid in t.state.asked:
            asked = self.flow.nodes.get(nid)
            done += isinstance(asked, Ask) and asked.progress
        ahead = 0
        for nid, node in self.flow.nodes.items():
            if not isinstance(node, Ask) or not node.progress or nid in t.state.asked:
                continue
            if node.skip_if is not None and holds(node.skip_if, facts):
                continue
            if self.flow.answer_name(nid) in t.state.answers:
                continue
            ahead += 1
        return done + 1, max(done + ahead, done + 1)

    def _handoff(self, t: _Turn) -> bool:
        """True when the survivor is now waiting for staff; False to show hotlines instead."""
        if t.env.staff is None or not t.env.storage or not t.state.kept:
            t.replies.append(
                Reply(
                    (Text.of(keys.HANDOFF_NONE), *self.screens.support_cards(t.state, t.env)),
                    kind="info",
                    sensitive=True,
                )
            )
            return False
        t.state.mode = "handoff"
        t.state.node = None
        t.effects.append(StartHandoff())
        t.replies.append(Reply((Text.of(keys.HANDOFF_CONNECTING),)))
        return True

    def _restart_button(self) -> Button:
        return Button("_restart", Text.of(keys.RESTART))

    def _supported(self, code: str | None) -> bool:
        return code is not None and any(loc.code == code for loc in self.locales)

    def _native(self, code: str) -> str:
        return next((loc.native_name for loc in self.locales if loc.code == code), code)


def _clean(text: str) -> str:
    """Drop control and direction-override characters; cut what no message could hold."""
    return _CONTROL.sub("", text[:MAX_TEXT]).strip()
