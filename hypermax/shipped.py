"""Runs, inside a trial's process, an objective that ``hypermax.optimize`` shipped as a pickle.

A callable handed to :func:`hypermax.optimize` — one defined in a notebook or in ``__main__``
too — is written with cloudpickle to ``objective.pkl`` in the results folder, and the trial's
``function`` is ``{"module": "hypermax.shipped", "name": "objective"}`` with the pickle's path in
env ``HYPERMAX_OBJECTIVE``. Unpickling needs only the standard library's pickle (which imports
cloudpickle's small helpers by reference); nothing heavy is imported here.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

#: env var that names the pickled objective's file
OBJECTIVE_ENV = "HYPERMAX_OBJECTIVE"
#: what ``function.name`` is for a shipped objective
ENTRY = "objective"


def objective(params: Any, reporter: Any = None) -> Any:
    """Load the shipped callable and call it as a ``python_function`` trial would be called."""
    from hypermax.execution.child import wants_reporter

    with open(os.environ[OBJECTIVE_ENV], "rb") as f:
        fn = pickle.load(f)
    how = wants_reporter(fn)
    if how == "keyword":
        return fn(params, reporter=reporter)
    if how == "positional":
        return fn(params, reporter)
    return fn(params)
