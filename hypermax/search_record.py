"""What a search has recorded: its finished trials, their count and its best trial, and what
happened in the driver's turn, waiting to be journaled and told.

The driver keeps every trial that ends (or that a resume or a warm start brings in) here, and
queues a journal record and an event for each thing that happens; :meth:`SearchRecord.flush`
writes the records of a turn with one write and then tells the reporters, in order. Counts and
the best trial are kept as trials end, so a turn costs the same after 10 trials as after
100,000.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypermax import events as ev
from hypermax.best import best_trial
from hypermax.errors import is_disk_full
from hypermax.folder_writes import FolderWrites
from hypermax.journal import Journal, folder_taken
from hypermax.results import unwritable
from hypermax.trial import Trial, TrialState


class SearchRecord:
    """The trials a search recorded and the records and events it has yet to write and tell.

    Args:
        journal: the search's journal (this is its only writer).
        writes: the results folder's other files: kept logs, ``results.csv`` and ``best.json``.
        emit: tells the reporters an event.
        journal_lost: called once the journal can no longer be written (but for a full disk,
            which is raised): the search stops.
        folder_taken: called once another hypermax took the folder made again at the results
            folder's path (see :attr:`Journal.taken`): the search stops, and writes nothing
            there (its records go on in its journal, where the folder went).
    """

    def __init__(
        self,
        journal: Journal,
        writes: FolderWrites,
        emit: Callable[[ev.Event], None],
        journal_lost: Callable[[OSError], None],
        folder_taken: Callable[[], None] = lambda: None,
    ) -> None:
        self.journal = journal
        self.writes = writes
        self.trials: dict[int, Trial] = {}
        #: trials done: those that count towards ``iterations``
        self.done = 0
        self.best: Trial | None = None
        #: the best of the trials this search ran (not imported)
        self.best_run: Trial | None = None
        #: the trials whose metadata only the journal holds (see :meth:`keep`)
        self.metadata_in_journal: set[int] = set()
        #: why the journal can no longer be written (None while it can)
        self.lost: OSError | None = None
        self._emit = emit
        self._journal_lost = journal_lost
        self._folder_taken = folder_taken
        self._taken_told = False
        self._pending: list[tuple[dict[str, Any] | None, ev.Event]] = []
        #: records a full disk refused: they go first in the next append, so that the journal
        #: never holds a trial's end without its start (nor one trial's records out of order)
        self._refused: list[dict[str, Any]] = []

    def keep(self, trial: Trial, whole: bool = True) -> None:
        """Hold ``trial`` as finished (or imported); keep the count and the best up to date.

        ``whole=False`` (a trial that ended here, journaled from the Trial the caller holds):
        its ``metadata`` (what it returned beside its metrics, 10 MB of it say) is held only
        while it is the best (or the best run here), for ``best.json``; the optimizer,
        ``results.csv`` and the stop rules need none of it, and the journal has it. A best
        that another trial replaces lets go of its metadata too."""
        old = self.trials.get(trial.id)
        self.trials[trial.id] = trial
        self.metadata_in_journal.discard(trial.id)
        self.done += trial.state.counted - (old is not None and old.state.counted)
        trials = self.trials.values()
        held = self.best, self.best_run
        self.best = _kept_best(self.best, trial, old, trials)
        if trial.state is not TrialState.IMPORTED:
            ran = (t for t in trials if t.state is not TrialState.IMPORTED)
            self.best_run = _kept_best(self.best_run, trial, old, ran)
        for kept in (None if whole else trial, *held):
            best = kept is self.best or kept is self.best_run
            if kept is not None and kept.metadata and not best and self.trials.get(kept.id) is kept:
                self.trials[kept.id] = replace(kept, metadata={})
                self.metadata_in_journal.add(kept.id)

    def views(self) -> list[Trial]:
        """The trials to write ``results.csv`` and ``best.json`` from: the best with its
        metadata."""
        best = self.best
        trials = list(self.trials.values())
        if best is not None and self.trials.get(best.id) is not best:
            trials = [best if t.id == best.id else t for t in trials]
        return trials

    def add(self, record: dict[str, Any] | None, event: ev.Event) -> None:
        """Queue ``record`` (None: nothing to journal) and ``event`` for :meth:`flush`."""
        self._pending.append((record, event))

    def say(self, text: str, news: bool = False) -> None:
        """Queue a message to tell, in its place among the events (``news``: see
        :attr:`hypermax.events.Message.news`)."""
        self.add(None, ev.Message(text, news))

    def flush(self) -> None:
        """Journal what was queued since the last flush, then tell the reporters.

        The driver calls it once the free slots were refilled; the records go with one write,
        and their fsync happens in the journal's thread (one for all the turns since the last),
        so a disk slow to sync never holds a free slot. Records keep the order of events.
        """
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        records = [record for record, _ in batch if record is not None]
        writes = self.writes
        writes.safely(lambda: self._append(records))
        finished = [event.trial for _, event in batch if isinstance(event, ev.TrialFinished)]
        if self.journal.taken is not None:  # the folder there is another search's
            finished = []
        for trial in finished:
            writes.safely(functools.partial(writes.keep_log, trial))
        if finished:
            writes.safely(lambda: writes.views_due(self.views))
        for _, event in batch:
            self._emit(event)

    def watch_folder(self) -> None:
        """Make the results folder again at once when it was moved aside or deleted (see
        :meth:`Journal.follow_path`); another hypermax that took it stops the search."""
        if self.lost is not None:
            return
        self.journal.follow_path()
        if self.journal.taken is not None and not self._taken_told:
            self._taken_told = True
            self._folder_taken()

    def write_views(self) -> bool:
        """Rewrite ``results.csv`` and ``best.json`` now; whether they were written (not in
        a folder another hypermax took)."""
        if self.journal.taken is not None:
            return False
        return self.writes.views_now(self.views())

    def raise_if_lost(self, folder: Path) -> None:
        """At the search's end: the error it ends with when its journal could not take its
        records any more (another hypermax took the results ``folder``, or the journal became
        unwritable); nothing when it could."""
        if self.journal.taken is not None:
            raise folder_taken(self.journal)
        if self.lost is not None:
            lost = OSError(self.lost.errno, self.lost.strerror, str(self.journal.path))
            raise unwritable(folder, lost)

    def _append(self, records: list[dict[str, Any]]) -> None:
        """Journal ``records``, after those a full disk refused before (a full disk stops the
        search, but the records of its last turns, trials killed as it stops, may fit once a log
        was dropped). A journal that can no longer be written but for a full disk (made
        read-only or immutable while the search ran) stops the search: the records from then
        on are lost, and the trials it stops run again when it resumes."""
        if self.lost is not None:
            return
        records = [*self._refused, *records]
        try:
            self.journal.append_many(records, wait_for_disk=False)
        except OSError as exc:
            if is_disk_full(exc):
                self._refused = records
                raise
            self.lost = exc
            self._journal_lost(exc)
            return
        self._refused = []
        if self.journal.taken is not None and not self._taken_told:
            self._taken_told = True
            self._folder_taken()


def _kept_best(
    best: Trial | None, trial: Trial, old: Trial | None, pool: Iterable[Trial]
) -> Trial | None:
    """The best trial once ``trial`` (which replaces ``old``, an earlier record of the same id,
    if any) is kept: looked for again in ``pool`` when ``old`` was the best."""
    if old is not None and old is best:
        return best_trial(pool)
    if best_trial([trial, *([best] if best else [])]) is trial:
        return trial
    return best
