"""Early stopping's verdicts, told to a running trial's process: go on, or stop at a report.

A ``python_function`` trial runs hypermax's bootstrap, which can stop it cleanly at a report
(the report raises ``TrialStopped``; see :mod:`.reports`). Asked to stop, it gets
:data:`~.reports.STOP_SIGNAL` and :func:`stop_wait` seconds to reach a report; the kill
ladder follows unless it ended. A trial that waits for the verdict on each report (early
stopping judges it) is let go on with :data:`~.reports.GO_ON_SIGNAL`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hypermax.execution import reports

#: the longest a python_function trial stopped early is given to reach its next report
STOP_WAIT_CAP_SECONDS = 60.0
#: the shortest look again at a stopped trial's clock while it is paused
_LEAST_WAIT = 0.01


def stop_wait(longest_report_gap: float, kill_grace: float) -> float:
    """How long a ``python_function`` trial asked to stop has to reach its next report.

    Twice the longest it took so far between two reports (or to its first), at least the
    function's ``kill_grace`` and at most :data:`STOP_WAIT_CAP_SECONDS`; then the kill ladder.
    """
    return min(STOP_WAIT_CAP_SECONDS, max(kill_grace, 2 * longest_report_gap))


class Verdicts:
    """Tell one trial's main process early stopping's verdicts; keep the pace of its reports.

    Args:
        trial_id: the trial's id (names the thread that waits for a stopped trial).
        kill_grace: the function's ``kill_grace``, the least :func:`stop_wait`.
        note: writes a line into the trial's log.
        clock: the trial's own clock, in seconds: the gaps between its reports and its wait
            for its next report are measured on it (the time it spends paused, by Ctrl-Z,
            left out, as from its time limit).
        folder: the trial's folder, where the count of verdicts sent
            (:data:`~.reports.VERDICTS_FILE`) and the stop's files go; None: nowhere.
    """

    def __init__(
        self,
        trial_id: int,
        kill_grace: float,
        note: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        folder: Path | None = None,
    ) -> None:
        self.trial_id = trial_id
        self.folder = folder
        #: the verdicts to go on sent so far
        self.sent = 0
        self.kill_grace = kill_grace
        self.note = note
        self.clock = clock
        #: the trial waits after each report for the verdict on it
        self.awaited = False
        self.longest_report_gap = 0.0
        self._last_report_at = 0.0  # set by started()

    def started(self) -> None:
        """The trial's process started now: its first report's gap counts from here."""
        self._last_report_at = self.clock()

    def reported(self) -> None:
        """The trial sent a report now."""
        now = self.clock()
        self.longest_report_gap = max(self.longest_report_gap, now - self._last_report_at)
        self._last_report_at = now

    def go_on(self, pid: int) -> None:
        """Let the trial, waiting for the verdict on its latest report, go on: count the
        verdict in :data:`~.reports.VERDICTS_FILE`, then wake the trial."""
        self.sent += 1
        if self.folder is not None:
            with contextlib.suppress(OSError):  # a folder the trial made unwritable: it waits
                self._count_verdicts()
        with contextlib.suppress(OSError):  # gone; or the user's pending signals are used up
            os.kill(pid, reports.GO_ON_SIGNAL)

    def _count_verdicts(self) -> None:
        """Write the count of the verdicts sent into the trial's folder, made again when it was
        removed while the trial ran (else it would wait out each verdict's wait in full)."""
        assert self.folder is not None
        path = str(self.folder / reports.VERDICTS_FILE)
        try:
            reports.write_verdicts_sent(path, self.sent)
        except FileNotFoundError:
            os.makedirs(self.folder, exist_ok=True)
            reports.write_verdicts_sent(path, self.sent)

    def ask_to_stop(self, pid: int, gone: threading.Event, ladder: Callable[[str], None]) -> None:
        """Signal the trial's main process ``pid`` to stop at its next report (at the report it
        waits on, when it waits for verdicts), and the processes it started
        (:data:`~.reports.STOP_FILE`); call ``ladder`` with why unless ``gone`` is set within
        :func:`stop_wait` on the trial's clock. A trial whose report raised
        (:data:`~.reports.STOPPED_FILE`) by then has ``kill_grace`` more to end: its clean-up
        (a ``finally`` that saves a checkpoint) began at most that wait ago."""
        folder = self.folder
        wait = stop_wait(self.longest_report_gap, self.kill_grace)
        deadline = self.clock() + wait
        if folder is not None:
            with contextlib.suppress(OSError):  # a folder the trial made unwritable
                (folder / reports.STOP_FILE).touch()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, reports.STOP_SIGNAL)
        name = signal.Signals(reports.STOP_SIGNAL).name
        at = "the report it waits on" if self.awaited else "its next report"
        self.note(
            f"stopped early: {name} to {pid}, to stop at {at}; "
            f"the kill ladder in {wait:g} s unless it ends"
        )

        def ladder_unless_gone() -> None:
            nonlocal deadline
            cleaning = False
            # while the trial is paused its clock stands still, and so does the wait
            while not gone.wait(max(_LEAST_WAIT, deadline - self.clock())):
                if self.clock() < deadline:
                    continue
                if not cleaning and folder is not None and (folder / reports.STOPPED_FILE).exists():
                    cleaning = True
                    deadline = self.clock() + self.kill_grace
                    self.note(
                        f"stopped at a report, still ending {wait:g} s after the stop: "
                        f"the kill ladder in {self.kill_grace:g} s unless it ends"
                    )
                    continue
                if cleaning:
                    ladder(f"not ended within {self.kill_grace:g} s of its stop at a report")
                else:  # it reached no report, or went on past it
                    ladder(f"not ended within {wait:g} s of the stop")
                return

        threading.Thread(
            target=ladder_unless_gone, name=f"hypermax-stop-{self.trial_id}", daemon=True
        ).start()
