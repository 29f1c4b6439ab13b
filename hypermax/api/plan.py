"""A search :func:`hypermax.optimize` runs: its objective (a spec, a ``"module:function"`` or a
callable) and its arguments made into a :class:`Plan`, a spec document and its overrides.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypermax.api.arguments import (
    argument,
    folder_path,
    metric_overrides,
    named_spec,
    plugin_class_given,
    refuse_a_function_name,
    space_argument,
    spec_document,
)
from hypermax.callable_data import data_digest
from hypermax.callables import identity
from hypermax.pickling import pickled
from hypermax.shipped import ENTRY, OBJECTIVE_ENV, SHIPPED_FILE
from hypermax.values import json_text

#: ``"module:function"``; the function a dotted name as a spec's ``name`` is (``Model.train``),
#: and not a spec file's name (``runs:v2.json``)
_MODULE_FUNCTION = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(?<!\.json)(?<!\.yaml)(?<!\.yml)")


def _section_keys(section: str) -> set[str]:
    schema = json.loads((Path(__file__).parents[1] / "schema.json").read_text(encoding="utf-8"))
    return set(schema["$defs"][section]["properties"])


def function_options() -> frozenset[str]:
    """Keys of the spec's ``function`` section that ``optimize(**options)`` may set."""
    return frozenset(_section_keys("function") - {"type", "module", "src", "name", "command"})


def unknown_keyword(keyword: str) -> str:
    """The TypeError's message for a keyword ``optimize`` does not take: Python's own, and
    where a key of the spec's ``search`` section goes (``early_stopping=`` → ``search=``)."""
    text = f"optimize() got an unexpected keyword argument {keyword!r}"
    if keyword in _section_keys("search"):
        text += f': it is a key of the search section: search={{"{keyword}": ...}}'
    return text


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
    #: the data beside its code (:func:`hypermax.callable_data.data_digest`)
    data: str | None = None
    #: its identity as an earlier hypermax digested it, which a folder it started keeps
    earlier_identity: str | None = None


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
        raise TypeError(plugin_class_given(search["method"]))
    overrides = {f"search.{key}": argument(value) for key, value in search.items()}
    overrides.update({f"function.{key}": argument(value) for key, value in function.items()})
    goal = metric_overrides(metrics)
    twice = sorted(key for key in search if f"search.{key}" in goal)
    if twice:  # "acc:max" is search.metric and search.direction: one of them would be dropped
        raise TypeError(
            f"optimize(): {twice[0]} given twice, as metrics={metrics!r} and in search="
        )
    overrides.update({key: argument(value) for key, value in goal.items()})
    if results_dir is not None:
        results_dir = folder_path(results_dir)
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
                refuse_a_function_name(objective)
            raise TypeError(
                "optimize(): space= is for a callable or 'module:function'; a spec "
                "has its own hyperparameters"
            )
        if isinstance(objective, dict):
            return Plan(named_spec(spec_document(objective)), None, overrides)
        if isinstance(objective, Spec):  # as load_spec() read it: paths from its file's folder
            return Plan(objective.raw, objective.path, overrides)
        refuse_a_function_name(str(objective))
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
        "hyperparameters": space_argument(space),
        "search": {"name": name},
        "results": {"directory": str(directory)},
    }
    if isinstance(objective, str):
        module, _, function_name = objective.partition(":")
        doc["function"] = {"type": "python_function", "module": module, "name": function_name}
        return Plan(doc, None, overrides)
    if "$ref" not in doc["hyperparameters"]:  # else its params are known once it is read
        check_call(objective, doc["hyperparameters"])
    shipped = pickled(objective)
    # as the spec does; a name= that is no str is named by the spec's checks: search.name
    shipped_file = (directory.expanduser() / str(name) / SHIPPED_FILE).resolve()
    env = overrides.get("function.env", {})
    if isinstance(env, dict):  # else the spec's checks name it: function.env must be an object
        overrides["function.env"] = {**env, OBJECTIVE_ENV: str(shipped_file)}
    doc["function"] = {"type": "python_function", "module": "hypermax.shipped", "name": ENTRY}
    named = named or _own_name(objective) is not None
    code, data, earlier = identity(objective), data_digest(objective), identity(objective, True)
    return Plan(doc, None, overrides, shipped, shipped_file, code, named, data, earlier)


def check_call(objective: Callable[..., Any], hyperparameters: dict[str, Any]) -> None:
    """Raise TypeError when a trial cannot call ``objective`` with the params of the
    ``hyperparameters`` node, read (a ``$ref`` followed): :func:`keyword_problem`."""
    problem = keyword_problem(objective, list(hyperparameters.get("properties", {})))
    if problem is not None:
        raise TypeError(f"optimize(): {problem}")


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
