"""Resolve ``$ref`` and validate a spec document: JSON Schema first, then semantic checks.

Every problem becomes one ``(json.path, message)`` pair; :func:`resolve_and_validate` raises them
together as a SpecError, at most :data:`MAX_PROBLEMS` of them, sorted by path.
"""

from __future__ import annotations

import copy
import functools
import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from hypermax.errors import SpecError
from hypermax.optimizers import BUILTIN_METHODS, PLANNED_METHODS, method_problem

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_PATH = Path(__file__).with_name("schema.json")
TEMPLATES_FOLDER = Path(__file__).with_name("templates")
TEMPLATE_PREFIX = "template:"
MAX_PROBLEMS = 5

#: every method name the format knows, whose options may stand in ``search`` under that name
METHOD_NAMES = (*BUILTIN_METHODS, *PLANNED_METHODS)
NO_CLUSTER = "running trials on a Dask cluster is not available in this version"
LOG_SCALINGS = ("logarithmic", "exponential")

JsonPath = tuple[str | int, ...]
Problem = tuple[JsonPath, str]


def resolve_and_validate(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """Return the resolved document with defaults filled in, or raise SpecError.

    Args:
        doc: the parsed spec (it is not modified).
        path: where the spec was read from; ``$ref`` files, ``module`` and ``src`` are found
            relative to its folder, and its stem is the default ``search.name``.

    Returns:
        A new document: every ``$ref`` replaced by what it names, defaults filled in.

    Raises:
        SpecError: one ``file: json.path: message`` line per problem (at most five).
    """
    resolved = resolve_refs(doc, path)
    problems = schema_problems(resolved)
    if not problems:
        problems = semantic_problems(resolved, path)
    if problems:
        raise SpecError(path.name, report(problems))
    return fill_defaults(resolved, path)


def report(problems: Iterable[Problem]) -> list[tuple[str, str]]:
    """The first problems by path, without repeats, as ``(dotted.path, message)`` pairs."""
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda problem: _sort_key(problem[0]))
    return [(dotted(where), message) for where, message in unique[:MAX_PROBLEMS]]


def dotted(where: Iterable[str | int]) -> str:
    """``("layers", "items", 0, "max")`` → ``"layers.items.0.max"``."""
    return ".".join(str(part) for part in where)


def _sort_key(where: JsonPath) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in where)


# ---------------------------------------------------------------------------------------- $ref


class _RefProblem(Exception):
    """A ``$ref`` that cannot be followed; ``where`` is the JSON path where it stood."""

    def __init__(self, where: JsonPath, message: str) -> None:
        super().__init__(message)
        self.where = where


def resolve_refs(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """Replace every ``{"$ref": ...}`` in ``doc`` by the node or section it names.

    ``other.json#/json/pointer`` and ``other.yaml`` are relative to the file the ``$ref`` is in,
    ``#/pointer`` points into that same file, ``template:NAME#/pointer`` into a bundled template.
    Keys beside ``$ref`` override the keys of the referenced object. Raises SpecError naming the
    JSON path where a ``$ref`` that cannot be followed stood.
    """
    resolver = _Resolver(path, doc)
    try:
        resolved = resolver.resolve(doc, (), resolver.spec_file)
    except _RefProblem as exc:
        raise SpecError(path.name, [(dotted(exc.where), str(exc))]) from None
    return resolved


class _Resolver:
    """Follows ``$ref``s, keeping each file it read and the chain of refs being followed."""

    def __init__(self, spec_path: Path, doc: dict[str, Any]) -> None:
        self.spec_file = spec_path.resolve()
        self.spec_folder = self.spec_file.parent
        self.documents: dict[Path, Any] = {self.spec_file: doc}
        self.chain: list[tuple[Path, str]] = []

    def resolve(self, value: Any, where: JsonPath, base: Path) -> Any:
        """A copy of ``value`` (found in file ``base``) with its ``$ref``s replaced."""
        if isinstance(value, list):
            return [self.resolve(item, (*where, i), base) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "$ref" not in value:
            return {key: self.resolve(item, (*where, key), base) for key, item in value.items()}
        target = self.follow(value["$ref"], where, base)
        siblings = {key: item for key, item in value.items() if key != "$ref"}
        if not siblings:
            return target
        if not isinstance(target, dict):
            problem = "names a value that is not an object, so keys beside $ref cannot apply"
            raise _RefProblem(where, self._ref_message(value["$ref"], base, problem))
        return {**target, **self.resolve(siblings, where, base)}

    def follow(self, ref: Any, where: JsonPath, base: Path) -> Any:
        """The resolved value a ``$ref`` written in file ``base`` names."""
        if not isinstance(ref, str):
            raise _RefProblem(where, f"$ref must be a string, got {show(ref)}")
        file_part, _, fragment = ref.partition("#")
        target_file = self._target_file(ref, file_part, where, base)
        pointer = unquote(fragment)
        key = (target_file, pointer)
        if key in self.chain:
            cycle = " -> ".join(
                self._display(*link) for link in [*self.chain[self.chain.index(key) :], key]
            )
            raise _RefProblem(where, self._ref_message(ref, base, f"forms a cycle: {cycle}"))
        document = self._document(ref, target_file, where, base)
        target = self._point(document, pointer, ref, where, base, target_file)
        self.chain.append(key)
        try:
            return self.resolve(target, where, target_file)
        finally:
            self.chain.pop()

    def _target_file(self, ref: str, file_part: str, where: JsonPath, base: Path) -> Path:
        if file_part.startswith(TEMPLATE_PREFIX):
            name = file_part[len(TEMPLATE_PREFIX) :]
            found = TEMPLATES_FOLDER / f"{name}.json"
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not found.is_file():
                known = ", ".join(template_names()) or "none"
                message = f'unknown template "{name}" (templates: {known})'
                raise _RefProblem(where, self._ref_message(ref, base, message))
            return found
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", file_part):
            message = "only files and templates can be referenced"
            raise _RefProblem(where, self._ref_message(ref, base, message))
        if not file_part:
            return base
        return (base.parent / unquote(file_part)).resolve()

    def _document(self, ref: str, file: Path, where: JsonPath, base: Path) -> Any:
        if file not in self.documents:
            if not file.is_file():
                raise _RefProblem(where, self._ref_message(ref, base, "file not found"))
            from hypermax.spec import parse_document

            try:
                self.documents[file] = parse_document(file)
            except SpecError as exc:
                message = exc.problems[0][1] if exc.problems else str(exc)
                raise _RefProblem(where, self._ref_message(ref, base, message)) from None
        return self.documents[file]

    def _point(
        self, document: Any, pointer: str, ref: str, where: JsonPath, base: Path, file: Path
    ) -> Any:
        if pointer == "":
            return document
        if not pointer.startswith("/"):
            message = "the part after # must be a JSON pointer such as #/hyperparameters"
            raise _RefProblem(where, self._ref_message(ref, base, message))
        value = document
        for token in pointer[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                message = f"{self._display(file, '')} has no {pointer}"
                raise _RefProblem(where, self._ref_message(ref, base, message))
        return value

    def _ref_message(self, ref: str, base: Path, problem: str) -> str:
        origin = "" if base == self.spec_file else f" (in {self._display(base, '')})"
        return f'$ref "{ref}"{origin}: {problem}'

    def _display(self, file: Path, pointer: str) -> str:
        if file.parent == TEMPLATES_FOLDER:
            name = f"{TEMPLATE_PREFIX}{file.stem}"
        elif file.is_relative_to(self.spec_folder):
            name = file.relative_to(self.spec_folder).as_posix()
        else:
            name = str(file)
        return f"{name}#{pointer}" if pointer else name


def template_names() -> list[str]:
    """Names of the bundled search-space templates (``template:NAME`` in a ``$ref``)."""
    return sorted(p.stem for p in TEMPLATES_FOLDER.glob("*.json"))


# -------------------------------------------------------------------------------- JSON Schema


@functools.cache
def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec (``hypermax/schema.json``), read once."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(spec_schema())


def schema_problems(doc: Any) -> list[Problem]:
    """Every way ``doc`` breaks the schema, as one short message per error."""
    return [(tuple(error.absolute_path), explain(error)) for error in _validator().iter_errors(doc)]


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
    return custom.replace("{got}", show(error.instance))


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


def _additional(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    unknown = [
        key
        for key in error.instance
        if key not in known and not any(re.search(p, str(key)) for p in patterns)
    ]
    if len(unknown) == 1:
        return f'unknown key "{unknown[0]}"'
    return "unknown keys " + ", ".join(f'"{key}"' for key in unknown)


def _enum(error: ValidationError) -> str:
    return f"must be one of {choices(error.validator_value)}, got {show(error.instance)}"


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
    "uniqueItems": lambda error: "must not repeat a value",
    "false": lambda error: "is not allowed here",
    "not": lambda error: "is not allowed here",
}


def show(value: Any) -> str:
    """A value as the user wrote it, shortened: ``"512MB"``, ``0``, ``an object``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:56] + '..."'


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


# ---------------------------------------------------------------------------- semantic checks


def semantic_problems(doc: dict[str, Any], path: Path) -> list[Problem]:
    """What the schema cannot say; ``doc`` must already match the schema."""
    folder = path.resolve().parent
    return [
        *node_problems(doc["hyperparameters"], ("hyperparameters",)),
        *function_problems(doc["function"], folder),
        *metric_problems(doc.get("metrics", {})),
        *search_problems(doc, folder),
        *cluster_problems(doc),
    ]


def cluster_problems(doc: dict[str, Any]) -> Iterator[Problem]:
    """The ``cluster`` section is part of the format; this version runs trials here only."""
    if "cluster" in doc:
        yield ("cluster",), NO_CLUSTER


def node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    """Problems of a hyperparameter node and of every node below it."""
    if "constant" in node or "const" in node:
        return
    if "enum" in node:
        yield from _enum_node_problems(node, where)
        return
    for key in ("anyOf", "oneOf"):
        if key in node:
            for i, branch in enumerate(node[key]):
                yield from node_problems(branch, (*where, key, i))
            return
    kind = node["type"]
    if kind == "object":
        for name, child in node.get("properties", {}).items():
            yield from node_problems(child, (*where, "properties", name))
    elif kind == "array":
        yield from _array_node_problems(node, where)
    else:
        yield from _number_node_problems(node, where)


def _enum_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    if "default" in node and not any(same(node["default"], v) for v in node["enum"]):
        yield (
            (*where, "default"),
            f"must be one of {choices(node['enum'])}, got {show(node['default'])}",
        )


def _array_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    items = node["items"]
    if isinstance(items, list):
        for key in ("minItems", "maxItems"):
            if key in node:
                yield (*where, key), "is only used when items is one node, not a list of nodes"
        for i, item in enumerate(items):
            yield from node_problems(item, (*where, "items", i))
        return
    low, high = node.get("minItems"), node.get("maxItems")
    if low is not None and high is not None and high < low:
        yield (*where, "maxItems"), f"must be at least minItems ({low}), got {high}"
    yield from node_problems(items, (*where, "items"))


def _number_node_problems(node: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    low, high = node.get("min"), node.get("max")
    normal = node.get("mode") == "normal"
    if low is not None and high is not None and high <= low:
        yield (*where, "max"), f"must be greater than min ({show(low)}), got {show(high)}"
    scaling = node.get("scaling", "linear")
    if scaling in LOG_SCALINGS:
        for key in ("min", "mean"):
            if key in node and node[key] <= 0:
                yield (
                    (*where, key),
                    f"must be greater than 0 with {scaling} scaling, got {show(node[key])}",
                )
    if not normal:
        for key in ("mean", "stddev"):
            if key in node:
                yield (*where, key), 'is only used with "mode": "normal"'
    range_is_valid = low is None or high is None or low < high
    if "default" in node and range_is_valid:
        yield from _default_problems(node, where, low, high)


def _default_problems(
    node: dict[str, Any], where: JsonPath, low: float | None, high: float | None
) -> Iterator[Problem]:
    default = node["default"]
    at = (*where, "default")
    if low is not None and high is not None and not low <= default <= high:
        yield at, f"must be between {show(low)} and {show(high)}, got {show(default)}"
    elif low is not None and high is None and default < low:
        yield at, f"must be at least {show(low)}, got {show(default)}"
    elif high is not None and low is None and default > high:
        yield at, f"must be at most {show(high)}, got {show(default)}"
    integer = node["type"] == "integer" or node.get("rounding") == 1
    if integer and default != int(default):
        yield at, f"must be a whole number, got {show(default)}"


def function_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    """Problems of the ``function`` section; ``folder`` is the spec's folder."""
    if fn["type"] == "python_function":
        yield from _python_function_problems(fn, folder)
    else:
        yield from _executable_problems(fn, folder)


def _python_function_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    if "command" in fn:
        yield ("function", "command"), 'is only used by "type": "executable"'
    if "module" in fn and "src" in fn:
        yield ("function",), 'give "module" or "src", not both'
    elif "module" in fn:
        yield from _module_problems(fn["module"], folder)
    elif "src" in fn:
        yield from _src_problems(fn["src"], folder)
    else:
        yield ("function",), 'needs "module" or "src"'


def _module_problems(module: str, folder: Path) -> Iterator[Problem]:
    if module.endswith(".py"):
        yield (
            ("function", "module"),
            f'must be a module name, not a file name (use "src": "{module}")',
        )
    elif not module_exists(module, folder):
        yield ("function", "module"), f'cannot find module "{module}" in {folder}'


def module_exists(name: str, folder: Path) -> bool:
    """Whether ``name`` could be imported with ``folder`` first on sys.path, without importing it.

    Parent packages are located with PathFinder instead of ``find_spec``, which would import
    them.
    """
    saved = list(sys.path)
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        top, *rest = name.split(".")
        spec = importlib.util.find_spec(top)
        for depth in range(1, len(rest) + 1):
            if spec is None or not spec.submodule_search_locations:
                return False
            full_name = ".".join([top, *rest[:depth]])
            locations = list(spec.submodule_search_locations)
            spec = importlib.machinery.PathFinder.find_spec(full_name, locations)
        return spec is not None
    except (ImportError, ValueError):
        return False
    finally:
        sys.path[:] = saved


def _src_problems(src: str, folder: Path) -> Iterator[Problem]:
    given = Path(src)
    if given.is_absolute() and not given.is_file():
        yield ("function", "src"), f'cannot find file "{src}"'
    elif not (folder / given).is_file():
        yield ("function", "src"), f'cannot find file "{src}" in {folder}'


def _executable_problems(fn: dict[str, Any], folder: Path) -> Iterator[Problem]:
    for key in ("module", "src", "name"):
        if key in fn:
            yield ("function", key), 'is only used by "type": "python_function"'
    command = fn["command"]
    where: JsonPath = ("function", "command", 0)
    if isinstance(command, str):
        where = ("function", "command")
        try:
            command = shlex.split(command)
        except ValueError as exc:
            yield where, f"cannot be split into arguments: {exc}"
            return
        if not command:
            yield where, "must not be empty"
            return
    problem = program_problem(command[0], folder / fn.get("cwd", "."), fn.get("env", {}))
    if problem is not None:
        yield where, problem


def program_problem(program: str, start: Path, env: dict[str, str]) -> str | None:
    """Why the program of a command cannot run, or None: a path (relative ones from ``start``)
    must be an executable file; a bare name must be found on ``PATH`` (the spec's, if it sets
    one). A program with a ``{placeholder}`` is only known at run time."""
    if "{" in program:
        return None
    if "/" in program:
        target = start / program
        if not target.is_file():
            return f'cannot find program "{program}"' + (
                "" if Path(program).is_absolute() else f" in {start.resolve()}"
            )
        if not os.access(target, os.X_OK):
            return f'"{program}" is not executable (chmod +x {program})'
        return None
    if shutil.which(program, path=env.get("PATH", os.environ.get("PATH"))) is None:
        return f'cannot find program "{program}" on PATH'
    return None


_TIME_KEYS = ("target_time", "max_time", "penalty_at_max")
_VALUE_ONLY_KEYS = ("direction", "scaling")


def metric_problems(metrics: dict[str, Any]) -> Iterator[Problem]:
    """Problems of the ``metrics`` section."""
    for name, metric in metrics.items():
        where = ("metrics", name)
        kind = metric.get("type", "value")
        if kind == "time":
            yield from _time_metric_problems(metric, where)
        elif kind == "ram":
            yield from _ram_metric_problems(metric, where)
        else:
            yield from _value_metric_problems(metric, where)


def _time_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in ("min", "max", "target", *_VALUE_ONLY_KEYS):
        if key in metric:
            yield (*where, key), "is not used by a time metric"
    target, top = metric["target_time"], metric["max_time"]
    if top <= target:
        yield (
            (*where, "max_time"),
            f"must be greater than target_time ({show(target)}), got {show(top)}",
        )


def _ram_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in _VALUE_ONLY_KEYS:
        if key in metric:
            yield (*where, key), "is not used by a ram metric"
    target = metric.get("target", metric.get("target_time"))
    top = metric.get("max", metric.get("max_time"))
    if target is None:
        yield where, 'missing required key "target" (MiB up to which RAM adds nothing)'
    if top is None:
        yield where, 'missing required key "max" (MiB at which RAM adds penalty_at_max)'
    if target is not None and top is not None and top <= target:
        at = (*where, "max" if "max" in metric else "max_time")
        yield at, f"must be greater than the target ({show(target)}), got {show(top)}"


def _value_metric_problems(metric: dict[str, Any], where: JsonPath) -> Iterator[Problem]:
    for key in _TIME_KEYS:
        if key in metric:
            yield (*where, key), "is only used by time and ram metrics"
    low, high = metric.get("min"), metric.get("max")
    if low is not None and high is not None and high <= low:
        yield (*where, "max"), f"must be greater than min ({show(low)}), got {show(high)}"
    scaling = metric.get("scaling", "linear")
    if scaling in LOG_SCALINGS:
        for key in ("min", "max", "target"):
            if key in metric and metric[key] <= 0:
                yield (
                    (*where, key),
                    f"must be greater than 0 with {scaling} scaling, got {show(metric[key])}",
                )


def search_problems(doc: dict[str, Any], folder: Path) -> Iterator[Problem]:
    """Problems of the ``search`` section, alone and together with ``metrics``."""
    search = doc.get("search", {})
    if "metrics" in doc:
        for key in ("direction", "metric"):
            if key in search:
                yield (
                    ("search", key),
                    "cannot be used with a metrics section: the metrics define the loss",
                )
    policy = search.get("early_stopping", {}).get("policy", "none")
    if policy != "none":
        yield (
            ("search", "early_stopping", "policy"),
            f'"{policy}" is not available in this version; trials run to the end ("none")',
        )
    method = search.get("method", "tpe")
    problem = method_problem(method, folder)
    if problem is not None:
        yield ("search", "method"), problem
    for key in search:
        is_options = key in METHOD_NAMES or ":" in key
        if is_options and key != method:
            yield ("search", key), f'options for method "{key}", but the method is "{method}"'


def same(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


# ----------------------------------------------------------------------------------- defaults

DEFAULT_METHOD = "tpe"
DEFAULT_ITERATIONS = 100
DEFAULT_PARALLEL = 1
DEFAULT_KILL_GRACE = 2
DEFAULT_RESULTS_DIRECTORY = "results"


def fill_defaults(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """A copy of a valid document with the defaults written out; valid again as it stands."""
    doc = copy.deepcopy(doc)
    search = doc.setdefault("search", {})
    search.setdefault("name", default_search_name(path))
    search.setdefault("method", DEFAULT_METHOD)
    search.setdefault("iterations", DEFAULT_ITERATIONS)
    function = doc["function"]
    function.setdefault("parallel", DEFAULT_PARALLEL)
    function.setdefault("kill_grace", DEFAULT_KILL_GRACE)
    doc.setdefault("results", {}).setdefault("directory", DEFAULT_RESULTS_DIRECTORY)
    for metric in doc.get("metrics", {}).values():
        metric.setdefault("weight", 1)
        if metric.get("type", "value") == "value":
            metric.setdefault("direction", "decrease")
    return doc


def default_search_name(path: Path) -> str:
    """The spec file's stem, made safe as a folder name (``my search.json`` → ``my_search``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem).lstrip(".-")
    return name[:100] or "search"
