"""Word a jsonschema error as one short line, the way a user reads it (without its JSON path).

The schema's own ``errorMessage`` for a keyword wins (``{got}`` in it becomes the value found);
otherwise each keyword has a translator: ``must be a number, got "512MB"``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypermax.errors import printable
from hypermax.specfile.other_names import other_name_hint
from hypermax.specfile.problems import choices, join_or, show

if TYPE_CHECKING:
    from jsonschema import ValidationError


def explain(error: ValidationError) -> str:
    """One short line for a jsonschema error (without its path)."""
    custom = _custom_message(error)
    if custom is not None:
        return custom
    translate = _TRANSLATORS.get(str(error.validator), _fallback)
    return translate(error)


def _custom_message(error: ValidationError) -> str | None:
    """The schema's own ``errorMessage`` for this keyword, with ``{got}`` filled in."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("errorMessage")
    if isinstance(custom, dict):
        custom = custom.get(str(error.validator))
    if not isinstance(custom, str):
        return None
    custom = custom.replace("{got}", show(error.instance))
    if error.validator == "type" and "hyperparameter node" in custom:
        return custom + _shorthand_hint(error.instance)
    if error.validator == "required" and isinstance(error.instance, dict):
        # a key the message asks for, written otherwise: "Type" for "type"
        asked = re.findall(r'"([^"]+)"', custom)
        for key in error.instance:
            meant = did_you_mean(str(key), asked) if key not in asked else ""
            if meant:
                return f"{custom} (it has {show(key)}: {meant[2:-1]})"
        if "hyperparameter node" in custom:
            return custom + _kind_hint(error.instance)
    return custom


#: keys that only a node of one kind has, and that kind
_KIND_KEYS = {
    **dict.fromkeys(
        ("min", "max", "rounding", "scaling", "mode", "mean", "stddev", "grid", "grid_points"),
        "number",
    ),
    "properties": "object",
    "items": "array",
}


def _kind_hint(node: dict[str, Any]) -> str:
    """`` (it has "min": a number node has "type": "number")`` for a node without a ``type``
    whose keys say which it is meant to be; ``""`` when none does."""
    for key in node:
        kind = _KIND_KEYS.get(key)
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            return f' (it has {show(key)}: {article} {kind} node has "type": "{kind}")'
    return ""


def _shorthand_hint(value: Any) -> str:
    """How a spec writes ``value`` as a node when it is what ``optimize(space=...)`` and
    ``hypermax quick`` take for one, a list of values to choose from: `` (a list to choose from
    is {"enum": [1, 2]})``; else ``""``."""
    if not isinstance(value, list) or not value:
        return ""
    written = json.dumps({"enum": value}, ensure_ascii=False, separators=(", ", ": "))
    if len(written) > 60:
        written = '{"enum": [...]}'
    return f" (a list to choose from is {printable(written)})"


_TYPE_NAMES = {
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _type(error: ValidationError) -> str:
    wanted = error.validator_value
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    return f"must be {join_or(_TYPE_NAMES.get(n, n) for n in names)}, got {show(error.instance)}"


def _required(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    missing = [key for key in error.validator_value if key not in instance]
    if len(missing) == 1:
        return f'missing required key "{missing[0]}"'
    return "missing required keys " + ", ".join(f'"{key}"' for key in missing)


def unknown_keys(error: ValidationError) -> list[str]:
    """The keys an ``additionalProperties: false`` error's object must not hold."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [
        key
        for key in instance
        if key not in known and not any(re.search(p, str(key)) for p in patterns)
    ]


def _additional(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    unknown = unknown_keys(error)
    unused = [key for key in known if key not in error.instance]
    meant = {
        key: other_name_hint(error.absolute_path, key) or did_you_mean(str(key), unused)
        for key in unknown
    }
    named = [f"{show(key)}{meant[key]}" for key in unknown]
    nodes = [key for key in unknown if not meant[key] and isinstance(error.instance[key], dict)]
    extension = _extension_hint(schema, nodes)
    if len(named) == 1:
        return f"unknown key {named[0]}{extension}"
    return "unknown keys " + ", ".join(named) + extension


def _extension_hint(schema: dict[str, Any], unknown: list[Any]) -> str:
    """Where an object takes extension keys (the spec's top level, ``x-...``), how one of the
    ``unknown`` keys (no typo, and holding a node, as one that YAML anchors do) would be kept:
    `` (a key that starts with "x-" is ignored, a place for anchors: "x-base")``; else ``""``."""
    if not unknown or "^x-" not in schema.get("patternProperties", {}):
        return ""
    kept = show("x-" + str(unknown[0]))
    return f' (a key that starts with "x-" is ignored, a place for anchors: {kept})'


def did_you_mean(word: str, known: list[str]) -> str:
    """`` (did you mean "iterations"?)`` when ``word`` is close to one of ``known``, else ``""``."""
    lower = {key.lower(): key for key in known}  # "MIN" and "Type" mean "min" and "type"
    close = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.75)
    return f' (did you mean "{lower[close[0]]}"?)' if close else ""


#: a direction as the other kind of direction says it: a metric's ``direction`` is
#: ``decrease`` or ``increase``, ``search.direction`` (and ``"acc:max"``) ``min`` or ``max``
_DIRECTIONS = {
    "min": "decrease",
    "max": "increase",
    "decrease": "min",
    "increase": "max",
}


def _enum(error: ValidationError) -> str:
    allowed = error.validator_value
    meant = _DIRECTIONS.get(error.instance) if isinstance(error.instance, str) else None
    hint = f' (did you mean "{meant}"?)' if meant in allowed else ""
    return f"must be one of {choices(allowed)}, got {show(error.instance)}{hint}"


def _const(error: ValidationError) -> str:
    return f"must be {show(error.validator_value)}, got {show(error.instance)}"


def _bound(words: str) -> Callable[[ValidationError], str]:
    def translate(error: ValidationError) -> str:
        return f"must be {words} {show(error.validator_value)}, got {show(error.instance)}"

    return translate


def _min_items(error: ValidationError) -> str:
    if error.validator_value == 1:
        return "must not be empty"
    return f"must have at least {error.validator_value} items, got {len(error.instance)}"


def _max_items(error: ValidationError) -> str:
    return f"must have at most {error.validator_value} items, got {len(error.instance)}"


def _min_length(error: ValidationError) -> str:
    if error.validator_value == 1:
        return "must not be empty"
    return f"must be at least {error.validator_value} characters long, got {show(error.instance)}"


def _max_length(error: ValidationError) -> str:
    return f"must be at most {error.validator_value} characters long"


def _pattern(error: ValidationError) -> str:
    return f"must match {error.validator_value}, got {show(error.instance)}"


def _min_properties(error: ValidationError) -> str:
    if error.validator_value == 1:
        return "must not be empty"
    return f"must have at least {error.validator_value} keys"


def _fallback(error: ValidationError) -> str:
    return str(error.message).splitlines()[0]


def _unique_items(error: ValidationError) -> str:
    """Name the repeated value: YAML's ``[yes, no, off]`` repeats ``false`` where none is seen."""
    items = error.instance if isinstance(error.instance, list) else []
    seen: list[Any] = []
    for item in items:
        if any(_same(item, earlier) for earlier in seen):
            hint = (
                " (YAML reads yes, no, on and off as true and false: quote them to keep the words)"
                if isinstance(item, bool)
                else ""
            )
            return f"must not repeat a value: {show(item)} is repeated{hint}"
        seen.append(item)
    return "must not repeat a value"


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: ``true`` is not ``1``, as jsonschema's ``uniqueItems`` sees them."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


_TRANSLATORS: dict[str, Callable[[ValidationError], str]] = {
    "type": _type,
    "required": _required,
    "additionalProperties": _additional,
    "unevaluatedProperties": _additional,
    "enum": _enum,
    "const": _const,
    "minimum": _bound("at least"),
    "maximum": _bound("at most"),
    "exclusiveMinimum": _bound("greater than"),
    "exclusiveMaximum": _bound("less than"),
    "multipleOf": _bound("a multiple of"),
    "minItems": _min_items,
    "maxItems": _max_items,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "minProperties": _min_properties,
    "uniqueItems": _unique_items,
    "false": lambda error: "is not allowed here",
    "not": lambda error: "is not allowed here",
}
