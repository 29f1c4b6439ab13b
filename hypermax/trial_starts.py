"""Starting trials: each free slot of a search takes the optimizer's next proposal (or, when a
slot frees though trials are held on standby, those first), then the next ones are asked ahead
(see ``asking_ahead``), so that a slot that frees later only starts a process.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hypermax.asking_ahead import AskAhead

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.proposals import Proposals
    from hypermax.results import ResultsFolder
    from hypermax.runner_events import RunnerEvents
    from hypermax.running_trials import RunningTrials
    from hypermax.search_record import SearchRecord
    from hypermax.search_stop import SearchStop
    from hypermax.spec import Spec
    from hypermax.standby import Standby
    from hypermax.steering import Steering


class TrialStarts:
    """Fills the free slots of a search (:meth:`fill`) within its ``iterations``.

    Args:
        spec: the validated spec (``parallel``, ``iterations``, ``loss_threshold``).
        runner: runs the trials.
        folder: the results folder (trial folders and logs).
        proposals: the trials to start.
        standby: the trials the runner holds, ready to start.
        running: the trials running.
        stop: why the search stops, if it does (then nothing starts).
        steering: commands that came during an ask (a pause, a Ctrl-C).
        record: the trials done.
        heard: what the runner said (as held trials are taken back, and whether a trial
            produced a loss).
    """

    def __init__(
        self,
        spec: Spec,
        runner: BaseRunner,
        folder: ResultsFolder,
        proposals: Proposals,
        standby: Standby,
        running: RunningTrials,
        stop: SearchStop,
        steering: Steering,
        record: SearchRecord,
        heard: RunnerEvents,
    ) -> None:
        self.spec = spec
        self.runner = runner
        self.folder = folder
        self._proposals = proposals
        self._standby = standby
        self._running = running
        self._stop = stop
        self._steering = steering
        self._record = record
        self._heard = heard
        self._ahead = AskAhead(proposals, standby, runner, folder)

    def budget_spent(self) -> bool:
        """Whether the trials done, running and held take all of ``iterations``."""
        taken = self._record.done + len(self._running) + len(self._standby)
        return taken >= self.spec.search.iterations

    def fill(self) -> None:
        """Fill the free slots; then ask ahead for the next ones, if the optimizer allows, and
        hold them on standby in the runner, if it can."""
        parallel = self.spec.function.parallel
        if len(self._standby) and len(self._running) < parallel:
            # a slot is free though trials are held (a trial that never started ended): they
            # run in the free slots first, in order
            self._withdraw()
            if self._stop.reason is not None:
                return
        while len(self._running) < parallel and not self.budget_spent():
            proposal = self._proposals.next()
            if proposal is None:
                return
            # a Ctrl-C or a pause during a slow ask: the trial does not start
            self._steering.carry_out()
            if self._stop.reason is not None or self._steering.paused:
                self._proposals.give_back([proposal])
                return
            started_at = time.time()
            trial_id = proposal.trial_id
            self.runner.submit(proposal, self.folder.trial_dir(trial_id), self.folder.log(trial_id))
            self._running.started(proposal, started_at, self.runner.process_ids(trial_id))
        # held on standby: not before a trial produced a loss, nor with a loss threshold (a trial
        # held then could start only to be stopped with the search), nor while paused
        search, running = self.spec.search, len(self._running)
        may_hold = (
            not self._steering.paused and self._heard.any_loss and search.loss_threshold is None
        )
        left = search.iterations - self._record.done - running
        self._ahead.refill(parallel, running, left, may_hold)

    def _withdraw(self) -> None:
        """Take back the trials held on standby, then take in what the runner said since: a
        held trial that started meanwhile runs already, and counts."""
        if len(self._standby):
            self._standby.withdraw()
            for event in self.runner.poll(0):
                self._heard.take(event)
