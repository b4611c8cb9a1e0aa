"""Inline keyboards: engine buttons to Telegram buttons, and callback data back to choices.

Callback data is `<token>.<button id>`: the token names the question the button belongs to,
so a stale or forged press is recognised by the engine, and every id fits the 64-byte limit
(checked by `flows check`).
"""

from __future__ import annotations

import unicodedata

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.render import RenderedButton
from bot.flow.events import Choice

CALLBACK_LIMIT = 64
SHORT_LABEL = 18  # labels this short sit two to a row
SHORT_NAME = 10  # names this short (countries) sit three to a row
NAMES_PER_ROW = 3  # Telegram allows 8 a row; three short names still read on a phone


def width(label: str) -> int:
    """Columns a label takes: wide (CJK) characters count two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn"
        else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in label
    )  # fmt: skip


def encode(token: str | None, button_id: str) -> str:
    data = f"{token or '0'}.{button_id}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError("callback data longer than Telegram allows")
    return data


def decode(data: str | None) -> Choice:
    """Any callback data at all becomes a Choice; the engine rejects what does not fit."""
    token, _, option = (data or "").partition(".")
    return Choice(token[:12], option[:64])


def markup(token: str | None, buttons: tuple[RenderedButton, ...]) -> InlineKeyboardMarkup | None:
    """Rows of buttons: a list of names (countries) as a grid of two or three a row, other
    choices two a row when there are many short ones, and "Leave now" alone at the bottom."""
    if not buttons:
        return None
    choices = [b for b in buttons if b.id != "_exit"]
    others = [b for b in choices if not b.names]
    pair = len(others) > 3 and all(len(b.label) <= SHORT_LABEL for b in others)
    names = [b for b in choices if b.names]
    per_row = NAMES_PER_ROW if names and max(width(b.label) for b in names) <= SHORT_NAME else 2
    rows: list[list[InlineKeyboardButton]] = []
    previous: RenderedButton | None = None
    for b in choices:
        button = InlineKeyboardButton(b.label, callback_data=encode(token, b.id))
        same_kind = previous is not None and previous.names == b.names
        if b.names:  # a long name (over SHORT_LABEL) keeps a row to itself
            row = rows[-1] if same_kind else []
            short = all(width(x.text) <= SHORT_LABEL for x in [*row, button])
            fits = per_row if short else 1
        else:
            fits = 2 if pair else 1
        if same_kind and len(rows[-1]) < fits:
            rows[-1].append(button)
        else:
            rows.append([button])
        previous = b
    for b in buttons:
        if b.id == "_exit":
            rows.append([InlineKeyboardButton(b.label, callback_data=encode(token, b.id))])
    return InlineKeyboardMarkup(rows)


def label_of(keyboard: InlineKeyboardMarkup | None, data: str | None) -> str | None:
    """The label of the pressed button, to show the answer in place of the buttons."""
    if keyboard is None or data is None:
        return None
    for row in keyboard.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
