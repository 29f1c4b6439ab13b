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
import pickle
import sys
from typing import Any

#: env var that names the pickled objective's file
OBJECTIVE_ENV = "HYPERMAX_OBJECTIVE"
#: what ``function.name`` is for a shipped objective; the pickled callable's key in the file
ENTRY = "objective"
#: the key of the caller's ``sys.path`` in the file
SHIPPED_PATH = "sys.path"


def __getattr__(name: str) -> Any:
    """``objective``: the shipped callable, unpickled from the file ``HYPERMAX_OBJECTIVE`` names.

    The trial calls it as any ``python_function`` (with a reporter when it takes one). The
    folders of the caller's ``sys.path`` that this one lacks come first on it, so that the
    modules the callable refers to are found where the caller found them.
    """
    if name != ENTRY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with open(os.environ[OBJECTIVE_ENV], "rb") as f:
        shipped = pickle.load(f)
    sys.path[:0] = [entry for entry in shipped[SHIPPED_PATH] if entry not in sys.path]
    objective = pickle.loads(shipped[ENTRY])
    _into_main(objective)
    return objective


def _into_main(objective: Any) -> None:
    """The functions and classes of the caller's ``__main__`` (a script, a notebook) that the
    objective refers to, which travelled with it by value, made names of this process's
    ``__main__`` too (where it has none of its own): a pool of workers that the objective
    hands one of them (``multiprocessing.Pool().map(helper, ...)``) pickles it by reference,
    as ``__main__.helper``, and must find it there, as it would in the caller's process."""
    main = sys.modules.get("__main__")
    function = getattr(objective, "func", objective)  # a functools.partial's function
    names = getattr(function, "__globals__", None)
    if main is None or not isinstance(names, dict):
        return
    for name, value in names.items():
        if getattr(value, "__module__", None) == "__main__" and not hasattr(main, name):
            setattr(main, name, value)
