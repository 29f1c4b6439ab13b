"""What :func:`hypermax.optimize` adds to a search: a spec made from an objective, and a Result.

The objective may be a spec (a path or a dict), a ``"module:function"`` string, or a Python
callable, which is shipped to the trial processes with cloudpickle (see :mod:`hypermax.shipped`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.callables import IDENTITY_FILE, identity
from hypermax.errors import ResultsError, SentWhole
from hypermax.pickling import pickled
from hypermax.shipped import ENTRY, OBJECTIVE_ENV, SHIPPED_FILE
from hypermax.values import json_text

if TYPE_CHECKING:
    from hypermax.trial import Trial

#: the name of a spec made by optimize(), which has no file: what its errors start with
API_SPEC = "optimize()"
#: ``"module:function"``; the function a dotted name as a spec's ``name`` is (``Model.train``),
#: and not a spec file's name (``runs:v2.json``)
_MODULE_FUNCTION = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(?<!\.json)(?<!\.yaml)(?<!\.yml)")


def function_options() -> frozenset[str]:
    """Keys of the spec's ``function`` section that ``optimize(**options)`` may set."""
    schema = json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))
    keys = set(schema["$defs"]["function"]["properties"])
    return frozenset(keys - {"type", "module", "src", "name", "command"})


@dataclass(frozen=True)
class Plan:
    """A search to run: a spec document (read as if from the file ``path``, when it has one),
    or the path of a spec file, and dotted overrides.

    ``shipped`` is the pickled callable to write to ``<results folder>/objective.pkl`` before
    the first trial starts, if the objective was one.
    """

    doc: dict[str, Any] | None
    path: Path | None
    overrides: dict[str, Any]
    shipped: bytes | None = None
    shipped_file: Path | None = None
    #: what the callable objective computes (:func:`hypermax.callables.identity`)
    identity: str | None = None
    #: whether the search's name was given (else it is the callable's, or ``objective``)
    named: bool = True


def plan_search(
    objective: Any,
    space: dict[str, Any] | None,
    search: dict[str, Any],
    metrics: dict[str, Any] | str | None,
    function: dict[str, Any],
    results_dir: str | os.PathLike[str] | None,
) -> Plan:
    """Turn :func:`hypermax.optimize`'s arguments into a :class:`Plan`.

    ``search`` holds ``search.*`` keys (name, method, iterations, seed) and ``function`` the
    function options, each set only when given. Raises TypeError for arguments that do not fit,
    a callable that cannot be pickled included (before anything is written).
    """
    if isinstance(search.get("method"), type):
        raise TypeError(_plugin_class_given(search["method"]))
    overrides = {f"search.{key}": _argument(value) for key, value in search.items()}
    overrides.update({f"function.{key}": _argument(value) for key, value in function.items()})
    overrides.update({key: _argument(value) for key, value in _metric_overrides(metrics).items()})
    if results_dir is not None:
        results_dir = _folder_path(results_dir)
        overrides["results.directory"] = results_dir
    from hypermax.spec import Spec

    spec_given = isinstance(objective, dict | Spec) or (
        isinstance(objective, str | Path) and not _MODULE_FUNCTION.fullmatch(str(objective))
    )
    if spec_given:
        written_otherwise = isinstance(objective, str) and ":" in objective  # as a function
        if space is not None and written_otherwise and not Path(objective).exists():
            raise TypeError(
                f"optimize(): {json_text(objective)} is no 'module:function' (a module's "
                "dotted name, a colon, then the function's name), nor a spec file"
            )
        if space is not None:
            if isinstance(objective, str):  # a function's name without its colon, with its space
                _refuse_a_function_name(objective)
            raise TypeError(
                "optimize(): space= is for a callable or 'module:function'; a spec "
                "has its own hyperparameters"
            )
        if isinstance(objective, dict):
            return Plan(_named(_spec_document(objective)), None, overrides)
        if isinstance(objective, Spec):  # as load_spec() read it: paths from its file's folder
            return Plan(objective.raw, objective.path, overrides)
        _refuse_a_function_name(str(objective))
        return Plan(None, Path(objective), overrides)
    if not isinstance(objective, str) and not callable(objective):
        raise TypeError(
            f"optimize(): the objective must be a spec, 'module:function' or a "
            f"callable, got {type(objective).__name__}"
        )
    if space is None:
        raise TypeError("optimize(): a callable or 'module:function' objective needs space=")
    if not isinstance(space, dict):
        raise TypeError(
            f"optimize(): space= maps each param to its range or values, got a "
            f"{type(space).__name__}"
        )

    named = bool(search.get("name"))
    name = search.get("name") or _default_name(objective)
    directory = Path(results_dir if results_dir is not None else "results")
    doc: dict[str, Any] = {
        "hyperparameters": _space_node(space),
        "search": {"name": name},
        "results": {"directory": str(directory)},
    }
    if isinstance(objective, str):
        module, _, function_name = objective.partition(":")
        doc["function"] = {"type": "python_function", "module": module, "name": function_name}
        return Plan(doc, None, overrides)
    problem = keyword_problem(objective, list(doc["hyperparameters"].get("properties", {})))
    if problem is not None:
        raise TypeError(f"optimize(): {problem}")
    shipped = pickled(objective)
    # as the spec does; a name= that is no str is named by the spec's checks: search.name
    shipped_file = (directory.expanduser() / str(name) / SHIPPED_FILE).resolve()
    env = overrides.get("function.env", {})
    if isinstance(env, dict):  # else the spec's checks name it: function.env must be an object
        overrides["function.env"] = {**env, OBJECTIVE_ENV: str(shipped_file)}
    doc["function"] = {"type": "python_function", "module": "hypermax.shipped", "name": ENTRY}
    named = named or _own_name(objective) is not None
    return Plan(doc, None, overrides, shipped, shipped_file, identity(objective), named)


def _with_metadata(
    trials: tuple[Trial, ...], journal: Path, ids: frozenset[int]
) -> tuple[Trial, ...]:
    """``trials``, those of ``ids`` with their metadata as ``journal`` has it (as they are,
    without it, when the journal cannot be read: the Result still says how the search went)."""
    from hypermax.errors import ResultsError
    from hypermax.journal_replay import read_state

    try:
        journaled = read_state(journal).trials
    except (OSError, ResultsError):
        return trials
    return tuple(
        replace(t, metadata=journaled[t.id].metadata)
        if t.id in ids and t.id in journaled and journaled[t.id].state is t.state
        else t
        for t in trials
    )


def _space_node(space: dict[str, Any]) -> dict[str, Any]:
    """The ``hyperparameters`` node of ``space=``; a range it cannot read (``"5:1"``), a value
    JSON cannot hold or a param not named by a str is a :class:`SpaceError`."""
    from hypermax.quick.ranges import RangeError, SpaceError, space_node

    try:
        return space_node(space)
    except RangeError as exc:
        raise SpaceError(API_SPEC, [("", str(exc))]) from None


def _plugin_class_given(plugin: type) -> str:
    """Why ``method=`` takes a plugin optimizer's ``"module:Class"`` rather than the class: the
    frozen spec names it, and a resumed search imports it from there."""
    why = 'optimize(): method= names a plugin optimizer as "module:Class", which a resumed search'
    module, name = plugin.__module__, plugin.__qualname__
    if module == "__main__" or "<locals>" in name:
        return f"{why} imports again: put {plugin.__name__} in a module and name it so"
    return f'{why} imports again, not the class itself: method="{module}:{name}"'


def _folder_path(results_dir: Any) -> str:
    """``results_dir=`` as the path it names; TypeError for anything but a str or a path
    (``b"res"`` would otherwise name a folder ``b'res'``)."""
    return path_argument(results_dir, "optimize(): results_dir= is the results folder's path")


def path_argument(value: Any, what: str) -> str:
    """``value`` as the path it names: a str or an ``os.PathLike`` of one; else a TypeError,
    ``what`` (the argument and what it names), then what was given."""
    path = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if not isinstance(path, str):
        raise TypeError(f"{what} (a str or a Path), got {type(value).__name__}")
    return path


def _refuse_a_function_name(objective: str) -> None:
    """Raise SpecError for an objective string that names no file and reads as a function's
    name (``"train"``, ``"model.train"``) rather than a spec's: a function is named
    ``"module:function"``."""
    from hypermax.errors import SpecError

    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", objective):
        return
    if Path(objective).suffix.lower() in (".json", ".yaml", ".yml") or Path(objective).exists():
        return
    module, _, function = objective.rpartition(".")
    named = f' ("{module}:{function}")' if module else ""
    raise SpecError(
        API_SPEC,
        [
            (
                "",
                f'"{objective}" is no spec file: name a function as "module:function"{named}, '
                "or give the function itself",
            )
        ],
    )


def _argument(value: Any) -> Any:
    """An argument as a spec file would hold it (:func:`~hypermax.quick.ranges.as_json`:
    ``cwd=Path(...)``, ``env={"SEED": ...}``), or as it is when no file could (the spec's checks
    then name it at its path)."""
    from hypermax.quick.ranges import as_json

    try:
        return as_json(value)
    except (TypeError, ValueError):
        return value


def _spec_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A spec given as a dict, as a spec file would hold it (:func:`~hypermax.quick.ranges.
    as_json`: numpy numbers, tuples and paths as JSON's numbers, lists and strings), so that
    it is checked by what it says; TypeError for what no spec file could hold."""
    from hypermax.quick.ranges import as_json

    try:
        return dict(as_json(doc))
    except TypeError as exc:
        raise TypeError(f"optimize(): the spec holds {exc}") from None
    except ValueError:
        raise TypeError("optimize(): the spec holds itself (a circular reference)") from None


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    """A spec dict that names no search (no ``search.name``, nor a ``hypermax_results``
    section, which may) named after its ``python_function``, as a ``"module:function"``
    objective is, else ``search``: it has no file whose name a search would take."""
    from hypermax.validation import folder_name

    search, function = doc.get("search", {}), doc.get("function")
    if not isinstance(search, dict) or "name" in search or "hypermax_results" in doc:
        return doc
    name = function.get("name") if isinstance(function, dict) else None
    python = isinstance(function, dict) and function.get("type") == "python_function"
    named = folder_name(name) if python and isinstance(name, str) else "search"
    return {**doc, "search": {**search, "name": named}}


def _metric_overrides(metrics: dict[str, Any] | str | None) -> dict[str, Any]:
    """``metrics={...}`` is the metrics section; ``"val_loss:max"`` the one metric to optimise."""
    if metrics is None:
        return {}
    if isinstance(metrics, dict):
        named = [key for key in metrics if not isinstance(key, str)]
        if named:  # JSON would make it the text of itself: a metric no result returns
            kind = type(named[0]).__name__
            raise TypeError(
                f"optimize(): metrics= names each metric by a str, got the {kind} {named[0]!r}"
            )
        return {"metrics": metrics}
    if not isinstance(metrics, str):
        raise TypeError(
            f"optimize(): metrics= is the spec's metrics section (a dict), or 'name', "
            f"'name:min' or 'name:max', got {metrics!r}"
        )
    from hypermax.quick.ranges import metric_goal

    goal = metric_goal(metrics)
    if goal is None:
        raise TypeError(f"optimize(): metrics={metrics!r}: write 'name', 'name:min' or 'name:max'")
    return {"search.metric": goal[0], "search.direction": goal[1]}


def keyword_problem(objective: Callable[..., Any], params: list[str]) -> str | None:
    """Why a callable that takes its params as keywords cannot take these top-level ``params``
    (:func:`hypermax.calling.keyword_mismatch`), or one that takes the params dict cannot be
    called with it (:func:`hypermax.calling.dict_mismatch`), or None."""
    import inspect

    from hypermax import calling

    try:
        parameters = inspect.signature(objective).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = inspect.Parameter
    keywordable = (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
    without_default = [p for p in parameters if p.default is p.empty]
    required = [p.name for p in without_default if p.kind in keywordable and p.name != "reporter"]
    positional = (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    name = getattr(objective, "__name__", None) or type(objective).__name__
    sig = calling.signature(objective)
    return calling.keyword_mismatch(name, sig, required, params) or calling.dict_mismatch(
        name,
        sig,
        [p.name for p in without_default if p.kind in positional],
        [p.name for p in without_default if p.kind == kinds.KEYWORD_ONLY],
        params,
    )


def _default_name(objective: Any) -> str:
    if isinstance(objective, str):
        return objective.rpartition(":")[2]
    return _own_name(objective) or "objective"


def _own_name(objective: Any) -> str | None:
    """The callable's name, if it has one a search can take (a lambda's ``<lambda>`` cannot)."""
    name = getattr(objective, "__name__", "")
    return name if re.fullmatch(r"\w[\w.-]*", name) else None


def ship(plan: Plan, resumed: bool) -> None:
    """Write the plan's pickled objective (:func:`pickled`) and its identity beside it,
    atomically; before that, refuse a search ``resumed`` under a name nobody gave (a lambda's,
    a partial's, a callable object's ``objective``) when the folder's search had another
    objective."""
    if plan.shipped is None or plan.shipped_file is None:
        return
    folder = plan.shipped_file.parent
    kept = folder / IDENTITY_FILE
    if (
        resumed
        and not plan.named
        and kept.exists()
        and kept.read_text(encoding="utf-8").strip() != plan.identity
    ):
        raise ResultsError(
            f"{folder}: holds the search of another objective (a lambda, a partial and a "
            'callable object are all named "objective"): give each a name=, or fresh=True '
            "to start anew (the old folder is kept)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in ((plan.shipped_file, plan.shipped), (kept, f"{plan.identity}\n".encode())):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


@dataclass(frozen=True)
class Result:
    """What :func:`hypermax.optimize` returns.

    Attributes:
        best_params: the params of the trial with the lowest loss (None when no trial had one).
        best_loss: its loss.
        best: that trial as a JSON document (as ``best.json`` has it), or None.
        trials: every finished trial as a JSON document, in trial order.
        folder: the results folder (journal, logs, ``results.csv``, ``best.json``).
        reason: why the search ended (``iterations done``, ``timeout``, ...).
        failure: when no trial produced a loss but some failed, the reason most of them share
            and the log that holds its details; else None.
    """

    best_params: dict[str, Any] | None
    best_loss: float | None
    best: dict[str, Any] | None
    trials: list[dict[str, Any]]
    folder: Path
    reason: str
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    failure: str | None = None
    columns: list[str] = field(default_factory=list, repr=False)

    def dataframe(self) -> Any:
        """The trials as a pandas DataFrame, one flat row each: the columns of results.csv, and
        each other value the objective returned that is not a list or an object (``accuracy``
        beside a ``loss``; ``metadata.NAME`` when a column has its name)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Result.dataframe() needs pandas: pip install pandas") from None
        if not self.rows:
            return pd.DataFrame()
        return pd.DataFrame(self.rows, columns=self.columns or None).set_index("trial")

    def __repr__(self) -> str:
        from hypermax.ui.formatting import format_loss, format_params, trials_text

        states = Counter(t["state"] for t in self.trials)
        counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        lines = [f"Result: {trials_text(len(self.trials))} ({counts or 'none'}) in {self.folder}"]
        lines.append(f"  ended: {self.reason}")
        if self.best is not None:
            lines.append(f"  best loss {format_loss(self.best_loss)} (trial {self.best['trial']})")
            lines.append(f"  best params: {format_params(self.best_params or {}, 300)}")
        elif self.failure is not None:
            lines.append(f"  no trial produced a loss: {self.failure}")
        else:
            lines.append("  no trial produced a loss")
        return "\n".join(lines)


class SearchInterrupted(SentWhole, KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) ended :func:`hypermax.optimize`'s search.

    Raised after the running trials were stopped and recorded ``interrupted``, so that the
    script stops as Ctrl-C stops it anywhere else; ``result`` holds the :class:`Result` so far,
    and calling ``optimize`` again resumes the search.
    """

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(
            f"the search in {result.folder} was interrupted: its trials are recorded, "
            "and optimize() with the same arguments resumes it"
        )


def _dataframe_rows(trials: list[Trial]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of results.csv with each trial's metadata's plain values added, and the columns:
    those of results.csv, the metadata's before ``reason``. A NaN or infinity among the metrics
    and metadata is that number, also when it was read back from the journal (``"nan"``)."""
    from hypermax.export import METADATA_PREFIX, column_name, trials_table
    from hypermax.journal_replay import numbers_back

    trials = [
        replace(t, metrics=numbers_back(t.metrics), metadata=numbers_back(t.metadata))
        for t in trials
    ]
    rows, columns = trials_table(trials)
    taken = set(columns)  # a conditional param's column too, in the rows of trials without it
    added: dict[str, None] = {}
    for row, trial in zip(rows, trials, strict=True):
        for name, value in trial.metadata.items():
            if not isinstance(value, dict | list):
                column = column_name(name, METADATA_PREFIX, name in row or name in taken)
                if column not in row:
                    row[column] = value
                    added[column] = None
    return rows, [*columns[:-1], *(c for c in added if c not in columns), "reason"]


def make_result(
    folder: Path,
    reason: str,
    trials: tuple[Trial, ...],
    metadata_in_journal: frozenset[int] = frozenset(),
) -> Result:
    """The Result of a search that ended, from its finished trials; the metadata of those in
    ``metadata_in_journal``, which the search let go of, is read back from its journal."""
    from hypermax.commands import failure_text
    from hypermax.export import best_trial, trial_document
    from hypermax.results import ResultsFolder
    from hypermax.stopping import common_failure

    if metadata_in_journal:
        trials = _with_metadata(trials, ResultsFolder(folder).journal, metadata_in_journal)
    finished = sorted((t for t in trials if t.state.finished), key=lambda t: t.id)
    best = best_trial(finished)
    failed = best is None and common_failure(finished) is not None
    rows, columns = _dataframe_rows(finished)
    return Result(
        best_params=best.params if best else None,
        best_loss=best.loss if best else None,
        best=trial_document(best) if best else None,
        trials=[trial_document(t) for t in finished],
        folder=folder,
        reason=reason,
        rows=rows,
        failure=failure_text(finished, ResultsFolder(folder)) if failed else None,
        columns=columns,
    )
