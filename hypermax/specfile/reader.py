"""Parse spec files (JSON, or YAML read with ``safe_load`` rules) into plain JSON values.

Used for the spec and for every file its ``$ref``s name. Each problem is a SpecError whose one
line names the file (and the line, for syntax errors).

Specs are shared between people, so a small file must not be able to take the machine down:
YAML aliases are counted as they are composed (a document that would expand past
:data:`MAX_VALUES` values, or nest deeper than :data:`MAX_DEPTH`, is refused naming the first
alias that crossed the bound), and a document nested too deeply for the checks is refused
instead of exhausting the stack. YAML numbers written with an exponent (``1e-3``, ``5e+2``),
which PyYAML reads as strings, are numbers. Only a regular file of at most :data:`MAX_BYTES` is
read: a named pipe would wait for a writer, and a device (``/dev/zero``) or a huge file would fill
the memory.
"""

from __future__ import annotations

import errno
import functools
import json
import math
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError
from hypermax.values import quoted

#: the most values a document may hold once its YAML aliases are expanded
MAX_VALUES = 100_000
#: the deepest nesting of objects and lists a document may have
MAX_DEPTH = 100
#: the largest spec file (or file a ``$ref`` names) that is read
MAX_BYTES = 64 * 1024 * 1024
#: a number with an exponent, as YAML 1.2 and JSON write it, that PyYAML 1.1 rules miss
_EXPONENT_NUMBER = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


def read_document(path: Path) -> dict[str, Any]:
    """Parse a spec file (JSON, or YAML with ``safe_load`` rules) into a dict.

    Raises SpecError naming the file for unreadable files, syntax errors (with their line),
    duplicate keys, YAML tags that would build Python objects, and a top level that is not an
    object; and for ``-`` (stdin), which has no folder for the spec's relative paths.
    """
    if str(path) == "-" and not path.is_file():
        problem = (
            "a spec cannot be read from stdin: save it to a file "
            "(its relative paths are relative to that file's folder)"
        )
        raise SpecError("-", [("", problem)])
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
        text = _read_file(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(path.name, [("", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise SpecError(path.name, [("", f"cannot read: {exc.strerror}")]) from None
    if path.suffix.lower() == ".py":
        problem = (
            "is a Python file, not a spec: a spec is a JSON or YAML file, whose function"
            " section names the Python file (`src`) or module (`module`) a trial runs"
        )
        raise SpecError(path.name, [("", problem)])
    if path.suffix.lower() in (".yaml", ".yml"):
        doc = _parse_yaml(text, path.name)
    else:
        doc = _parse_json(text, path.name)
    where = too_deep(doc)
    if where is not None:
        raise SpecError(path.name, [(where, f"nested more than {MAX_DEPTH} levels deep")])
    return doc


def _read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; SpecError for a folder, for
    what is not a regular file (opened without waiting for a named pipe's writer) and for a
    larger file."""
    fd = open_to_read(path)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SpecError(str(path), [("", _folder_problem(path))])
        if not stat.S_ISREG(mode):
            problem = f"is {file_kind(mode)}, not a file: save the spec to a file"
            raise SpecError(str(path), [("", problem)])
        chunks, size = [], 0
        with open(fd, "rb", closefd=False) as file:
            while chunk := file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    problem = f"is larger than {MAX_BYTES // 2**20} MiB: too large for a spec"
                    raise SpecError(path.name, [("", problem)])
                chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def open_to_read(path: str | os.PathLike[str]) -> int:
    """A descriptor of ``path`` opened to read, without waiting for a named pipe's writer: the
    caller's ``fstat`` of it tells a regular file from what is not one. A socket (or a device
    without its driver), which no process can open to read, is opened as a path alone, which
    ``fstat`` can still tell (its own words were "No such device or address")."""
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno != errno.ENXIO or not hasattr(os, "O_PATH"):
            raise
        return os.open(path, os.O_PATH | os.O_CLOEXEC)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is: ``a named pipe``, ``a device``, ``a socket``."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The dotted path of the first value nested deeper than ``limit``, or None.

    Walks without recursion, and visits a value shared by YAML aliases once per depth.
    """
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    seen: set[tuple[int, int]] = set()
    while stack:
        item, depth, where = stack.pop()
        if not isinstance(item, dict | list) or (id(item), depth) in seen:
            continue
        if depth >= limit:
            return where
        seen.add((id(item), depth))
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            stack.append((child, depth + 1, f"{where}.{key}" if where else str(key)))
    return None


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


def too_large(digits: str) -> str | None:
    """Why the number ``digits`` is too large for a spec (beyond the largest float, which every
    number of it must be able to become; past 4300 digits Python's ``int`` refuses it), or
    None. ``digits`` is a whole number, or one whose float is infinite (``1e400``)."""
    if not digits.lstrip("+-").replace("_", "").isdigit():
        return f"{digits} is beyond the largest number (about 1.8e308)"
    count = len(digits.lstrip("+-").replace("_", ""))
    if count <= 308 or (count == 309 and abs(int(digits)) <= sys.float_info.max):
        return None
    return f"a number of {count} digits is larger than the largest number (about 1.8e308)"


def _json_int(digits: str) -> int:
    if too_large(digits) is not None:
        raise _TooLarge(digits)
    return int(digits)


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: Infinity, which JSON has no word for
        raise _TooLarge(text)
    return value


def _parse_json(text: str, file: str) -> Any:
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
        raise SpecError(file, [("", f"line {line}: invalid JSON: {message}")]) from None
    except _NotJSON as exc:
        raise SpecError(file, [("", f"invalid JSON: {exc} is not allowed")]) from None
    problems = duplicates.problems(doc)
    if problems:
        raise SpecError(file, problems)
    return doc


def _reads_as_yaml(text: str) -> bool:
    """Whether ``text``, which is no JSON, is a YAML mapping (a spec written in YAML)."""
    if text.lstrip().startswith(("{", "[")):
        return False
    try:
        return isinstance(_parse_yaml(text, ""), dict)
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


class _YAMLProblem(Exception):
    """A YAML document that parses but is not allowed in a spec."""

    def __init__(self, node: Any, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


class _Expansion:
    """The size and depth each composed YAML node would have with its aliases expanded.

    Nodes are measured once, when they are complete, from their children's measures, so a
    document of a few aliases that would expand to billions of values is measured in the time
    it takes to read it.
    """

    def __init__(self) -> None:
        self.measures: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)
        self.total = 0  # values of the document so far, with its aliases expanded

    def measure(self, node: Any) -> tuple[int, int]:
        """Record a complete node: 1 + its children's values, 1 + its deepest child's depth."""
        if not isinstance(node.value, list):  # a scalar
            measured = (1, 0)
        else:
            children = [
                part
                for child in node.value
                for part in (child if isinstance(child, tuple) else (child,))
            ]
            sizes = [self.measures[id(child)] for child in children]
            measured = (
                1 + sum(values for values, _ in sizes),
                1 + max((depth for _, depth in sizes), default=0),
            )
        self.measures[id(node)] = measured  # the document holds every node: ids stay unique
        return measured


@functools.cache
def _spec_yaml_loader() -> type:
    """A SafeLoader that refuses unknown tags (and ``!!binary`` and ``!!set``, which build
    values JSON has no form for), duplicate keys and keys that are not strings,
    counts what its aliases expand to, and reads numbers with an exponent as numbers.

    Built on first use so that reading a JSON spec never imports yaml.
    """
    import yaml

    class SpecLoader(yaml.SafeLoader):
        def compose_document(self) -> Any:
            self.expansion = _Expansion()
            self.duplicates: list[_YAMLProblem] = []
            return super().compose_document()

        def compose_node(self, parent: Any, index: Any) -> Any:
            expansion: _Expansion = self.expansion
            if not self.check_event(yaml.AliasEvent):
                node = super().compose_node(parent, index)
                values, depth = expansion.measure(node)
                expansion.total += 1
                if depth > MAX_DEPTH:
                    raise _YAMLProblem(node, f"nested more than {MAX_DEPTH} levels deep")
                return node
            alias = self.peek_event()
            node = super().compose_node(parent, index)
            if id(node) not in expansion.measures:  # still being composed: it holds the alias
                raise _YAMLProblem(alias, f"alias *{alias.anchor} refers to a value that holds it")
            values, depth = expansion.measures[id(node)]
            expansion.total += values
            if expansion.total > MAX_VALUES:
                message = f"alias *{alias.anchor} expands the document past {MAX_VALUES:,} values"
                raise _YAMLProblem(alias, message)
            return node

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # the mappings a merge key brings in are checked as any other mapping
                    # (built once: a mapping written inline there is built nowhere else)
                    merged = value_node.value if isinstance(value_node.value, list) else []
                    for part in [value_node, *merged]:
                        if isinstance(part, yaml.MappingNode):
                            self.construct_object(part, deep=True)
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    shown = json.dumps(key, default=str)
                    raise _YAMLProblem(key_node, f"key {shown} must be a string (quote it)")
                if key in seen:  # every one is said, in the order of the file's lines
                    self.duplicates.append(_YAMLProblem(key_node, f"duplicate key {quoted(key)}"))
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    def refuse_tag(loader: Any, node: Any) -> Any:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _YAMLProblem(node, f"YAML tag {tag} is not allowed")

    def timestamp_as_text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    def finite_float(loader: Any, node: Any) -> float:
        value: float = loader.construct_yaml_float(node)
        if math.isinf(value) and "inf" not in str(node.value).lower():  # 1e400, not .inf
            raise _YAMLProblem(node, too_large(str(node.value)) or "too large")
        return value

    def bounded_int(loader: Any, node: Any) -> int:
        text = str(node.value)
        problem = too_large(text) if text.lstrip("+-").replace("_", "").isdigit() else None
        if problem is not None:
            raise _YAMLProblem(node, problem)
        value: int = loader.construct_yaml_int(node)
        if abs(value) > sys.float_info.max:  # 0x..., 1:30:...
            raise _YAMLProblem(node, too_large(str(abs(value))) or "too large")
        return value

    SpecLoader.add_constructor(None, refuse_tag)
    for tag in ("binary", "set"):  # bytes and sets: values JSON has no form for
        SpecLoader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse_tag)
    SpecLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float", _EXPONENT_NUMBER, list("-+.0123456789")
    )
    # dates stay the text they were written as: a spec holds JSON values only
    SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
    SpecLoader.add_constructor("tag:yaml.org,2002:int", bounded_int)
    SpecLoader.add_constructor("tag:yaml.org,2002:float", finite_float)
    return SpecLoader


def _parse_yaml(text: str, file: str) -> Any:
    import yaml

    loader = _spec_yaml_loader()(text)  # a SafeLoader subclass: yaml.safe_load's rules, stricter
    try:
        doc = loader.get_single_data()
    except _YAMLProblem as exc:
        raise SpecError(file, [("", f"line {exc.line}: {exc}")]) from None
    except RecursionError:
        raise SpecError(file, [("", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and problem.startswith("but "):  # "but found another document"
            problem = f"{context}, {problem}"
        if "'\\t'" in problem:  # PyYAML refuses tabs where a user sees whitespace
            problem += " (write spaces, not tabs, to indent and separate YAML)"
        raise SpecError(file, [("", f"{where}invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    duplicates = sorted(getattr(loader, "duplicates", []), key=lambda found: found.line)
    if duplicates:
        raise SpecError(file, [("", f"line {found.line}: {found}") for found in duplicates])
    return doc


def _folder_problem(path: Path) -> str:
    """What is wrong with a folder given as a spec: a results folder says how to resume it."""
    from hypermax.results import SPEC_NAME, holds_own_spec

    if holds_own_spec(path) and not (path / "trials.jsonl").exists():  # a project's folder
        return f"is a folder, not a spec file: hypermax {path / SPEC_NAME} runs the spec in it"
    if (path / "trials.jsonl").exists() or (path / SPEC_NAME).exists():
        return f"is a results folder, not a spec: hypermax resume {path} continues its search"
    return "is a folder, not a spec file"
