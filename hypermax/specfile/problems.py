"""Problems of a spec: ``(json path, message)`` pairs, and how values are shown in their messages.

Every check yields problems; :func:`report` turns them into the ``(dotted.path, message)`` lines a
SpecError prints, sorted by path: all of them, up to :data:`MAX_PROBLEMS` (a spec that breaks in
more places gets a last line that says how many more there are).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypermax.values import json_text, quoted

JsonPath = tuple[str | int, ...]
Problem = tuple[JsonPath, str]


class KeyPath(tuple[str | int, ...]):
    """The path of a key its object must not hold. A problem with it is named at the object's
    path, in the file that wrote the key: beside a ``$ref``, the referring file."""

    @property
    def named_at(self) -> JsonPath:
        """The path the problem is named at: the object's."""
        return tuple(self[:-1])


MAX_PROBLEMS = 100


def report(problems: Iterable[Problem]) -> list[tuple[str, str]]:
    """The problems by path, without repeats, as ``(dotted.path, message)`` pairs."""
    unique = in_order(problems)
    lines = [(dotted(named_at(where)), message) for where, message in unique[:MAX_PROBLEMS]]
    if len(unique) > MAX_PROBLEMS:
        lines.append(("", more_problems(len(unique))))
    return lines


def in_order(problems: Iterable[Problem]) -> list[Problem]:
    """The problems by path, without repeats."""
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda problem: _sort_key(named_at(problem[0])))
    return unique


def named_at(where: JsonPath) -> JsonPath:
    """The path a problem at ``where`` is named at (see :class:`KeyPath`)."""
    return where.named_at if isinstance(where, KeyPath) else where


def more_problems(count: int) -> str:
    """The last line of a report of ``count`` problems, past :data:`MAX_PROBLEMS`."""
    return f"and {count - MAX_PROBLEMS} more problems"


def dotted(where: Iterable[str | int]) -> str:
    """``("layers", "items", 0, "max")`` → ``"layers.items.0.max"``; a key that a line could
    not show as it is (a line break in it) in JSON's quotes, so that the path stays on one
    line: ``properties."a\\nb".enum``."""
    return ".".join(_part(part) for part in where)


def _part(part: str | int) -> str:
    text = str(part)
    return text if text.isprintable() else quoted(text)


def _sort_key(where: JsonPath) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in where)


def show(value: Any) -> str:
    """A value as the user wrote it, shortened: ``"512MB"``, ``0``, ``an object``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return json_text(value)


def choices(values: Iterable[Any], limit: int = 12) -> str:
    """``a, b or c``: strings bare, other values as JSON."""
    shown = [v if isinstance(v, str) else show(v) for v in values]
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + ", ..."
    return join_or(shown)


def join_or(words: Iterable[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
