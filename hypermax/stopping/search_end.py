"""Why a search ends: the reasons it gives, and its stop rules as pure decisions.

The driver asks :func:`search_stop_reason` at every turn of its loop with the time spent and
the best loss so far, and :func:`failing_start_reason` whether a search whose trials all fail
should go on; everything they need is passed in, so the rules are tested as plain functions.
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
#: the reason a search ends with when the results folder's disk filled up
DISK_FULL = "no space left on device"
#: the reason a search ends with when no file descriptor was left to start a trial
OUT_OF_FILES = "too many open files"
#: the reason a search ends with when its journal could no longer be written
JOURNAL_UNWRITABLE = "the journal cannot be written"
#: the reason a search ends with when another hypermax took its results folder's path (the
#: folder moved aside or deleted while it ran, and made again there)
FOLDER_TAKEN = "its results folder was taken by another hypermax"


def search_stop_reason(search: SearchSpec, elapsed: float, best_loss: float | None) -> str | None:
    """Why the search must stop launching trials now, or None to go on.

    Args:
        search: the spec's ``search`` section (``timeout``, ``loss_threshold``).
        elapsed: seconds the search has run in this run, the time it was paused or stopped
            (Ctrl-Z) left out (see :class:`hypermax.clock.SearchClock`).
        best_loss: the lowest loss of any finished trial, or None.
    """
    if search.timeout is not None and elapsed >= search.timeout:
        return f"timeout of {search.timeout:g} s"
    threshold = search.loss_threshold
    if threshold is not None and best_loss is not None and best_loss <= threshold:
        return f"loss threshold {threshold:g} reached"
    return None


def failing_start_reason(finished_here: int, limit: int, any_loss: bool) -> str | None:
    """Why a search that cannot work must stop now, or None to go on.

    A search whose first ``limit`` trials in this run all ended without a loss (failed, killed
    at a limit, stopped), when no trial of it ever produced one, is most likely broken (a typo
    in the function, a result without ``loss``); running every iteration would only repeat the
    failure.

    Args:
        finished_here: trials that ended (not interrupted) since this run started.
        limit: ``search.max_initial_failures``; 0 never stops.
        any_loss: whether any trial of the search, resumed ones included, produced a loss.
    """
    if limit <= 0 or any_loss or finished_here < limit:
        return None
    return f"none of the first {limit} trials produced a loss"
