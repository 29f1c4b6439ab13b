"""Parse a JSON spec file's text into plain JSON values.

Stricter than ``json.loads``: duplicate keys, ``NaN``/``Infinity`` and numbers no float can hold
are refused, and a syntax error names its line and, for the two mistakes of people used to
JavaScript or YAML (a comment, a trailing comma), the mistake. Each problem is a SpecError.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError
from hypermax.specfile.limits import MAX_DEPTH, too_large
from hypermax.specfile.yaml_text import parse_yaml
from hypermax.values import quoted


class InvalidJSON(SpecError):
    """Text that is not JSON at all (a syntax error, a ``NaN``), as against JSON holding what
    a spec cannot (a number beyond the largest float, a key written twice)."""


class _DuplicateKeys:
    """Collects the objects that repeat a key while ``json.loads`` builds them."""

    def __init__(self) -> None:
        self.found: dict[int, list[str]] = {}
        self._keep: list[dict[str, Any]] = []  # keeps ids unique while parsing

    def hook(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                self.found.setdefault(id(obj), []).append(key)
            obj[key] = value
        if id(obj) in self.found:
            self._keep.append(obj)
        return obj

    def problems(self, doc: Any) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for where, obj in _walk_objects(doc, ""):
            for key in self.found.get(id(obj), []):
                out.append((where, f"duplicate key {quoted(key)}"))
        return out


def _walk_objects(value: Any, where: str) -> Any:
    """Yield ``(dotted path, dict)`` for every object in a parsed document, outermost first."""
    if isinstance(value, dict):
        yield where, value
        for key, child in value.items():
            yield from _walk_objects(child, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _walk_objects(child, f"{where}.{i}" if where else str(i))


class _NotJSON(ValueError):
    """A constant (NaN, Infinity) that Python's json accepts and JSON does not."""


def _refuse_constant(name: str) -> Any:
    raise _NotJSON(name)


class _TooLarge(ValueError):
    """A whole number written with more digits than any number of a spec may have."""

    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _json_int(digits: str) -> int:
    if too_large(digits) is not None:
        raise _TooLarge(digits)
    return int(digits)


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: Infinity, which JSON has no word for
        raise _TooLarge(text)
    return value


def parse_json(text: str, file: str) -> Any:
    """Parse JSON ``text`` of the file named ``file``; SpecError for what a spec cannot hold."""
    duplicates = _DuplicateKeys()
    try:
        doc = json.loads(
            text,
            object_pairs_hook=duplicates.hook,
            parse_constant=_refuse_constant,
            parse_int=_json_int,
            parse_float=_json_float,
        )
    except _TooLarge as exc:
        line = text.count("\n", 0, max(text.find(exc.digits), 0)) + 1
        raise SpecError(file, [("", f"line {line}: {too_large(exc.digits)}")]) from None
    except RecursionError:
        raise SpecError(file, [("", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except json.JSONDecodeError as exc:
        line, message = _json_mistake(exc)
        if _reads_as_yaml(text):  # a YAML spec in a .json file, or one without a suffix
            message += f" (the file is YAML: name it {Path(file).stem}.yaml)"
        raise InvalidJSON(file, [("", f"line {line}: invalid JSON: {message}")]) from None
    except _NotJSON as exc:
        raise InvalidJSON(file, [("", f"invalid JSON: {exc} is not allowed")]) from None
    problems = duplicates.problems(doc)
    if problems:
        raise SpecError(file, problems)
    return doc


def _reads_as_yaml(text: str) -> bool:
    """Whether ``text``, which is no JSON, is a YAML mapping (a spec written in YAML)."""
    if text.lstrip().startswith(("{", "[")):
        return False
    try:
        return isinstance(parse_yaml(text, ""), dict)
    except SpecError:
        return False


def _json_mistake(exc: json.JSONDecodeError) -> tuple[int, str]:
    """The line and reason of a JSON syntax error, naming the two mistakes of people used to
    JavaScript or YAML (a comment, a trailing comma) instead of what the parser expected."""
    text, pos = exc.doc, exc.pos
    if text.startswith(("//", "/*"), pos):
        return exc.lineno, "comments are not allowed (write the spec in YAML to keep them)"
    before = text[:pos].rstrip()
    if text.startswith(("}", "]"), pos) and before.endswith(","):
        line = before.count("\n") + 1
        return line, f"a trailing comma before {text[pos]} is not allowed"
    return exc.lineno, exc.msg
