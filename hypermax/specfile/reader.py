"""Parse spec files (JSON, or YAML read with ``safe_load`` rules) into plain JSON values.

Used for the spec and for every file its ``$ref``s name. Each problem is a SpecError whose one
line names the file (and the line, for syntax errors).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError


def read_document(path: Path) -> dict[str, Any]:
    """Parse a spec file (JSON, or YAML with ``safe_load`` rules) into a dict.

    Raises SpecError naming the file for unreadable files, syntax errors (with their line),
    duplicate keys, YAML tags that would build Python objects, and a top level that is not an
    object.
    """
    doc = parse_document(path)
    if not isinstance(doc, dict):
        raise SpecError(path.name, [("", "must be an object with the spec's sections")])
    return doc


def parse_document(path: Path) -> Any:
    """Parse a JSON or YAML file (chosen by its suffix) into plain JSON values.

    Used for the spec and for the files its ``$ref``s name; problems are a SpecError whose one
    problem has an empty JSON path.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(path.name, [("", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise SpecError(path.name, [("", f"cannot read: {exc.strerror}")]) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _parse_yaml(text, path.name)
    return _parse_json(text, path.name)


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
                out.append((where, f'duplicate key "{key}"'))
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


def _parse_json(text: str, file: str) -> Any:
    duplicates = _DuplicateKeys()
    try:
        doc = json.loads(text, object_pairs_hook=duplicates.hook, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise SpecError(file, [("", f"line {exc.lineno}: invalid JSON: {exc.msg}")]) from None
    except _NotJSON as exc:
        raise SpecError(file, [("", f"invalid JSON: {exc} is not allowed")]) from None
    problems = duplicates.problems(doc)
    if problems:
        raise SpecError(file, problems)
    return doc


class _YAMLProblem(Exception):
    """A YAML document that parses but is not allowed in a spec."""

    def __init__(self, node: Any, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


@functools.cache
def _spec_yaml_loader() -> type:
    """A SafeLoader that refuses unknown tags, duplicate keys and keys that are not strings.

    Built on first use so that reading a JSON spec never imports yaml.
    """
    import yaml

    class SpecLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    shown = json.dumps(key, default=str)
                    raise _YAMLProblem(key_node, f"key {shown} must be a string (quote it)")
                if key in seen:
                    raise _YAMLProblem(key_node, f'duplicate key "{key}"')
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    def refuse_tag(loader: Any, node: Any) -> Any:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _YAMLProblem(node, f"YAML tag {tag} is not allowed")

    def timestamp_as_text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    SpecLoader.add_constructor(None, refuse_tag)
    # dates stay the text they were written as: a spec holds JSON values only
    SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
    return SpecLoader


def _parse_yaml(text: str, file: str) -> Any:
    import yaml

    try:
        # a SafeLoader subclass: the same rules as yaml.safe_load, stricter
        return yaml.load(text, Loader=_spec_yaml_loader())
    except _YAMLProblem as exc:
        raise SpecError(file, [("", f"line {exc.line}: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(file, [("", f"{where}invalid YAML: {problem}")]) from None
