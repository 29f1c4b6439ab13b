"""The trials a search runs now: started, reporting, ended.

A trial that starts is journaled ``trial_started``; each of its reports is journaled, weighed by
early stopping, and the runner is told to let the trial go on or to stop it; when it ends it is
taken out with the reports it sent, to be concluded. Records and events wait in the
:class:`~hypermax.search_record.SearchRecord` for the end of the driver's turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypermax import events as ev
from hypermax.journal import started_record
from hypermax.trial import KillReason, Proposal, Report, Trial

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.search_record import SearchRecord
    from hypermax.stopping import EarlyStopper


class RunningTrials:
    """The running trials by id, each with the reports it sent since it started.

    Args:
        runner: runs them (told to let a trial go on after a report, or to stop it).
        stopper: the search's early stopping.
        record: where their records and events wait to be journaled and told.
    """

    def __init__(self, runner: BaseRunner, stopper: EarlyStopper, record: SearchRecord) -> None:
        self.runner = runner
        self.stopper = stopper
        self.record = record
        self._trials: dict[int, Trial] = {}
        self._reports: dict[int, list[dict[str, Any]]] = {}  # the running trials' reports

    def __len__(self) -> int:
        return len(self._trials)

    def __iter__(self) -> Iterator[int]:
        """The running trials' ids."""
        return iter(self._trials)

    def started(self, proposal: Proposal, started_at: float, ids: tuple[int, float] | None) -> None:
        """Trial ``proposal`` runs from ``started_at`` (its main process: ``ids``, pid and
        create time, if known): it is held as running, to journal and tell."""
        trial = Trial(proposal.trial_id, proposal.params, proposal.internal, started_at=started_at)
        self._trials[trial.id] = trial
        record = started_record(trial, *(ids or (None, None)))
        self.record.add(record, ev.TrialStarted(trial))

    def on_report(self, report: Report) -> None:
        """Take in a running trial's report: kept with the trial, journaled, and weighed by
        early stopping, which lets the trial go on or stops it."""
        trial = self._trials.get(report.trial_id)
        if trial is None or self.stopper.asked_to_stop(trial.id):
            return  # one after the decision to stop the trial: its log keeps it, not its record
        self._reports.setdefault(trial.id, []).append({"step": report.step, **report.metrics})
        record = {
            "event": "trial_reported",
            "id": report.trial_id,
            "step": report.step,
            "metrics": report.metrics,
            "at": time.time(),
        }
        standing = self.stopper.on_report(report)
        if standing is not None and standing.stop:
            self.runner.cancel(report.trial_id, KillReason.EARLY_STOP)
        else:
            self.runner.go_on(report.trial_id)
        self.record.add(record, ev.TrialReported(report, standing))

    def ended(self, trial_id: int) -> Trial | None:
        """Running trial ``trial_id``, no longer running, with every report it sent; None if
        it was not running."""
        running = self._trials.pop(trial_id, None)
        if running is None:
            return None
        reports = self._reports.pop(trial_id, ())
        unjudged = self.stopper.none_judged(trial_id, reports)
        if unjudged is not None:
            self.record.say(unjudged)
        if reports:  # gathered in a list: a tuple grown report by report costs n² in all
            running = replace(running, reports=(*running.reports, *reports))
        return running
