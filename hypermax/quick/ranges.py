"""Hyperparameter ranges written on one line, after Studio: ``lr=1e-5:l5:0.1``.

``a:b`` is a uniform number (an integer when both ends are), ``a:lN:b`` a log-uniform one whose
grid is N log-spaced points, ``a:uN:b`` a uniform one whose grid is N evenly spaced points,
``a,b,c`` a list of values, and a single value a constant; a text in double quotes is one
value, its ``:`` and ``,`` included (``"http://x.org"``). The grid points count for the ``grid``
method only; every other method searches the whole range.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypermax.errors import SpecError
from hypermax.values import as_json, plain, quoted

__all__ = [
    "RangeError",
    "SpaceError",
    "as_json",
    "metric_goal",
    "parse_assignment",
    "parse_range",
    "plain",
    "space_node",
]

_SPACED = re.compile(r"([lu])(\d+)")


class RangeError(ValueError):
    """A range that cannot be read; the message says what is wrong with it."""


class SpaceError(SpecError, RangeError):
    """A ``space=`` of ``hypermax.optimize`` that cannot be read: a SpecError that names
    ``optimize()`` as every other value of its spec does (``optimize(): space "lr": "5:1": the
    low end must be below the high end``), and still a RangeError, so a ValueError."""


def metric_goal(text: str) -> tuple[str, str] | None:
    """``val_loss`` or ``val_loss:min`` → ``("val_loss", "min")``, ``val_loss:max`` →
    ``("val_loss", "max")``; None for anything else: no name, or a colon followed by anything
    but ``min`` or ``max`` (nothing included: ``val_loss:`` is no direction, not ``min``)."""
    name, colon, direction = text.partition(":")
    if not name or (colon and direction not in ("min", "max")):
        return None
    return name, direction or "min"


def parse_assignment(text: str) -> tuple[str, dict[str, Any]]:
    """``name=range`` → ``(name, spec node)``; raises RangeError."""
    name, sep, written = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise RangeError("write name=range, e.g. lr=1e-5:l5:0.1")
    if not name.isidentifier():
        raise RangeError(
            f"a name is letters, digits and _, not starting with a digit: got {quoted(name)}"
        )
    return name, parse_range(written.strip())


def parse_range(text: str) -> dict[str, Any]:
    """One range → the spec node it stands for (see the module's docs for the forms)."""
    if not text:
        raise RangeError("the range is empty")
    ends = _split(text, ":")
    if len(ends) > 1:
        try:
            return _interval(ends)
        except NotANumber as exc:
            if any(_is_number(_value(end)) for end in ends):
                raise  # a range, one end mistyped (a:2)
            # no number at all: a path, a URL, a text, which double quotes keep whole
            raise RangeError(
                f'{exc} (a text holding ":" is one value written in double quotes:'
                f" {json.dumps(text)})"
            ) from None
    parts = _split(text, ",")
    if len(parts) > 1:
        if (text[0], text[-1]) in (("[", "]"), ("(", ")")):  # [1,2]: the values "[1" and "2]"
            raise RangeError(
                f"a list is written without brackets: {','.join(_split(text[1:-1], ','))}"
            )
        if "" in parts:
            raise RangeError('a value of the list is empty: write "" for an empty text')
        return {"enum": [_value(part) for part in parts]}
    return {"constant": _value(text)}


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at each ``separator`` outside a double-quoted text (``"http://x"``, a
    JSON string, is one value), each part stripped; at every one when a quote is left open."""
    parts, start, quoted, escaped = [], 0, False, False
    for at, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:at])
            start = at + 1
    if quoted:  # a stray quote (x"y:z) quotes nothing
        parts, start = text.split(separator)[:-1], text.rfind(separator) + 1
    return [part.strip() for part in [*parts, text[start:]]]


def _interval(parts: list[str]) -> dict[str, Any]:
    if len(parts) not in (2, 3):
        raise RangeError("write a:b, a:lN:b or a:uN:b")
    low, high = _number(parts[0]), _number(parts[-1])
    if not low < high:
        for part, end in ((parts[0], low), (parts[-1], high)):
            if not math.isfinite(end):  # an infinite high end is the spec's to refuse
                raise RangeError(f'"{part}" is not a finite number')
        raise RangeError("the low end must be below the high end")
    whole = all(re.fullmatch(r"[-+]?\d+", part) for part in (parts[0], parts[-1]))
    node: dict[str, Any] = {"type": "integer" if whole else "number", "min": low, "max": high}
    if len(parts) == 3:
        spaced = _SPACED.fullmatch(parts[1])
        if spaced is None or int(spaced.group(2)) < 2:
            raise RangeError("the middle part is lN (log-spaced) or uN (evenly spaced), N >= 2")
        if spaced.group(1) == "l":
            if low <= 0:
                raise RangeError("a log-spaced range needs a low end above 0")
            node["scaling"] = "logarithmic"
        node["grid_points"] = int(spaced.group(2))
    return node


class NotANumber(RangeError):
    """An end of a range that is no number (``http`` of ``http://x.org``)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(part: str) -> int | float:
    value = _value(part)
    if not _is_number(value):
        raise NotANumber(f'"{part}" is not a number')
    return value


#: a number as people write it that JSON does not read: ``.5``, ``1.``, ``+1`` (not ``007``,
#: which may be a text: an id)
_LOOSE_NUMBER = re.compile(r"[-+]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _value(part: str) -> Any:
    """A JSON value (number, true, null, "quoted") when the text is one, or a number written
    as Python reads it (``.5``, ``+1``), else the text itself."""
    try:
        return json.loads(part)
    except ValueError:
        if _LOOSE_NUMBER.fullmatch(part):
            return int(part) if re.fullmatch(r"[-+]?\d+", part) else float(part)
        return part


#: the keys that make a dict a spec node rather than a nested space in short
_NODE_KEYS = frozenset({"type", "enum", "constant", "const", "anyOf", "oneOf", "$ref"})


#: the keys of a node of the spec, what a dict that is one node holds alone
_NODE_FIELDS = _NODE_KEYS | {
    "min", "max", "scaling", "rounding", "mode", "mean", "stddev", "default", "grid",
    "grid_points", "properties", "items", "minItems", "maxItems", "description", "title",
}  # fmt: skip


def _node_key(space: dict[str, Any]) -> str | None:
    """The key that makes ``space`` one node of the spec rather than a dict of params: it
    holds only a node's keys, one of them as a node has it (``"anyOf": [...]``, ``"type":
    "number"``, ``"enum": [...]``, ``"constant": 3``); None for a dict of params, which may name
    a param ``type`` (``{"type": "0:1"}``, ``{"type": ["a", "b"]}``) or ``enum``."""
    if not set(space) <= _NODE_FIELDS:
        return None
    for key, value in space.items():
        listed = key in ("anyOf", "oneOf", "enum") and isinstance(value, list)
        typed = key == "type" and value in ("object", "number", "integer", "array")
        fixed = key in ("constant", "const") and not isinstance(value, dict)  # dict: a space
        if listed or typed or fixed:
            return key
    return None


def space_node(space: dict[str, Any], within: str = "") -> dict[str, Any]:
    """The ``hyperparameters`` node for a space given in short: ``{"lr": "1e-5:l5:0.1"}``.

    A value that is a spec node (a dict with ``type``, ``enum``, ``constant``, ...) is taken as
    it is, any other dict is a nested space in short (the trial gets a nested dict); a string
    is a range as above; a tuple of two numbers ``(low, high)`` is the range ``low:high``; a
    list is an enum of its values; any other value is a constant. A space that is already an
    object node (``{"type": "object", "properties": ...}``) is returned as it is. Raises
    RangeError for a range that cannot be read (a tuple of anything but two numbers included:
    it would be a choice by mistake). ``within`` is the dotted name of a nested space. A space
    that is a ``$ref`` (``{"$ref": "template:svc#/hyperparameters"}``) is the node it names;
    one that is another node (``{"anyOf": [...]}``, ``{"type": "number", ...}``) is a
    RangeError: a spec's top is an object node.
    """
    if space.get("type") == "object" and isinstance(space.get("properties"), dict):
        return space
    if not within and "$ref" in space:
        return space
    node_key = None if within else _node_key(space)
    if node_key == "type" and space["type"] == "object":
        raise RangeError(
            'space= is an object node without "properties": give them, '
            '{"type": "object", "properties": {...}}, or a dict of params'
        )
    if node_key is not None:
        key = quoted(node_key)
        raise RangeError(
            f"space= is one node ({key}), which the top of a space cannot be: put it under a "
            'param\'s name ({"model": <the node>}), or give an object node ({"type": "object", '
            f'"properties": {{...}}}}), where a param may be named {key}'
        )
    properties = {}
    for key, given in space.items():
        name = f"{within}{key}"
        if not isinstance(key, str):  # JSON would make it a str the params are then keyed by
            raise RangeError(
                f'space "{name}": a param is named by a str, got the {type(key).__name__} {key!r}'
            )
        value = plain(given)
        if isinstance(value, dict) and not _NODE_KEYS.intersection(value):
            properties[key] = space_node(value, f"{name}.")
        elif isinstance(value, dict):
            properties[key] = _json_value(name, value)
        elif isinstance(value, str):
            try:
                properties[key] = parse_range(value)
            except RangeError as exc:
                raise RangeError(f'space "{name}": "{value}": {exc}') from None
        elif isinstance(value, tuple):
            properties[key] = _pair(name, tuple(plain(end) for end in value))
        elif isinstance(value, list):
            properties[key] = {"enum": _json_value(name, value)}
        else:
            properties[key] = {"constant": _json_value(name, value)}
    return {"type": "object", "properties": _gridless(properties)}


def _json_value(name: str, value: Any) -> Any:
    """``value`` as JSON holds it (:func:`as_json`); raises RangeError naming the param for a
    value JSON cannot hold (a set, an object)."""
    try:
        return as_json(value)
    except (TypeError, ValueError):
        raise RangeError(
            f'space "{name}": {value!r}: write a range string, a (low, high) tuple, a list of '
            "values or a constant that JSON can hold"
        ) from None


def _pair(name: str, value: tuple[Any, ...]) -> dict[str, Any]:
    """``(low, high)`` → the node of the range ``low:high`` (integers when both ends are)."""
    numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(value) != 2 or len(numbers) != 2:
        raise RangeError(
            f'space "{name}": {value!r}: a tuple is a range (low, high) of two numbers; '
            "a list is a choice of values"
        )
    low, high = numbers
    if not low < high:
        raise RangeError(f'space "{name}": {value!r}: the low end must be below the high end')
    whole = all(isinstance(v, int) for v in numbers)
    return {"type": "integer" if whole else "number", "min": low, "max": high}


def _gridless(properties: dict[str, Any]) -> dict[str, Any]:
    """Drop ``grid_points`` where this version's schema has no grid method to use it."""
    if _schema_has_grid_points():
        return properties
    return {
        name: {k: v for k, v in node.items() if k != "grid_points"}
        for name, node in properties.items()
    }


def _schema_has_grid_points() -> bool:
    from pathlib import Path

    schema = json.loads((Path(__file__).parents[1] / "schema.json").read_text(encoding="utf-8"))
    return "grid_points" in schema["$defs"]["numberNode"]["properties"]
