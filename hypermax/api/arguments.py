"""The arguments of :func:`hypermax.optimize` as a spec holds them: its space, metrics, paths and
options, each checked for what no spec could hold (a TypeError or a SpecError naming
``optimize()``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

#: the name of a spec made by optimize(), which has no file: what its errors start with
API_SPEC = "optimize()"


def space_argument(space: dict[str, Any]) -> dict[str, Any]:
    """The ``hyperparameters`` node of ``space=``; a range it cannot read (``"5:1"``), a value
    JSON cannot hold or a param not named by a str is a :class:`SpaceError`."""
    from hypermax.quick.ranges import RangeError, SpaceError, space_node

    try:
        return space_node(space)
    except RangeError as exc:
        raise SpaceError(API_SPEC, [("", str(exc))]) from None


def plugin_class_given(plugin: type) -> str:
    """Why ``method=`` takes a plugin optimizer's ``"module:Class"`` rather than the class: the
    frozen spec names it, and a resumed search imports it from there."""
    why = 'optimize(): method= names a plugin optimizer as "module:Class", which a resumed search'
    module, name = plugin.__module__, plugin.__qualname__
    if module == "__main__" or "<locals>" in name:
        return f"{why} imports again: put {plugin.__name__} in a module and name it so"
    return f'{why} imports again, not the class itself: method="{module}:{name}"'


def folder_path(results_dir: Any) -> str:
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


def refuse_a_function_name(objective: str) -> None:
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


def argument(value: Any) -> Any:
    """An argument as a spec file would hold it (:func:`~hypermax.quick.ranges.as_json`:
    ``cwd=Path(...)``, ``env={"SEED": ...}``), or as it is when no file could (the spec's checks
    then name it at its path)."""
    from hypermax.quick.ranges import as_json

    try:
        return as_json(value)
    except (TypeError, ValueError):
        return value


def spec_document(doc: dict[str, Any]) -> dict[str, Any]:
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


def named_spec(doc: dict[str, Any]) -> dict[str, Any]:
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


def metric_overrides(metrics: dict[str, Any] | str | None) -> dict[str, Any]:
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
