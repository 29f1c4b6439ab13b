"""What a search writes to its results folder besides the journal: the views (``results.csv``,
``best.json``) and the trials' logs, held to ``results.max_log_mb``; and what a full disk does
to those writes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from hypermax.errors import is_disk_full
from hypermax.execution.trial_log import append_note
from hypermax.logbudget import MIB, LogBudget
from hypermax.trial import Trial, TrialState
from hypermax.views import ViewWriter, view_failure

if TYPE_CHECKING:
    from hypermax.results import ResultsFolder

log = logging.getLogger("hypermax")


class FolderWrites:
    """The driver's writes to the results folder, but the journal's.

    Args:
        folder: the results folder.
        max_log_mb: what the trials' logs may hold together (``results.max_log_mb``).
        views_every: the views are rewritten at most this often while trials end (seconds).
        on_full: called with the error when a write met a full disk (the write is given up:
            what still fits is kept).
        say: a line for the user (a view that cannot be written).
        params: the flat names of the search's params, in its space's order: the columns of
            ``results.csv`` (see :class:`~hypermax.export.CsvLines`).
    """

    def __init__(
        self,
        folder: ResultsFolder,
        max_log_mb: float,
        views_every: float,
        on_full: Callable[[OSError], None],
        say: Callable[[str], None],
        params: Sequence[str] = (),
    ) -> None:
        self.folder = folder
        self.views = ViewWriter(folder.path, every=views_every, params=params)
        # a budget past the largest file size (1e308 MiB: no budget at all) holds every log
        self._logs = LogBudget(int(min(max_log_mb * MIB, sys.maxsize)))
        self._on_full = on_full
        self._say = say

    def safely(self, write: Callable[[], object]) -> None:
        """Do ``write``; a full disk is told to ``on_full`` instead of raised."""
        try:
            write()
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self._on_full(exc)

    def count_log(self, trial_id: int) -> None:
        """Count the log of a trial of an earlier run of the search (a resume)."""
        self._logs.add(trial_id, self.folder.log(trial_id))

    def keep_log(self, trial: Trial) -> None:
        """A failed trial's log says why, even when the trial printed nothing; then the logs
        are held to ``results.max_log_mb``."""
        path = self.folder.log(trial.id)
        if trial.state is TrialState.FAILED:
            append_note(path, f"trial {trial.id} failed: {trial.reason}")
        if trial.state is not TrialState.INTERRUPTED:
            self._logs.add(trial.id, path)
            self._logs.trim()

    def views_due(self, trials: Callable[[], list[Trial]]) -> None:
        """Rewrite results.csv and best.json in the view writer's thread, when due."""
        self.views.submit_due(trials)

    def views_now(self, trials: Iterable[Trial]) -> bool:
        """Rewrite results.csv and best.json now, in this thread (at the end, on an export);
        returns whether they were written.

        A full disk is raised. Any other failure (a file in the way, one that may not be
        replaced) is said and logged, and the search goes on, as when the view writer's thread
        meets it: the views are derived, the journal holds the truth."""
        try:
            self.views.flush(list(trials))
        except OSError as exc:
            if is_disk_full(exc):
                raise
            log.exception("cannot rewrite results.csv and best.json")
            path, why = view_failure(exc, self.folder.path)
            self._say(f"cannot write {path}: {why}; the journal holds every trial")
            return False
        return True

    def close(self) -> None:
        """Stop the view writer's thread."""
        self.views.close()
