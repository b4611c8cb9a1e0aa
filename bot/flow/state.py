"""A conversation's state: plain, versioned, JSON-serialisable data.

Stored between steps (encrypted) by the host. Loading never fails on data written by an older
or newer version of the bot: unknown fields are dropped, missing ones take their defaults, and
the engine restarts kindly if the node it points to no longer exists in the flow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

STATE_VERSION = 1
Answer = str | list[str]
Mode = Literal["triage", "done", "handoff"]


@dataclass(slots=True)
class State:
    v: int = STATE_VERSION
    flow: str = ""
    node: str | None = None  # the question (or end) waiting for the survivor
    turn: int = 0  # bumps with every question shown; stale buttons carry an older turn
    lang: str | None = None
    lang_chosen: bool = False  # picked on purpose (/language) rather than from the app
    answers: dict[str, Answer] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)  # questions answered, in order
    picks: list[str] = field(default_factory=list)  # multi-choice toggles not yet confirmed
    pending: str | None = None  # a system prompt awaiting an answer (language, crisis, ...)
    resume: str | None = None  # where to go once that prompt is answered
    mode: Mode = "triage"
    declined_langs: list[str] = field(default_factory=list)
    kept: bool = False  # the survivor agreed to keep a case
    opened: list[str] = field(default_factory=list)  # results sections opened since shown
    raised: list[str] = field(default_factory=list)  # crisis screens met: flags for the team

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> State:
        if not isinstance(data, dict):
            return cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name in known and _plausible(known[name], value):
                kwargs[name] = value
        state = cls(**kwargs)
        state.v = STATE_VERSION
        return state


def _plausible(f: dataclasses.Field[Any], value: Any) -> bool:
    """Cheap type check so a damaged or foreign payload restarts instead of crashing."""
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if default is None:
        return value is None or isinstance(value, str)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(x, str) for x in value)
    if isinstance(default, dict):
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str | list) for k, v in value.items()
        )
    return False
