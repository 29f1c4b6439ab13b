"""How fast a search's trials go, for the dashboard's ETA: :class:`Pace`.

Pure Python, no urwid: the durations of the latest trials and the times they ended, measured by
the dashboard's clock (the time hypermax stood still left out).
"""

from __future__ import annotations

import statistics
from collections import deque

from hypermax.trial import Trial

#: How many of the latest trial durations (and of the times trials ended) the ETA is estimated
#: from.
RECENT_DURATIONS = 20
#: The times trials ended that the pace is measured from span at least this many seconds, when
#: more than ``RECENT_DURATIONS`` ended in them: the last 20 of 170 trials a second, or of
#: trials that end together, say little of the pace.
PACE_SECONDS = 10.0


class Pace:
    """The latest trials' durations and the times they ended; :meth:`typical` says how long a
    trial takes a slot."""

    def __init__(self) -> None:
        self._durations: deque[float] = deque(maxlen=RECENT_DURATIONS)
        self._ended_at: deque[float] = deque()  # this session's, counted, see PACE_SECONDS

    def trial_took(self, seconds: float) -> None:
        """Count the duration of a trial that ended and counts towards iterations."""
        self._durations.append(seconds)

    def trial_ended(self, at: float) -> None:
        """Count a trial that ended at ``at``; forget the ends no longer needed."""
        ends = self._ended_at
        ends.append(at)
        while len(ends) > RECENT_DURATIONS and ends[-1] - ends[1] >= PACE_SECONDS:
            ends.popleft()

    def forget(self) -> None:
        """Measure the pace at which trials end anew (the durations stay): after a pause, or
        after the process stood still, the time between the trials before and after it says
        nothing of the search."""
        self._ended_at.clear()

    def typical(self, parallel: int) -> float | None:
        """Seconds a trial holds one of ``parallel`` slots: the median of recent durations, or
        the time between recent ends times ``parallel`` where that is longer (proposing a trial
        and starting its process count too, and with trials of a second or less they can be
        most of the time); None before any trial's duration is known."""
        if not self._durations:
            return None
        typical = statistics.median(self._durations)
        ends = self._ended_at
        if len(ends) > 1:
            typical = max(typical, (ends[-1] - ends[0]) / (len(ends) - 1) * parallel)
        return typical


def trial_duration(
    trial: Trial, launched: float | None, now: float, stopped: float
) -> float | None:
    """How long a finished trial ran: its wall time, less the ``stopped`` seconds hypermax
    (and the trial with it) stood still meanwhile (Ctrl-Z), which the dashboard's clock leaves
    out already; from ``launched`` (by that clock) to ``now`` when the trial has no times."""
    if trial.started_at is not None and trial.ended_at is not None:
        return max(0.0, trial.ended_at - trial.started_at - stopped)
    if launched is not None:
        return max(0.0, now - launched)
    return trial.time
