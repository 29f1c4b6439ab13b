"""What the runner says during a search, taken in: a trial's report, a trial held on standby
that started, a note to show, and a trial's end. An end is settled (see ``trial_endings``),
concluded and kept in the search's record; then the trial runs again (lost by its runner) or
is told to the optimizer.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from hypermax import events as ev
from hypermax import stopping
from hypermax.conclude import conclude
from hypermax.journal import finished_record
from hypermax.optimizer_calls import Abandoned
from hypermax.trial import KillReason, Launched, Outcome, Report, RunnerNote, Trial, TrialState
from hypermax.trial_endings import Reruns, lost_to_a_full_disk, settled

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.optimizer_calls import OptimizerCalls
    from hypermax.proposals import Proposals
    from hypermax.running_trials import RunningTrials
    from hypermax.search_record import SearchRecord
    from hypermax.search_stop import SearchStop
    from hypermax.spec import Spec
    from hypermax.standby import Standby
    from hypermax.steering import Steering
    from hypermax.stopping import EarlyStopper


class RunnerEvents:
    """Takes in what the runner says (:meth:`take`), and counts what the trials that ended
    said; their records and events wait for the record's next flush.

    Args:
        spec: the validated spec.
        runner: runs the trials (a trial that started as the search stops is cancelled).
        proposals: where the trials came from: a lost one is proposed again.
        calls: how the optimizer is told (an interrupt does not wait for a plugin's tell).
        standby: the trials held, one of which may have started.
        running: the trials running.
        stopper: the search's early stopping.
        stop: why the search stops, if it does.
        steering: whether the search is being interrupted.
        record: what the search keeps of its trials.
        abandoned: says that an interrupt left the plugin optimizer in the middle of a call.
    """

    def __init__(
        self,
        spec: Spec,
        runner: BaseRunner,
        proposals: Proposals,
        calls: OptimizerCalls,
        standby: Standby,
        running: RunningTrials,
        stopper: EarlyStopper,
        stop: SearchStop,
        steering: Steering,
        record: SearchRecord,
        abandoned: Callable[[], None],
    ) -> None:
        self.spec = spec
        self.runner = runner
        self._proposals = proposals
        self._calls = calls
        self._standby = standby
        self._running = running
        self._stopper = stopper
        self._stop = stop
        self._steering = steering
        self._record = record
        self._abandoned = abandoned
        self._reruns = Reruns(proposals, record.say)
        #: the search is closing: a trial that starts is stopped, none runs again, none is told
        self.closing = False
        #: trials that ended in this run (not interrupted)
        self.finished_here = 0
        #: whether a trial of this search ever produced a loss
        self.any_loss = False

    def take(self, event: Report | Outcome | RunnerNote | Launched) -> None:
        """Take in what the runner said."""
        if isinstance(event, Report):
            self._running.on_report(event)
        elif isinstance(event, Launched):
            self._launched(event)
        elif isinstance(event, RunnerNote):
            self._record.say(event.text, event.news)
        else:
            self._ended(event)

    def _launched(self, event: Launched) -> None:
        """A trial held on standby started: it runs (and is journaled) from now on; one that
        started as the search began to stop is stopped."""
        proposal = self._standby.started(event.trial_id)
        if proposal is None:
            return
        self._running.started(proposal, event.started_at, event.process_ids)
        if self._stop.reason is not None or self.closing:
            self.runner.cancel(proposal.trial_id, KillReason.INTERRUPT)

    def _ended(self, event: Outcome) -> None:
        """A trial's process ended: the trial is kept, then runs again or is told."""
        running = self._running.ended(event.trial_id)
        if running is None:
            return
        event = settled(
            event,
            running,
            search_interrupted=self._steering.interrupt_asked,
            stopper=self._stopper,
            cut_by=self._stop.cut_by,
            optimizer=self._proposals.optimizer,
        )
        if lost_to_a_full_disk(event):  # it runs again once there is room
            full = self._stop.disk_full or OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._stop.disk_full = full
            self._stop.stop(stopping.DISK_FULL)
        trial = self._stopper.on_finished(conclude(running, event, self.spec))
        if trial.state is not TrialState.INTERRUPTED:
            self._proposals.waiting = False
            self.finished_here += 1
            self.any_loss = self.any_loss or trial.loss is not None
        self._record.keep(trial, whole=False)  # journaled from ``trial``, below
        finished = ev.TrialFinished(trial, self._record.best, self._record.done)
        self._record.add(finished_record(trial), finished)
        if trial.state is TrialState.INTERRUPTED:
            # not once the search is asked to stop: it would say the trial runs again, and
            # the search would end without running it (a resume does)
            stopping_now = self._stop.reason is not None or self._steering.interrupt_asked
            if not stopping_now and not self.closing:
                cluster = self.spec.cluster
                self._reruns.lost(trial, cluster.lost_worker_reruns if cluster else 1)
        elif not self.closing:
            self._tell(trial)

    def _tell(self, trial: Trial) -> None:
        """Tell the optimizer of ``trial`` once its record waits to be journaled: an optimizer
        whose tell raises ends the search with the trial kept; once the search closes, nothing
        is asked again. Without its metadata, which no optimizer needs (its state, loss and
        internal are what tell promises) and one that keeps its trials would hold all search
        long."""
        told = replace(trial, metadata={}) if trial.metadata else trial
        try:
            self._calls.call(f"tell({trial.id})", self._proposals.optimizer.tell, told)
        except Abandoned:  # an interrupt came during a plugin's tell: the trial is kept
            self._abandoned()
