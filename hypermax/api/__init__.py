"""What :func:`hypermax.optimize` adds to a search: a spec made from an objective, and a Result.

The objective may be a spec (a path or a dict), a ``"module:function"`` string, or a Python
callable, which is shipped to the trial processes with cloudpickle (see :mod:`hypermax.shipped`).
:mod:`~hypermax.api.plan` makes the search's spec of the arguments (checked by
:mod:`~hypermax.api.arguments`), :mod:`~hypermax.api.shipping` writes a callable objective into
its results folder, :mod:`~hypermax.api.result` makes the :class:`Result`.
"""

from __future__ import annotations

from hypermax.api.arguments import API_SPEC, path_argument
from hypermax.api.plan import (
    Plan,
    _default_name,
    check_call,
    function_options,
    keyword_problem,
    plan_search,
    unknown_keyword,
)
from hypermax.api.result import Result, SearchInterrupted, make_result
from hypermax.api.shipping import ship

# named where it is imported from, as before: a traceback's "hypermax.api.SearchInterrupted"
SearchInterrupted.__module__ = __name__

__all__ = [
    "API_SPEC",
    "Plan",
    "Result",
    "SearchInterrupted",
    "_default_name",
    "check_call",
    "function_options",
    "keyword_problem",
    "make_result",
    "path_argument",
    "plan_search",
    "ship",
    "unknown_keyword",
]
