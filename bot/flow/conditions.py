"""Declarative conditions over a survivor's answers: no eval, just data.

A condition is a mapping. Each plain key names an answer (or a fact such as `channel`)
and every key must hold for the mapping to hold::

    {age: under18}                   # the answer equals the value (or, for a
                                     # multi-choice answer, contains it)
    {where: [search, platform]}      # any of the listed values
    {any: [{age: under18}, {who: parent}]}
    {all: [...]}   {not: {...}}
    {answered: country}              # the question has been answered (not skipped)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Facts = Mapping[str, str | Sequence[str]]
SKIPPED = "skip"


class ConditionError(ValueError):
    """A malformed condition; `path` points inside it for error messages."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


def validate(cond: Any, path: tuple[str | int, ...] = ()) -> set[str]:
    """Check the shape of a condition and return the answer names it reads."""
    if not isinstance(cond, Mapping) or not cond:
        raise ConditionError("a condition must be a non-empty mapping", path)
    names: set[str] = set()
    for key, value in cond.items():
        here = (*path, key)
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"'{key}' needs a non-empty list of conditions", here)
            for i, sub in enumerate(value):
                names |= validate(sub, (*here, i))
        elif key == "not":
            names |= validate(value, here)
        elif key == "answered":
            if not isinstance(value, str):
                raise ConditionError("'answered' needs an answer name", here)
            names.add(value)
        else:
            if not isinstance(key, str):
                raise ConditionError(f"condition keys must be names, not {key!r}", here)
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str | bool | int) for v in values):
                raise ConditionError(f"'{key}' must be compared with a value or a list", here)
            names.add(key)
    return names


def holds(cond: Mapping[str, Any] | None, facts: Facts) -> bool:
    """Evaluate a (validated) condition. A missing answer never matches a value."""
    if cond is None:
        return True
    for key, value in cond.items():
        if key == "any":
            ok = any(holds(sub, facts) for sub in value)
        elif key == "all":
            ok = all(holds(sub, facts) for sub in value)
        elif key == "not":
            ok = not holds(value, facts)
        elif key == "answered":
            got = facts.get(value)
            ok = got is not None and got != SKIPPED and got != []
        else:  # any wanted value among the answers (no sets built: this runs millions of times)
            got = facts.get(key)
            have = (got,) if isinstance(got, str) else got or ()
            if isinstance(value, list):
                ok = any(_text(v) in have for v in value)
            else:
                ok = _text(value) in have
        if not ok:
            return False
    return True


def _text(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
