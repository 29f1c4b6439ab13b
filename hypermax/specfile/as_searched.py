"""A spec's space and metrics as they search, not as written: what makes two specs one search.

A search resumes with a spec edited since only where the edit changes what it searches: the
free text of a node or a metric (``title``, ``description``), a default written out
(``"mode": "uniform"``, ``"scaling": "linear"``, as the original Hypermax's specs write them) or
the ``type`` beside an ``enum`` or a constant, which documents its values, change nothing.
"""

from __future__ import annotations

from typing import Any

#: the keys of a node of the space or of a metric that are free text for people
_NOTES = ("title", "description")
#: what a number node searches without the key: the key written as that changes nothing
_DEFAULTS = {"mode": "uniform", "scaling": "linear"}
_NONE = object()
#: the keys of a number node read as floats: ``1`` and ``1.0`` bound the same values
_FLOATS = ("min", "max", "rounding", "mean", "stddev")


def as_searched(node: Any, exact_numbers: bool = False) -> Any:
    """A node of the space (or a metric) as it searches: without the free text of its nodes,
    the defaults a number wrote out (``"mode": "uniform"``, ``"scaling": "linear"``) and the
    ``type`` written beside an ``enum`` or a constant, which documents its values; a whole
    float among a number's bounds, read as floats, as the int it equals (``1.0``: ``1``; not
    with ``exact_numbers``, as an earlier hypermax took them); the values it holds (a
    ``constant``, an ``enum``, a ``default``) and its params' names as they are."""
    if not isinstance(node, dict):
        return node
    valued = any(key in node for key in ("enum", "constant", "const"))
    out = {
        key: value if exact_numbers or valued or key not in _FLOATS else _whole(value)
        for key, value in node.items()
        if key not in _NOTES
        and _DEFAULTS.get(key, _NONE) != value
        and not (key == "type" and valued)
    }
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [as_searched(branch, exact_numbers) for branch in out[key]]
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: as_searched(v, exact_numbers) for name, v in out["properties"].items()
        }
    items = out.get("items")
    if isinstance(items, list):
        out["items"] = [as_searched(item, exact_numbers) for item in items]
    elif isinstance(items, dict):
        out["items"] = as_searched(items, exact_numbers)
    return out


def _whole(value: Any) -> Any:
    """``value``, or the int a whole float equals."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
