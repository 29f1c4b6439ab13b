"""What of a spec document makes its search, which a results folder's journal holds the
fingerprint of (:meth:`hypermax.spec.Spec.fingerprint`), and the first part of it two documents
differ in, as the refusal to resume names it."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from hypermax.shipped import OBJECTIVE_ENV
from hypermax.specfile.as_searched import as_searched

#: what of ``function`` may change on resume: how many trials run at once, how long a kill may
#: take and what a trial process imports ahead do not change what a trial computes
RUN_SETTINGS = ("parallel", "kill_grace", "preload")


def _digest(keyed: dict[str, Any]) -> str:
    blob = json.dumps(keyed, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def search_identity(
    raw: dict[str, Any],
    direction: Any,
    metric: Any,
    with_objective_file: bool = False,
    as_written: bool = False,
    exact: bool = False,
) -> dict[str, Any]:
    """What of a spec document makes the search (see :meth:`Spec.fingerprint`), by section.
    The env var naming the file of an objective ``hypermax.optimize`` pickled is left out
    (unless ``with_objective_file``): that file is in the results folder, wherever it moved;
    the space and the metrics are taken as they search (:func:`_as_searched`), not as written
    (unless ``as_written``), and the files ``src`` and ``cwd`` name by their plain paths
    (``steady.py`` for ``./steady.py``); with ``exact``, a whole float bound and those paths
    as written, as an earlier hypermax took them."""
    keyed = {k: raw.get(k) for k in ("hyperparameters", "function", "metrics")}
    if not as_written:
        keyed["hyperparameters"] = as_searched(keyed["hyperparameters"], exact)
        if isinstance(keyed["metrics"], dict):
            keyed["metrics"] = {  # their numbers as written: the fingerprints folders hold
                name: as_searched(each, True) for name, each in keyed["metrics"].items()
            }
    function = {k: v for k, v in (keyed["function"] or {}).items() if k not in RUN_SETTINGS}
    if not (as_written or exact):
        for key in ("src", "cwd"):  # a plain path names the file the same way
            if isinstance(function.get(key), str) and function[key]:
                function[key] = os.path.normpath(function[key])
    env = function.get("env")
    if not with_objective_file and isinstance(env, dict) and OBJECTIVE_ENV in env:
        function["env"] = {k: v for k, v in env.items() if k != OBJECTIVE_ENV}
    keyed["function"] = function
    keyed["direction"] = [direction, metric]
    return keyed


def first_difference(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """The JSON path of the first part of the search that differs between two validated spec
    documents (``hyperparameters.properties.x.max``; ``search.direction`` for the metric or its
    direction), or None when they make the same search."""

    def identity(raw: dict[str, Any]) -> dict[str, Any]:
        search = raw.get("search") or {}
        return search_identity(raw, search.get("direction"), search.get("metric"))

    return _differs(identity(before), identity(after), [])


def _differs(a: Any, b: Any, path: list[str]) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            found = _differs(a.get(key), b.get(key), [*path, str(key)])
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _differs(x, y, [*path, str(i)])
            if found is not None:
                return found
        return None
    if json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str):
        return None
    if path[:1] == ["direction"]:
        return "search.direction" if path[1:] == ["0"] else "search.metric"
    return ".".join(path)
