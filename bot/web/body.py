"""What a webhook body must look like before it reaches the bot.

Telegram only ever sends well-formed updates; anything else (a probe, a fuzzer, a broken proxy)
gets a 400 here rather than a traceback and a 500 further in, which would also make a real
sender retry the same bad body for a day. Only the fields the bot reads are checked, strictly
typed; everything else is left to python-telegram-bot's own parser.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_DEPTH = 32  # Telegram's updates nest a handful of levels; deeper is not Telegram


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


class _User(_Part):
    id: int
    is_bot: bool
    first_name: str
    language_code: str | None = None


class _Chat(_Part):
    id: int
    type: str


class _Entity(_Part):
    type: str
    offset: int = Field(ge=0)
    length: int = Field(ge=0)


class _Message(_Part):
    message_id: int
    date: int
    chat: _Chat
    from_: _User | None = Field(None, alias="from")
    text: str | None = None
    caption: str | None = None
    entities: list[_Entity] | None = None
    message_thread_id: int | None = None


class _Callback(_Part):
    id: str
    from_: _User = Field(alias="from")
    data: str | None = None
    message: _Message | None = None


class _Member(_Part):
    status: str
    user: _User


class _MemberChange(_Part):
    chat: _Chat
    from_: _User = Field(alias="from")
    date: int
    old_chat_member: _Member
    new_chat_member: _Member


class _Update(_Part):
    update_id: int = Field(ge=0, lt=1 << 53)
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _Callback | None = None
    my_chat_member: _MemberChange | None = None
    chat_member: _MemberChange | None = None


class BadBody(ValueError):
    """Not an update Telegram could have sent; the reason is safe to log (no content)."""


def parse_body(raw: bytes) -> dict[str, Any]:
    """The update as a dict, or BadBody: not JSON, not an object, too deep, or mistyped."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadBody("not JSON") from exc
    if not isinstance(data, dict):
        raise BadBody("not a JSON object")
    if _depth(data) > MAX_DEPTH:
        raise BadBody("nested too deeply")
    try:
        _Update.model_validate(data)
    except ValidationError as exc:
        raise BadBody(f"{exc.error_count()} field(s) of the wrong shape") from None
    return data


def _depth(value: object) -> int:
    """Nesting depth without recursion (a hostile body cannot exhaust the stack)."""
    deepest = 0
    todo: list[tuple[object, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            todo.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, depth + 1) for v in item)
    return deepest
