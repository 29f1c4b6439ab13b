"""Whether and why a search stops before its iterations are done: a stop rule (its timeout,
its loss threshold, trials failing from the start), an interrupt, a full disk, a journal it can
no longer write.

Stopping withdraws the trials held on standby and has the runner stop the running ones; the
driver's loop ends once none runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax import stopping
from hypermax.errors import DiskFull, OutOfFiles, is_disk_full, is_out_of_files
from hypermax.execution.trial_setup import FolderUnwritable
from hypermax.interrupts import stopping_note
from hypermax.results.making import unwritable
from hypermax.trial import KillReason

if TYPE_CHECKING:
    from hypermax.clock import SearchClock
    from hypermax.execution.base import BaseRunner
    from hypermax.running_trials import RunningTrials
    from hypermax.search_record import SearchRecord
    from hypermax.spec import SearchSpec
    from hypermax.standby import Standby

#: the reason a search ends with when no trial's files can be made in its results folder
FOLDER_UNWRITABLE = "the results folder cannot be written"


class SearchStop:
    """Why the search stops (``reason``, None while it goes on) and what stopped it.

    Args:
        runner: stops the running trials.
        standby: the trials held on standby (withdrawn).
        running: the running trials.
    """

    def __init__(self, runner: BaseRunner, standby: Standby, running: RunningTrials) -> None:
        self.runner = runner
        self.standby = standby
        self.running = running
        self.reason: str | None = None
        #: the stop rule (timeout, loss threshold) that ended the search, if one did
        self.cut_by: str | None = None
        self.interrupted = False
        #: the error of a write that met a full disk, if one did
        self.disk_full: OSError | None = None
        #: the error of a trial's start that found no file descriptor left, if one did
        self.out_of_files: OSError | None = None
        #: the error of a trial's start that could not make its files in the results folder
        #: (read-only, immutable), if one did
        self.unwritable: FolderUnwritable | None = None

    def stop(self, reason: str) -> None:
        """Stop the search for ``reason``: no held trial starts, the running ones are stopped."""
        self.reason = reason
        self.standby.withdraw()
        for trial_id in list(self.running):
            self.runner.cancel(trial_id, KillReason.INTERRUPT)

    def disk_filled(self, exc: OSError) -> None:
        """A write to the results folder met a full disk: the search stops (running trials
        are recorded interrupted as far as the journal takes it, then DiskFull is raised)."""
        if self.disk_full is None:
            self.disk_full = exc
            self.stop(stopping.DISK_FULL)

    def ran_out(self, exc: OSError) -> None:
        """Starting a trial, or a report, met a full disk, found no file descriptor left
        (``ulimit -n``) or could not make the trial's files in the results folder (read-only,
        immutable): the search stops, and :meth:`raise_ran_out` says why once it ended.

        Raises:
            OSError: ``exc``, when it is none of these.
        """
        if isinstance(exc, FolderUnwritable):
            self.unwritable = self.unwritable or exc
            self.stop(FOLDER_UNWRITABLE)
        elif is_out_of_files(exc):
            self.out_of_files = exc
            self.stop(stopping.OUT_OF_FILES)
        elif is_disk_full(exc):
            self.disk_full = self.disk_full or exc
            self.stop(stopping.DISK_FULL)
        else:
            raise exc

    def raise_ran_out(self, folder: Path, parallel: int) -> None:
        """Once the search ended: raise what stopped it, if the disk of ``folder`` filled up
        (DiskFull), no file descriptor was left for ``parallel`` trials (OutOfFiles) or no
        trial's files could be made in it (FolderUnusable, exit code 2)."""
        if self.disk_full is not None:
            raise DiskFull(folder, self.disk_full)
        if self.unwritable is not None:
            raise unwritable(folder, _named_in(folder, self.unwritable))
        if self.out_of_files is not None:
            raise OutOfFiles(self.out_of_files, parallel)

    def interrupt(self, kill_grace: float, say: Callable[[str], None]) -> None:
        """The search is interrupted (once): it stops, and says how long its running trials
        have to end when the runner gives them ``kill_grace`` seconds."""
        if self.interrupted:
            return
        self.interrupted = True
        self.stop(stopping.INTERRUPTED)
        if len(self.running) and kill_grace > 0 and self.runner.hurries:
            say(stopping_note(len(self.running), kill_grace))

    def check_rules(
        self,
        search: SearchSpec,
        clock: SearchClock,
        record: SearchRecord,
        finished_here: int,
        any_loss: bool,
    ) -> None:
        """Stop the search if a stop rule of ``search`` says so: its timeout (by ``clock``),
        its loss threshold (reached by a trial of this search in ``record``), or its trials
        failing from the start (``finished_here`` ended in this run, ``any_loss``: one ever
        produced a loss)."""
        if self.reason is not None:
            return
        best = record.best_run  # a loss threshold is reached by a trial of this search
        ruled = stopping.search_stop_reason(search, clock.elapsed(), best.loss if best else None)
        reason = ruled or stopping.failing_start_reason(
            finished_here, search.max_initial_failures, any_loss
        )
        if reason is not None:
            self.cut_by = ruled
            self.stop(reason)


def _named_in(folder: Path, exc: OSError) -> OSError:
    """``exc``, its file named from ``folder`` as the user gave it (``results/quad/trials``),
    as a full disk names the folder, when the file is in it."""
    named = exc.filename
    if not isinstance(named, str):
        return exc
    try:
        inside = Path(named).relative_to(Path(os.path.abspath(folder)))
    except ValueError:
        return exc
    return OSError(exc.errno, exc.strerror, str(folder / inside))
