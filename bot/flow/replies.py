"""What the engine hands back: replies made of catalog keys, and effects for the host to apply.

Nothing here is rendered: a channel turns `Text` trees into words with the locale catalogs, so
the same reply shows in Telegram, the terminal demo or a later channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal


class Ltr(str):
    """Data that must stay left-to-right inside any text: numbers, URLs, e-mail addresses."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Join:
    """Several values shown one after the other, separated by `sep` (punctuation only)."""

    items: tuple[Param, ...]
    sep: str = "\n"


@dataclass(frozen=True, slots=True)
class Text:
    """One catalog message. Plain `str` parameters are survivor or data text: always escaped."""

    key: str
    params: tuple[tuple[str, Param], ...] = ()
    count: int | None = None  # picks the plural form
    bold: bool = False
    lang: str | None = None  # render in this locale whatever the conversation's language

    @classmethod
    def of(
        cls, key: str, /, count: int | None = None, bold: bool = False, **params: Param
    ) -> Text:
        return cls(key, tuple(sorted(params.items())), count, bold)


Param = str | int | Ltr | Text | Join | dt.datetime | dt.date | dt.timedelta


@dataclass(frozen=True, slots=True)
class Button:
    id: str  # an option id, or a system id starting with "_"
    label: Text
    selected: bool = False
    # A list of names (countries): the channel sorts them by their name in the reader's
    # language and may set them several to a row.
    names: bool = False


Kind = Literal["question", "info", "results", "crisis", "notice"]


@dataclass(frozen=True, slots=True)
class Reply:
    body: tuple[Text, ...]
    buttons: tuple[Button, ...] = ()
    token: str | None = None  # set when the buttons (or typed answers) belong to a question
    kind: Kind = "info"
    sensitive: bool = False  # shows case details: send protected from forwarding and saving
    exit_button: bool = False  # offer the "leave now" button
    expects_text: bool = False
    replaces_last: bool = False  # a multi-choice toggle: update the question in place


# Effects: carried out by the host after the new state is saved.


@dataclass(frozen=True, slots=True)
class QuickExit:
    """Delete every message of the chat that can still be deleted, and forget everything."""


@dataclass(frozen=True, slots=True)
class EraseData:
    """/delete confirmed: erase the kept case and the working state."""


@dataclass(frozen=True, slots=True)
class KeepCase:
    """The survivor agreed to keep their answers (consent text version for the record)."""

    consent: str


@dataclass(frozen=True, slots=True)
class LoadCase:
    """The survivor asked to resume a kept case; answer with a CaseLoaded event."""


@dataclass(frozen=True, slots=True)
class StartHandoff:
    """Open a case for hotline staff with the summary the survivor agreed to share."""


@dataclass(frozen=True, slots=True)
class RelayToStaff:
    """Survivor text for the staff topic; `withheld` names media that was not relayed."""

    text: str
    withheld: str | None = None


@dataclass(frozen=True, slots=True)
class EndHandoff:
    """The survivor left a handoff (exit or delete): tell staff, close the case topic."""


@dataclass(frozen=True, slots=True)
class SetCodeWord:
    """Hash the survivor's chosen code word and keep it with their case (never the word);
    answer with a CodeWordChecked event (ok: it is kept)."""

    word: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CheckCodeWord:
    """Check a code word typed for `purpose` ("resume" or "mydata"); answer with a
    CodeWordChecked event. A wrong try counts towards the lock."""

    word: str = field(repr=False)
    purpose: str


@dataclass(frozen=True, slots=True)
class HideMessage:
    """The survivor's message carried a code word: delete it from the chat at once."""


Effect = (
    QuickExit
    | EraseData
    | KeepCase
    | LoadCase
    | StartHandoff
    | RelayToStaff
    | EndHandoff
    | SetCodeWord
    | CheckCodeWord
    | HideMessage
)
