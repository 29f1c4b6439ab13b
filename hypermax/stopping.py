"""When a search, or one of its trials, should stop: pure decisions, no clocks or processes.

The driver asks :func:`search_stop_reason` at every turn of its loop with the time spent and
the best loss so far; everything it needs is passed in, so the rules are tested as plain
functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypermax.spec import SearchSpec

#: the reason a search ends with when its optimizer has nothing more to propose
EXHAUSTED = "exhausted"
#: the reason a search ends with when it ran every iteration
ITERATIONS_DONE = "iterations done"
INTERRUPTED = "interrupted"


def search_stop_reason(search: SearchSpec, elapsed: float, best_loss: float | None) -> str | None:
    """Why the search must stop launching trials now, or None to go on.

    Args:
        search: the spec's ``search`` section (``timeout``, ``loss_threshold``).
        elapsed: seconds since the search started in this run.
        best_loss: the lowest loss of any finished trial, or None.
    """
    if search.timeout is not None and elapsed >= search.timeout:
        return f"timeout of {search.timeout:g} s"
    threshold = search.loss_threshold
    if threshold is not None and best_loss is not None and best_loss <= threshold:
        return f"loss threshold {threshold:g} reached"
    return None
