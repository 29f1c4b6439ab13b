"""When a search, or one of its trials, should stop: pure decisions, no clocks or processes.

The driver asks :func:`search_stop_reason` at every turn of its loop with the time spent and
the best loss so far, and :func:`failing_start_reason` whether a search whose trials all fail
should go on; everything they need is passed in, so the rules are tested as plain functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hypermax.trial import Trial, TrialState

if TYPE_CHECKING:
    from hypermax.spec import SearchSpec

#: the reason a search ends with when its optimizer has nothing more to propose
EXHAUSTED = "exhausted"
#: the reason a search ends with when it ran every iteration
ITERATIONS_DONE = "iterations done"
INTERRUPTED = "interrupted"
#: the reason a search ends with when the results folder's disk filled up
DISK_FULL = "no space left on device"

_ENDED = (TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED, TrialState.OK)


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


def failing_start_reason(finished_here: int, limit: int, any_loss: bool) -> str | None:
    """Why a search that cannot work must stop now, or None to go on.

    A search whose first ``limit`` trials in this run all ended without a loss, when no trial
    of it ever produced one, is most likely broken (a typo in the function, a result without
    ``loss``); running every iteration would only repeat the failure.

    Args:
        finished_here: trials that ended (not interrupted) since this run started.
        limit: ``search.max_initial_failures``; 0 never stops.
        any_loss: whether any trial of the search, resumed ones included, produced a loss.
    """
    if limit <= 0 or any_loss or finished_here < limit:
        return None
    return f"the first {limit} trials failed and none produced a loss"


def common_failure(trials: Iterable[Trial]) -> tuple[str, list[Trial], int] | None:
    """The reason most failed trials share: ``(reason, the trials with it, failed trials)``.

    Trials without a loss count as failed (a killed trial without ``auto_kill_loss`` too);
    interrupted and running ones do not. None when no trial failed.
    """
    failed = [t for t in trials if t.state in _ENDED and t.loss is None]
    if not failed:
        return None
    counts = Counter(t.reason or "no reason recorded" for t in failed)
    reason, _ = counts.most_common(1)[0]
    return reason, [t for t in failed if (t.reason or "no reason recorded") == reason], len(failed)
