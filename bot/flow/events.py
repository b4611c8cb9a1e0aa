"""What a channel hands the engine: one survivor action, already stripped of platform detail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

MAX_TEXT = 4096  # Telegram's own limit; longer input is cut before it reaches the engine


@dataclass(frozen=True, slots=True)
class Start:
    """/start, or the first message of a new chat. `client_lang` is the app's language."""

    client_lang: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the slash, lower case
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """A button press: `token` identifies the question it belonged to."""

    token: str
    option: str


@dataclass(frozen=True, slots=True)
class TextIn:
    text: str
    detected_lang: str | None = None  # a confident language guess, offered never imposed


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # photo, video, document, voice, sticker, ... (never the content itself)


@dataclass(frozen=True, slots=True)
class CaseLoaded:
    """The host's answer to a LoadCase effect: the survivor's kept answers."""

    answers: dict[str, str | list[str]] = field(default_factory=dict)
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class CodeWordChecked:
    """The host's answer to a CheckCodeWord effect: right, or wrong with the tries left
    before the lock, or locked for `locked_for`."""

    ok: bool
    tries_left: int = 0
    locked_for: dt.timedelta | None = None


Event = Start | Command | Choice | TextIn | Media | CaseLoaded | CodeWordChecked
