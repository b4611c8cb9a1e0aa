"""Drive the engine like a survivor would, rendering every reply so broken text shows up."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.render import Rendered
from bot.flow.engine import Outcome
from bot.flow.events import Choice, Command, Event, Media, Start, TextIn
from bot.flow.replies import Effect, Reply
from bot.flow.screens import Env
from bot.flow.state import State
from bot.runtime import Runtime


@dataclass
class Walk:
    rt: Runtime
    lang: str | None = "en"
    env: Env = field(default_factory=Env)
    state: State | None = None
    replies: list[Reply] = field(default_factory=list)  # of the last step
    effects: list[Effect] = field(default_factory=list)
    shown: list[Rendered] = field(default_factory=list)  # everything, rendered
    results: list[Reply] = field(default_factory=list)  # the results and every topic opened

    def start(self) -> Walk:
        return self.send(Start(self.lang))

    def send(self, event: Event) -> Walk:
        out: Outcome = self.rt.engine.step(self.state, event, self.env)
        self.state = out.state
        self.replies = list(out.replies)
        self.effects = list(out.effects)
        for reply in out.replies:
            self.shown.append(self.rt.renderer.reply(reply, out.state.lang))
        return self

    def pick(self, *options: str) -> Walk:
        for option in options:
            assert self.state is not None
            prompt = self.prompt
            ids = [b.id for b in prompt.buttons] if prompt else []
            assert option in ids, f"{option!r} not offered at {self.state.node}: {ids}"
            self.send(Choice(str(self.state.turn), option))
        return self

    def say(self, text: str) -> Walk:
        return self.send(TextIn(text))

    def command(self, name: str) -> Walk:
        return self.send(Command(name))

    def media(self, kind: str = "photo") -> Walk:
        return self.send(Media(kind))

    @property
    def prompt(self) -> Reply | None:
        return next((r for r in reversed(self.replies) if r.token), None)

    @property
    def node(self) -> str | None:
        return self.state.node if self.state else None

    def shown_keys(self) -> list[str]:
        """Catalog keys of everything the last step showed, nested params included."""
        found: list[str] = []

        def visit(value: object) -> None:
            from bot.flow.replies import Join, Text

            if isinstance(value, Text):
                found.append(value.key)
                for _, p in value.params:
                    visit(p)
            elif isinstance(value, Join):
                for item in value.items:
                    visit(item)

        for reply in self.replies:
            for block in reply.body:
                visit(block)
        return found

    def text(self) -> str:
        """What the last step showed, as the survivor reads it."""
        rendered = [
            self.rt.renderer.reply(r, self.state.lang if self.state else None)
            for r in self.replies
        ]
        return "\n\n".join(m for r in rendered for m in r.messages)

    def open_all(self) -> list[str]:
        """Open every folded topic under the results, in the order offered; the ids opened."""
        opened: list[str] = []
        folds = self.folds()
        self.results = list(self.replies)
        while folds:
            self.pick(folds[0])
            opened.append(folds[0])
            self.results.extend(self.replies)
            folds = self.folds()
        self.replies = list(self.results)
        return opened

    def folds(self) -> list[str]:
        """The topic buttons now offered under the results."""
        assert self.state is not None
        node = self.rt.flow.nodes.get(self.state.node or "")
        from bot.flow.model import Results

        fold_ids = {
            f.id for n in self.rt.flow.nodes.values() if isinstance(n, Results) for f in n.folds
        }
        prompt = self.prompt
        return [b.id for b in prompt.buttons if b.id in fold_ids] if prompt and node else []

    def lead_ids(self) -> list[str]:
        """The services under "Start here" on the first results screen."""
        out: list[str] = []
        started = False
        for reply in self.replies:
            if reply.kind != "results":
                continue
            for block in reply.body:
                if block.key == "results.start.title":
                    started = True
                elif started and block.key == "card":
                    out.append(self._id_of(block))
                elif started and block.key == "results.more":
                    return out
            break
        return out

    def _id_of(self, block: object) -> str:
        from bot.flow.replies import Text

        assert isinstance(block, Text)
        names = {
            r.display_name([self.lang or "en", "en"]): rid
            for rid, r in self.rt.directory.resources.items()
        }
        return names[str(dict(block.params)["name"])]

    def resource_ids(self) -> list[str]:
        """Resources named on the last results screen, in order."""
        names = {
            r.display_name([self.lang or "en", "en"]): rid
            for rid, r in self.rt.directory.resources.items()
        }
        out = []
        for reply in self.replies:
            for block in reply.body:
                if block.key == "card":
                    name = dict(block.params)["name"]
                    out.append(names[str(name)])
        return out


DEFAULTS: dict[str, str | list[str]] = {
    "safe": "ok", "danger": "no", "selfharm": "no", "who": "self", "child_safe": "ok",
    "age": "adult",
    "age_now": "adult", "what": "shared", "real": "real", "has_file": "yes",
    "where": ["social"], "country": "us", "bc": "no", "relationship": "skip",
    "wants": ["removal"],
}  # fmt: skip


def walk_to(w: Walk, node: str, **answers: str | list[str]) -> Walk:
    """Answer with DEFAULTS (or `answers`) until the question `node` is showing."""
    chosen = {**DEFAULTS, **answers}
    for _ in range(40):
        if w.node == node:
            return w
        value = chosen[w.node or ""]
        w.pick(*value, "_done") if isinstance(value, list) else w.pick(value)
    raise AssertionError(f"never reached {node}")


def to_results(
    rt: Runtime,
    lang: str = "en",
    env: Env | None = None,
    *,
    unfold: bool = True,
    **answers: str | list[str],
) -> Walk:
    """Walk the triage answering from `answers` (node id -> option), defaults elsewhere.
    With `unfold`, every topic under the results is opened too, and the walk's replies are
    the results and every topic (what a survivor reads after pressing each button)."""
    defaults: dict[str, str | list[str]] = {**DEFAULTS, **answers}
    w = Walk(rt, lang, env or Env()).start()
    for _ in range(40):
        node = w.node
        if node is None or node not in defaults:
            break
        value = defaults[node]
        if isinstance(value, list):
            w.pick(*value, "_done")
        else:
            w.pick(value)
    if unfold and any(r.kind == "results" for r in w.replies):
        w.open_all()
    return w


def case_id(value: object, width: int = 60) -> str:
    """A parametrize id that is the same in every process (sets print in hash order, which
    differs between pytest-xdist workers)."""
    if isinstance(value, set | frozenset):
        value = sorted(value)
    return str(value)[:width]
