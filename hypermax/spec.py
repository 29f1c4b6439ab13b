"""Read a search spec (JSON or YAML), resolve ``$ref``, validate it and freeze it into a Spec.

Every problem is reported as a ``SpecError`` whose lines read ``file: json.path: message``.
Raw dicts live only in this module, :mod:`hypermax.specfile` and the journal; the rest of
hypermax sees the frozen Spec. Its values come from the validated document, whose defaults
schema.json declares; the dataclasses' own defaults serve code that builds them without a spec
(tests, benchmarks), and where the schema declares one it is read from there.
"""

from __future__ import annotations

import copy
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError, shown_file
from hypermax.specfile import compat
from hypermax.specfile.identity import (  # noqa: F401 - first_difference: the spec's seam
    RUN_SETTINGS,
    _digest,
    first_difference,
    search_identity,
)
from hypermax.specfile.paths import home_expanded
from hypermax.specfile.plans import plan_notices, trials_to_run
from hypermax.specfile.problems import dotted
from hypermax.specfile.reader import parse_document, read_document
from hypermax.specfile.schema import declared_default
from hypermax.stopping.rule import EarlyStopping
from hypermax.validation import resolve_and_validate

__all__ = [
    "ClusterSpec",
    "FunctionSpec",
    "MetricSpec",
    "SearchSpec",
    "Spec",
    "SpecError",
    "load_spec",
    "parse_document",
    "read_document",
    "spec_from_dict",
]

#: ``results.max_log_mb`` when a spec leaves it out; declared here, not in schema.json, as
#: filled into every document it would change the search.json of every results folder
DEFAULT_MAX_LOG_MB = 1024.0


@dataclass(frozen=True)
class FunctionSpec:
    """How one trial runs (DESIGN §2.2); a leading ``~`` of ``cwd``, ``src`` and the program
    of ``command`` is expanded, and relative paths start at the spec's folder."""

    type: str  # "python_function" | "executable"
    module: str | None = None
    src: str | None = None
    name: str | None = None
    command: tuple[str, ...] = ()
    parallel: int = int(declared_default("function", "parallel"))
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    auto_kill_max_time: float | None = None
    auto_kill_max_ram: float | None = None
    auto_kill_max_system_ram: float | None = None
    auto_kill_loss: float | None = None
    kill_grace: float = float(declared_default("function", "kill_grace"))
    # declared here, not in schema.json: a spec that leaves it out keeps it out of its filled
    # document, as specs written before it existed do
    preload: bool = True


@dataclass(frozen=True)
class MetricSpec:
    """One term of the composite loss (DESIGN §2.4).

    ``type`` and ``scaling`` are declared here, not in schema.json: a spec that leaves them out
    keeps them out of its filled document, whose metrics results folders fingerprint.
    """

    name: str
    type: str = "value"  # "value" | "time" | "ram"
    min: float | None = None
    max: float | None = None
    direction: str = declared_default("metric", "direction")  # "decrease" | "increase"
    scaling: str = "linear"  # "linear" | "logarithmic"
    target: float | None = None
    weight: float = float(declared_default("metric", "weight"))
    target_time: float | None = None
    max_time: float | None = None
    penalty_at_max: float | None = None


@dataclass(frozen=True)
class SearchSpec:
    """How the search proceeds (DESIGN §2.6)."""

    name: str
    method: str
    options: dict[str, Any]  # search.<method>
    iterations: int
    seed: int | None = None
    timeout: float | None = None
    loss_threshold: float | None = None
    points: tuple[dict[str, Any], ...] = ()
    warm_start: str | None = None
    early_stopping: dict[str, Any] = field(default_factory=dict)
    # declared here, not in schema.json: without a metrics section they choose the loss, and
    # beside one they cannot be written (the metrics make a loss, minimised, named "loss")
    direction: str = "min"
    metric: str = "loss"
    # declared here, not in schema.json: filled into every document, it would change the
    # search.json of every results folder
    max_initial_failures: int = 5


@dataclass(frozen=True)
class ClusterSpec:
    """The Dask cluster that runs the trials (DESIGN §2.7); file paths are absolute."""

    scheduler: str
    resources: dict[str, float] = field(default_factory=dict)
    security: dict[str, Any] = field(default_factory=dict)  # keywords of Dask's Security
    lost_worker_reruns: int = int(declared_default("cluster", "lost_worker_reruns"))
    lost_scheduler_wait: float = float(declared_default("cluster", "lost_scheduler_wait"))


@dataclass(frozen=True)
class Spec:
    """A validated search spec. ``raw`` is the resolved document with defaults filled in."""

    path: Path
    raw: dict[str, Any]
    hyperparameters: dict[str, Any]
    function: FunctionSpec
    metrics: tuple[MetricSpec, ...]
    search: SearchSpec
    results_directory: Path  # a leading ``~`` expanded; relative ones start where hypermax runs
    ui_enabled: bool | None = None
    cluster: ClusterSpec | None = None
    max_log_mb: float = DEFAULT_MAX_LOG_MB
    metadata: dict[str, Any] = field(default_factory=dict)
    """The original Hypermax's ``hypermax_results`` section, kept as the search's metadata."""
    notices: tuple[str, ...] = ()
    """``file: json.path: notice`` lines for keys accepted for compatibility that do nothing."""
    shown_as: str | None = None
    """The file its problems and notices name when it is not ``path``: the frozen spec of a
    results folder, which ``hypermax resume`` reads as the spec its search came from."""

    @property
    def shown(self) -> str:
        """How a problem or a notice of the spec names its file (``search.json``,
        ``results/train/search.json`` for a resume): the file that holds its values."""
        return self.shown_as or shown_file(self.path)

    @property
    def folder(self) -> Path:
        """The folder the spec file is in: relative paths in the spec start here.

        A spec reached through a symlink is in the folder of the file it links to, where
        validation and ``$ref`` look for the files it names.
        """
        return self.path.resolve().parent

    @property
    def results_folder(self) -> Path:
        """``<results.directory>/<search.name>/``."""
        return self.results_directory / self.search.name

    def fingerprint(self) -> str:
        """Hash of what makes two specs the same search: the space, the function and the loss.

        How many trials run at once and how long a kill may take do not change what a trial
        computes, so ``--parallel`` may change on resume; nor does where the results folder
        is, which holds the objective ``hypermax.optimize`` pickled.
        """
        return _digest(search_identity(self.raw, self.search.direction, self.search.metric))

    def makes(self, spec_hash: Any) -> bool:
        """Whether a journal's ``spec_hash`` is the search of this spec: its
        :meth:`fingerprint`, or the hash that also held where the pickled objective of
        ``hypermax.optimize`` was (as hypermax 0.1.0 wrote it), or the one of the space and
        metrics as written (their free text, the defaults a node wrote out: as hypermax
        wrote it before it left them out), or with their whole float bounds and the paths of
        ``src`` and ``cwd`` as written (as hypermax took them before it read ``1.0`` as ``1``
        and ``./model.py`` as ``model.py``), so that a search started then resumes."""
        if spec_hash == self.fingerprint():
            return True
        direction, metric = self.search.direction, self.search.metric
        raw = search_identity(self.raw, direction, metric, True)
        written = search_identity(self.raw, direction, metric, as_written=True)
        exact = search_identity(self.raw, direction, metric, exact=True)
        return spec_hash in (_digest(raw), _digest(written), _digest(exact))


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> Spec:
    """Load, resolve, validate and freeze the spec at ``path``.

    ``overrides`` maps dotted paths (``"search.iterations"``) to values set before validation,
    which is how command-line flags reach the spec.
    """
    path = Path(path)
    doc = read_document(path)
    return spec_from_dict(doc, path, overrides)


def results_folder_of(path: str | Path) -> Path | None:
    """The results folder (``<results.directory>/<search.name>``) the spec at ``path`` names,
    read from the parts of it that name that folder alone: a problem elsewhere (an objective
    moved since, a plugin method that no longer imports) does not keep ``show``, ``export`` or
    ``plot`` from a search's results. None when those parts cannot name it (a ``$ref`` that
    cannot be followed, a value of the wrong kind): :func:`load_spec` says why. SpecError when
    the file cannot be read as a spec at all."""
    from jsonschema import Draft202012Validator

    from hypermax.specfile.refs import resolve_refs
    from hypermax.specfile.schema import spec_schema
    from hypermax.validation import folder_name

    path = Path(path)
    doc = read_document(path)
    locating = {k: v for k, v in doc.items() if k not in ("hyperparameters", "function", "metrics")}
    try:
        resolved, _ = resolve_refs(locating, path)
    except SpecError:
        return None
    results, search = resolved.get("results", {}), resolved.get("search", {})
    if not isinstance(results, dict) or not isinstance(search, dict):
        return None
    schema = spec_schema()
    directory_schema = schema["properties"]["results"]["properties"]["directory"]
    directory = results.get("directory", directory_schema["default"])
    name = search.get("name")
    if name is None:  # as validation names it
        original = isinstance(resolved.get(compat.RESULTS_SECTION), dict)
        name = folder_name((original and compat.given_name(resolved)) or path.stem)
    for value, subschema in ((directory, directory_schema), (name, _search_name_schema(schema))):
        if not Draft202012Validator(subschema).is_valid(value):
            return None
    expanded = home_expanded({"results": {"directory": directory}})
    return Path(expanded["results"]["directory"]) / name


def _search_name_schema(schema: dict[str, Any]) -> dict[str, Any]:
    name: dict[str, Any] = schema["$defs"]["search"]["properties"]["name"]
    return name


def spec_from_dict(
    doc: dict[str, Any],
    path: Path,
    overrides: dict[str, Any] | None = None,
    named: str | None = None,
) -> Spec:
    """Validate an already-parsed document as if it had been read from ``path``; its problems
    and notices name the file ``named`` (``path``'s name by default)."""
    doc = copy.deepcopy(doc)
    for key, value in (overrides or {}).items():
        _set_dotted(doc, key, value)
    doc.pop("$schema", None)
    doc = resolve_and_validate(doc, path, named)
    return _freeze(doc, path, named)


def _set_dotted(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def _freeze(doc: dict[str, Any], path: Path, named: str | None = None) -> Spec:
    """The frozen Spec of a validated document whose defaults are filled in; its notices name
    the file ``named`` (``path``'s name by default)."""
    said = [
        *compat.notices(doc),
        *plan_notices(doc),
        *_stopping_notices(doc),
        *_threshold_notices(doc),
    ]
    file = named or shown_file(path)
    notices = tuple(f"{file}: {dotted(where)}: {text}" for where, text in said)
    paths = home_expanded(doc)  # as validation saw them; ``raw`` keeps the spec's own words
    return Spec(
        path=path.absolute(),  # its folder is where it is now, wherever the process goes later
        raw=doc,
        hyperparameters=doc["hyperparameters"],
        function=_function(paths["function"]),
        metrics=tuple(_metric(name, metric) for name, metric in doc.get("metrics", {}).items()),
        search=_search(paths["search"]),
        results_directory=Path(paths["results"]["directory"]),
        ui_enabled=doc.get("ui", {}).get("enabled"),
        cluster=_cluster(paths["cluster"], path.resolve().parent) if "cluster" in doc else None,
        max_log_mb=float(doc["results"].get("max_log_mb", DEFAULT_MAX_LOG_MB)),
        metadata=compat.metadata(doc),
        notices=notices,
        shown_as=named,
    )


def _stopping_notices(doc: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """A notice when early stopping can stop no trial: it waits for ``min_trials`` other trials
    at a step, and the search runs no more than that (its ``iterations``, or a grid's plan when
    smaller; ``--iterations`` may raise it on a resume). A warm start's trials do not count:
    they are imported without their reports, so they reached no step."""
    search = doc["search"]
    rule = EarlyStopping.of(search.get("early_stopping", {}))
    iterations = search.get("iterations")
    if rule.policy == "none" or not isinstance(iterations, int):
        return []
    iterations = trials_to_run(doc, iterations)  # a grid ends with its plan
    if iterations > rule.min_trials:
        return []
    imported = " (a warm start's trials, imported without reports, reach none)"
    others = f"{rule.min_trials} other trial{'' if rule.min_trials == 1 else 's'}"
    runs = f"{iterations} trial{'' if iterations == 1 else 's'}"
    # min_trials is at least 1: a search of one trial has no other to weigh it against
    fix = f"lower min_trials below {iterations}" if iterations > 1 else "run more iterations"
    return [
        (
            ("search", "early_stopping", "min_trials"),
            f"a trial is stopped at a step once {others} reached it"
            f"{imported if search.get('warm_start') else ''}, and the search runs {runs}:"
            f" none will be stopped ({fix})",
        )
    ]


def _threshold_notices(doc: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """A notice when ``loss_threshold`` is above 0 and the loss is minus one maximised metric
    (``search.direction`` max, or one ``increase`` metric without a ``max``): the threshold is
    a loss, so ``0.95`` meant as an accuracy is reached by any accuracy above -0.95."""
    search = doc["search"]
    threshold = search.get("loss_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
        return []
    metrics = [_metric(name, metric) for name, metric in doc.get("metrics", {}).items()]
    if not metrics and search.get("direction") == "max":
        name, base, weight = str(search.get("metric") or "the returned number"), 0.0, 1.0
    elif len(metrics) == 1 and metrics[0].type == "value" and metrics[0].direction == "increase":
        metric = metrics[0]
        if metric.max is not None or metric.target is not None or metric.scaling != "linear":
            return []
        name, base, weight = metric.name, metric.min or 0.0, metric.weight
        if weight <= 0:
            return []
    else:
        return []
    reached = base - threshold / weight  # loss = weight * (base - value)
    meant = weight * (base - threshold)
    return [
        (
            ("search", "loss_threshold"),
            f"a loss, and the loss is minus {name} (maximised): {threshold:g} is reached once "
            f"{name} is {reached:g} or more; to stop at {name} {threshold:g}, write {meant:g}",
        )
    ]


def _function(fn: dict[str, Any]) -> FunctionSpec:
    command = fn.get("command", ())
    if isinstance(command, str):
        command = shlex.split(command)
    return FunctionSpec(
        type=fn["type"],
        module=fn.get("module"),
        src=fn.get("src"),
        name=fn.get("name"),
        command=tuple(str(part) for part in command),
        parallel=int(fn["parallel"]),
        cwd=fn.get("cwd"),
        env={str(k): str(v) for k, v in fn.get("env", {}).items()},
        auto_kill_max_time=fn.get("auto_kill_max_time"),
        auto_kill_max_ram=fn.get("auto_kill_max_ram"),
        auto_kill_max_system_ram=fn.get("auto_kill_max_system_ram"),
        auto_kill_loss=fn.get("auto_kill_loss"),
        kill_grace=float(fn["kill_grace"]),
        preload=bool(fn.get("preload", True)),
    )


def _cluster(cluster: dict[str, Any], folder: Path) -> ClusterSpec:
    security = {
        key: str((folder / value).resolve()) if key.startswith("tls_") else value
        for key, value in cluster.get("security", {}).items()
    }
    return ClusterSpec(
        scheduler=cluster["scheduler"],
        resources={str(k): float(v) for k, v in cluster.get("resources", {}).items()},
        security=security,
        lost_worker_reruns=int(cluster["lost_worker_reruns"]),
        lost_scheduler_wait=float(cluster["lost_scheduler_wait"]),
    )


#: metric keys a spec may leave out, in which case MetricSpec's defaults apply
_OPTIONAL_METRIC_KEYS = (
    "type",
    "min",
    "max",
    "direction",
    "scaling",
    "target",
    "target_time",
    "max_time",
    "penalty_at_max",
)


def _metric(name: str, metric: dict[str, Any]) -> MetricSpec:
    given = {key: metric[key] for key in _OPTIONAL_METRIC_KEYS if key in metric}
    if given.get("scaling") == "exponential":
        given["scaling"] = "logarithmic"  # one scaling, two names
    return MetricSpec(name=name, weight=float(metric["weight"]), **given)


def _search(search: dict[str, Any]) -> SearchSpec:
    method = search["method"]
    return SearchSpec(
        name=search["name"],
        method=method,
        options=dict(search.get(method, {})),
        iterations=int(search["iterations"]),
        seed=search.get("seed"),
        timeout=search.get("timeout"),
        loss_threshold=search.get("loss_threshold"),
        points=tuple(search.get("points", ())),
        warm_start=search.get("warm_start"),
        early_stopping=dict(search.get("early_stopping", {})),
        **{
            key: search[key]
            for key in ("direction", "metric", "max_initial_failures")
            if key in search
        },
    )
