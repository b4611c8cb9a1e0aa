"""Inline keyboards: engine buttons to Telegram buttons, and callback data back to choices.

Callback data is `<token>.<button id>`: the token names the question the button belongs to,
so a stale or forged press is recognised by the engine, and every id fits the 64-byte limit
(checked by `flows check`).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.render import RenderedButton
from bot.flow.events import Choice

CALLBACK_LIMIT = 64
SHORT_LABEL = 18  # labels this short sit two to a row


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
    if not buttons:
        return None
    choices = [b for b in buttons if b.id != "_exit"]
    rows: list[list[InlineKeyboardButton]] = []
    pair = len(choices) > 3 and all(len(b.label) <= SHORT_LABEL for b in choices)
    for b in choices:
        button = InlineKeyboardButton(b.label, callback_data=encode(token, b.id))
        if pair and rows and len(rows[-1]) == 1:
            rows[-1].append(button)
        else:
            rows.append([button])
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
