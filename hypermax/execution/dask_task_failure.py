"""What a trial's Dask task that raised instead of returning means for the trial.

A task raises when hypermax's connection to the scheduler broke, when its worker was lost too
often (``KilledWorker``), when the runner cancelled it, or when it could not run at all (no
hypermax on the worker); each comes back as the trial's Outcome, in the user's words.
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import TYPE_CHECKING

from distributed import KilledWorker

from hypermax.errors import one_line
from hypermax.execution.dask_worker import lost_text, not_run
from hypermax.trial import Outcome, TrialState

if TYPE_CHECKING:
    import threading

    from hypermax.execution.dask_attempts import Attempt

LOST_CONNECTION = "lost the connection to the Dask scheduler"


def failed_task_outcome(
    attempt: Attempt, exc: BaseException, connected: bool, lock: threading.Condition
) -> Outcome:
    """The Outcome of an attempt whose task raised ``exc`` instead of returning.

    Args:
        attempt: the attempt whose task ended.
        exc: what the task raised.
        connected: whether the client is connected to the scheduler now.
        lock: the lock the runner's attempts are read and changed under.
    """
    lost = getattr(exc, "reason", None) == "scheduler-connection-lost"  # Dask's own word
    if not connected or lost:  # lost: it may be connected again by now
        return attempt.interrupted(LOST_CONNECTION)
    if isinstance(exc, KilledWorker):
        return attempt.interrupted(lost_text(attempt.worker))
    if isinstance(exc, concurrent.futures.CancelledError):
        with lock:
            stop = attempt.stop if attempt.worker is None else None
        if stop is not None:  # stopped before it started, as asked
            return not_run(attempt.task.plan, stop)
        return attempt.interrupted("its Dask task was cancelled")
    reason = f"the Dask task failed: {one_line(exc)}"
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("hypermax"):
        reason += " (install hypermax on every worker: pip install 'hypermax[dask]')"
    return Outcome(attempt.trial_id, TrialState.FAILED, reason=reason, ended_at=time.time())
