"""Read a search spec (JSON or YAML), resolve ``$ref``, validate it and freeze it into a Spec.

Every problem is reported as a ``SpecError`` whose lines read ``file: json.path: message``.
Raw dicts live only in this module and the journal; the rest of hypermax sees the frozen Spec.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError

DEFAULT_ITERATIONS = 100
#: function keys that say how trials are run, not what they compute
RUN_SETTINGS = ("parallel", "kill_grace")


@dataclass(frozen=True)
class FunctionSpec:
    """How one trial runs (DESIGN §2.2)."""

    type: str  # "python_function" | "executable"
    module: str | None = None
    src: str | None = None
    name: str | None = None
    command: tuple[str, ...] = ()
    parallel: int = 1
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    auto_kill_max_time: float | None = None
    auto_kill_max_ram: float | None = None
    auto_kill_max_system_ram: float | None = None
    auto_kill_loss: float | None = None
    kill_grace: float = 2.0


@dataclass(frozen=True)
class MetricSpec:
    """One term of the composite loss (DESIGN §2.4)."""

    name: str
    type: str = "value"  # "value" | "time" | "ram"
    min: float | None = None
    max: float | None = None
    direction: str = "decrease"  # "decrease" | "increase"
    scaling: str = "linear"  # "linear" | "logarithmic"
    target: float | None = None
    weight: float = 1.0
    target_time: float | None = None
    max_time: float | None = None
    penalty_at_max: float | None = None


@dataclass(frozen=True)
class SearchSpec:
    """How the search proceeds (DESIGN §2.6)."""

    name: str = "search"
    method: str = "tpe"
    options: dict[str, Any] = field(default_factory=dict)
    iterations: int = DEFAULT_ITERATIONS
    seed: int | None = None
    timeout: float | None = None
    loss_threshold: float | None = None
    points: tuple[dict[str, Any], ...] = ()
    warm_start: str | None = None
    early_stopping: dict[str, Any] = field(default_factory=dict)
    direction: str = "min"
    metric: str = "loss"


@dataclass(frozen=True)
class Spec:
    """A validated search spec. ``raw`` is the resolved document with defaults filled in."""

    path: Path
    raw: dict[str, Any]
    hyperparameters: dict[str, Any]
    function: FunctionSpec
    metrics: tuple[MetricSpec, ...]
    search: SearchSpec
    results_directory: Path
    ui_enabled: bool | None = None
    scheduler: str | None = None

    @property
    def folder(self) -> Path:
        """The folder the spec file is in: relative paths in the spec start here."""
        return self.path.parent

    @property
    def results_folder(self) -> Path:
        """``<results.directory>/<search.name>/``."""
        return self.results_directory / self.search.name

    def fingerprint(self) -> str:
        """Hash of what makes two specs the same search: the space, the function and the loss.

        How many trials run at once and how long a kill may take do not change what a trial
        computes, so ``--parallel`` may change on resume.
        """
        keyed = {k: self.raw.get(k) for k in ("hyperparameters", "function", "metrics")}
        keyed["function"] = {
            k: v for k, v in (keyed["function"] or {}).items() if k not in RUN_SETTINGS
        }
        keyed["direction"] = [self.search.direction, self.search.metric]
        blob = json.dumps(keyed, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


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


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> Spec:
    """Load, resolve, validate and freeze the spec at ``path``.

    ``overrides`` maps dotted paths (``"search.iterations"``) to values set before validation,
    which is how command-line flags reach the spec.
    """
    path = Path(path)
    doc = read_document(path)
    return spec_from_dict(doc, path, overrides)


def spec_from_dict(
    doc: dict[str, Any], path: Path, overrides: dict[str, Any] | None = None
) -> Spec:
    """Validate an already-parsed document as if it had been read from ``path``."""
    doc = copy.deepcopy(doc)
    for dotted, value in (overrides or {}).items():
        _set_dotted(doc, dotted, value)
    doc.pop("$schema", None)
    # validation (schema + semantic checks) and $ref resolution happen here
    from hypermax.validation import resolve_and_validate

    doc = resolve_and_validate(doc, path)
    return _freeze(doc, path)


def _set_dotted(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def _freeze(doc: dict[str, Any], path: Path) -> Spec:
    fn = dict(doc["function"])
    command = fn.get("command", ())
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)
    function = FunctionSpec(
        type=fn["type"],
        module=fn.get("module"),
        src=fn.get("src"),
        name=fn.get("name"),
        command=tuple(str(part) for part in command),
        parallel=int(fn.get("parallel", 1)),
        cwd=fn.get("cwd"),
        env={str(k): str(v) for k, v in fn.get("env", {}).items()},
        auto_kill_max_time=fn.get("auto_kill_max_time"),
        auto_kill_max_ram=fn.get("auto_kill_max_ram"),
        auto_kill_max_system_ram=fn.get("auto_kill_max_system_ram"),
        auto_kill_loss=fn.get("auto_kill_loss"),
        kill_grace=float(fn.get("kill_grace", 2.0)),
    )
    metrics = tuple(
        MetricSpec(
            name=name,
            type=m.get("type", "value"),
            min=m.get("min"),
            max=m.get("max"),
            direction=m.get("direction", "decrease"),
            scaling="logarithmic"
            if m.get("scaling") == "exponential"
            else m.get("scaling", "linear"),
            target=m.get("target"),
            weight=float(m.get("weight", 1.0)),
            target_time=m.get("target_time"),
            max_time=m.get("max_time"),
            penalty_at_max=m.get("penalty_at_max"),
        )
        for name, m in doc.get("metrics", {}).items()
    )
    s = doc.get("search", {})
    method = s.get("method", "tpe")
    search = SearchSpec(
        name=s.get("name", path.stem),
        method=method,
        options=dict(s.get(method, {})) if isinstance(s.get(method), dict) else {},
        iterations=int(s.get("iterations", DEFAULT_ITERATIONS)),
        seed=s.get("seed"),
        timeout=s.get("timeout"),
        loss_threshold=s.get("loss_threshold"),
        points=tuple(s.get("points", ())),
        warm_start=s.get("warm_start"),
        early_stopping=dict(s.get("early_stopping", {})),
        direction=s.get("direction", "min"),
        metric=s.get("metric", "loss"),
    )
    results_dir = Path(doc.get("results", {}).get("directory", "results"))
    ui = doc.get("ui", {})
    return Spec(
        path=path,
        raw=doc,
        hyperparameters=doc["hyperparameters"],
        function=function,
        metrics=metrics,
        search=search,
        results_directory=results_dir,
        ui_enabled=ui.get("enabled"),
        scheduler=doc.get("cluster", {}).get("scheduler"),
    )
