"""The terminal demo: the whole triage without a token, a network or a database.

Numbered choices, free text, and the same commands as in Telegram. It stores nothing. With a
script of answers it replays a conversation and prints the transcript, which is how a
reviewer reads a translation in context (`helpline flows simulate --script answers.txt`).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from bot.channels.render import Rendered, Renderer
from bot.flow.engine import Engine, Outcome
from bot.flow.events import Choice, Command, Event, Start, TextIn
from bot.flow.replies import QuickExit
from bot.flow.screens import Env
from bot.flow.state import State

Detector = Callable[[str], str | None]
BOLD, DIM, CYAN, RESET = "\033[1m", "\033[2m", "\033[36m", "\033[0m"
CLEAR = "\033[2J\033[3J\033[H"
_TAGS = re.compile(r"<(/?)(\w+)[^>]*>")


class ConsoleDemo:
    def __init__(
        self,
        engine: Engine,
        renderer: Renderer,
        out: TextIO,
        lang: str | None = None,
        color: bool = False,
        width: int | None = None,
        detector: Detector | None = None,
    ) -> None:
        self.engine = engine
        self.renderer = renderer
        self.out = out
        self.lang = lang
        self.color = color
        self.width = max(40, min(width or shutil.get_terminal_size((88, 24)).columns, 100))
        self.detector = detector
        self.env = Env(channel="console", storage=False)
        self.state: State | None = None
        self.last: Rendered | None = None  # the prompt whose numbers the survivor can type

    def run(self, lines: Iterable[str], echo: bool = False) -> int:
        """Talk until the input ends or the survivor leaves. Returns the exit status."""
        if self._apply(Start(self.lang)):
            return 0
        source = iter(lines)
        while True:
            self._write(self._paint("> ", CYAN), end="")
            line = next(source, None)
            if line is None:
                self._write("")
                return 0
            line = line.rstrip("\r\n")
            if echo:
                self._write(line)
            if self._apply(self._event(line)):
                return 0

    def _event(self, line: str) -> Event:
        text = line.strip()
        if text.startswith("/") and len(text) > 1:
            name, _, arg = text[1:].partition(" ")
            name = name.split("@")[0].lower()
            return Start(self.lang) if name == "start" else Command(name, arg.strip())
        last = self.last
        if last and last.reply.token and text.isdigit():
            choices = [b for b in last.buttons if b.id != "_exit"]
            n = int(text)
            if n == 0:
                return Choice(last.reply.token, "_exit")
            if 1 <= n <= len(choices):
                return Choice(last.reply.token, choices[n - 1].id)
        detected = self.detector(text) if self.detector else None
        return TextIn(line, detected)

    def _apply(self, event: Event) -> bool:
        outcome: Outcome = self.engine.step(self.state, event, self.env)
        self.state = outcome.state
        if any(isinstance(e, QuickExit) for e in outcome.effects):
            if self.color:
                self._write(CLEAR, end="")
            return True
        for reply in outcome.replies:
            rendered = self.renderer.reply(reply, self.state.lang, limit=100_000)
            self._show(rendered)
            if reply.token:
                self.last = rendered
        return False

    def _show(self, rendered: Rendered) -> None:
        self._write("")
        for message in rendered.messages:
            for paragraph in self._terminal(message).split("\n"):
                self._write(self._wrap(paragraph))
        choices = [b for b in rendered.buttons if b.id != "_exit"]
        if choices:
            self._write("")
        for i, button in enumerate(choices, 1):
            self._write(self._wrap(f"{self._paint(f'{i:>2})', CYAN)} {button.label}", hang=5))
        exit_button = next((b for b in rendered.buttons if b.id == "_exit"), None)
        if exit_button:
            self._write(self._paint(f" 0) {exit_button.label}  (/exit)", DIM))

    def _terminal(self, message: str) -> str:
        """Telegram HTML to terminal text: bold where colour works, tags dropped otherwise."""

        def tag(m: re.Match[str]) -> str:
            if not self.color or m.group(2).lower() not in ("b", "strong"):
                return ""
            return RESET if m.group(1) else BOLD

        return html.unescape(_TAGS.sub(tag, message))

    def _wrap(self, text: str, hang: int = 0) -> str:
        if not text.strip():
            return ""
        visible = re.sub(r"\033\[[0-9;]*m", "", text)
        if len(visible) <= self.width:
            return text
        lead = re.match(r"\s*(?:[•\-*]\s+)?", visible)
        indent = " " * (hang or (len(lead.group(0)) if lead else 0))
        return textwrap.fill(
            text,
            self.width,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def _write(self, text: str, end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()


def stdin_lines(prompt_out: TextIO) -> Iterator[str]:
    """Lines typed at the terminal; Ctrl-D or Ctrl-C end the demo quietly."""
    while True:
        try:
            yield input()
        except (EOFError, KeyboardInterrupt):
            return


def wants_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
