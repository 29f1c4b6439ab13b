"""Runs, inside a trial's process, an objective that ``hypermax.optimize`` shipped as a pickle.

A callable handed to :func:`hypermax.optimize` — one defined in a notebook or in ``__main__``
too — is written with cloudpickle to ``objective.pkl`` in the results folder (with the caller's
``sys.path``), and the trial's
``function`` is ``{"module": "hypermax.shipped", "name": "objective"}`` with the pickle's path in
env ``HYPERMAX_OBJECTIVE``. Looking up ``objective`` unpickles the callable, which imports what
it refers to: a preload server looks it up once and forks every trial from there, so those
imports are paid once per search, as a module's are. Unpickling needs only the standard
library's pickle (which imports cloudpickle's small helpers by reference); nothing heavy is
imported here.
"""

from __future__ import annotations

import os
import sys
from types import FunctionType
from typing import Any

# the pickles of earlier versions name it here
from hypermax.unpickling import code_in_file  # noqa: F401

#: env var that names the pickled objective's file
OBJECTIVE_ENV = "HYPERMAX_OBJECTIVE"
#: the file in the results folder that holds a shipped callable
SHIPPED_FILE = "objective.pkl"
#: what ``function.name`` is for a shipped objective; the pickled callable's key in the file
ENTRY = "objective"
#: the key of the caller's ``sys.path`` in the file
SHIPPED_PATH = "sys.path"
#: the key of the folders the caller's own modules were imported from, where its ``sys.path``
#: may no longer lead (its ``""`` is the current folder, which it may have changed since)
IMPORTED_FROM = "imported from"


#: the shipped callable once unpickled (:data:`ENTRY`), and the functions and classes of the
#: caller's script (``__main__``) it refers to, by name
_LOADED: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``objective``: the shipped callable, unpickled from the file ``HYPERMAX_OBJECTIVE`` names
    (once per process); any other name: a function or class of the caller's script that it
    refers to.

    The trial calls it as any ``python_function`` (with a reporter when it takes one). The
    folders of the caller's ``sys.path`` that this one lacks come first on it, and those its
    own modules were imported from last, so that the modules the callable refers to are found
    where the caller found them.

    The functions and classes of the caller's ``__main__`` (a script, a notebook) that the
    callable refers to are this module's from then on: ``pickle`` finds them here by name, in
    the trial and in a process it starts (``multiprocessing.Pool().map(work, ...)`` sends
    ``work`` by name; the trial's own ``__main__`` is hypermax's, which has no ``work``).
    """
    if name.startswith("__") or OBJECTIVE_ENV not in os.environ:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if ENTRY not in _LOADED:
        _load()
    if name in _LOADED:
        return _LOADED[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _load() -> None:
    import pickle  # here: the spec, which names this module's env var, needs no pickle

    with open(os.environ[OBJECTIVE_ENV], "rb") as f:
        shipped = pickle.load(f)
    sys.path[:0] = [entry for entry in shipped[SHIPPED_PATH] if entry not in sys.path]
    # last: found there only what is found nowhere else, as the caller found it then
    sys.path += [entry for entry in shipped.get(IMPORTED_FROM, ()) if entry not in sys.path]
    objective = pickle.loads(shipped[ENTRY])
    scopes = [objective, getattr(objective, "func", None), getattr(objective, "__func__", None)]
    scopes.append(getattr(type(objective), "__call__", None))  # noqa: B004 - a callable object's
    for scope in scopes:
        for value in [scope, *(getattr(scope, "__globals__", None) or {}).values()]:
            script_s = getattr(value, "__module__", None) == "__main__"
            # a function or a class; not an object, nor a bound method (its function's
            # __module__ shows through it, read-only): its __func__ is a scope of its own
            if script_s and isinstance(value, type | FunctionType):
                value.__module__ = __name__
                _LOADED.setdefault(value.__name__, value)
    kind = type(objective)
    if kind.__module__ == "__main__":
        kind.__module__ = __name__
        _LOADED.setdefault(kind.__name__, kind)
    _LOADED[ENTRY] = objective
    cloudpickle = sys.modules.get("cloudpickle")  # unpickling the objective imported it
    if cloudpickle is not None:  # it sends them by value still (joblib's workers, Dask's)
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
