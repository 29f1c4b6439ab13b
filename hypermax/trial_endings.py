"""How a search takes a trial's end: the state the runner's outcome settles in, and reruns.

The runner says how a trial's process ended (an :class:`~hypermax.trial.Outcome`); the search
knows more. A trial killed by the signal that is interrupting the search was interrupted with
it, not failed; a trial lost on its way to the stop early stopping asked for was stopped; a
trial a stop rule of the search cut short keeps its last report that gives a loss (without
one it runs again). A trial lost
by its runner though nobody stopped it runs again, a bounded number of times in a search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from hypermax.execution import protocol
from hypermax.interrupts import ended_by_interrupting
from hypermax.stopping.stopper import weighed_report
from hypermax.trial import KillReason, Outcome, Trial, TrialState

if TYPE_CHECKING:
    from hypermax.optimizers import BaseOptimizer
    from hypermax.proposals import Proposals
    from hypermax.stopping import EarlyStopper


def settled(
    event: Outcome,
    running: Trial,
    *,
    search_interrupted: bool,
    stopper: EarlyStopper,
    cut_by: str | None,
    optimizer: BaseOptimizer,
) -> Outcome:
    """The outcome of trial ``running`` (with all its reports) as the search records it.

    Args:
        event: what the runner said of the trial's end.
        running: the trial, with the reports it sent.
        search_interrupted: the search is being interrupted.
        stopper: the search's early stopping (whether it asked the trial to stop).
        cut_by: the stop rule of the search (timeout, loss threshold) that ended it, if any.
        optimizer: whether it learns from trials a stop rule cut short.
    """
    if search_interrupted and event.state is TrialState.FAILED:
        event = interrupted_with_the_search(event)
    if lost_to_a_full_disk(event):
        return event  # it runs again once there is room
    if event.state is TrialState.INTERRUPTED and stopper.asked_to_stop(running.id):
        # lost (its worker, its preload server died) on its way to the stop early stopping
        # asked for: it ends stopped, as asked, rather than run again from the start
        return replace(event, state=TrialState.STOPPED, kill_reason=KillReason.EARLY_STOP)
    if event.state is TrialState.INTERRUPTED and cut_by and optimizer.keeps_cut_trials:
        # like a trial stopped early, it keeps the loss of its last report that gives one,
        # and that report's step (and teaches the optimizer); one without such a report (it
        # never reported, or only what the loss does not need) runs again
        weighed = weighed_report(running.reports, stopper.loss_of)
        if weighed is not None:
            reason = f"stopped at step {weighed.get('step')}: {cut_by}"
            return replace(event, state=TrialState.STOPPED, reason=reason)
    return event


def lost_to_a_full_disk(event: Outcome) -> bool:
    """Whether the trial was interrupted because its disk is full."""
    no_space = (protocol.NO_SPACE_REASON, protocol.NOT_STARTED_NO_SPACE_REASON)
    return event.reason in no_space and event.state is TrialState.INTERRUPTED


def interrupted_with_the_search(event: Outcome) -> Outcome:
    """A trial that failed by a signal that interrupts a search (SIGTERM, SIGINT, SIGHUP,
    SIGQUIT) while the search is interrupted got it with hypermax's own, before hypermax
    began to stop it: from whoever interrupts the search (a service manager's stop, an
    outer hypermax whose trial this search is). It was interrupted: it runs again on
    resume, as the trials hypermax stopped do."""
    if not ended_by_interrupting(event.exit_code):
        return event
    reason = f"interrupted: {event.reason}" if event.reason else "interrupted"
    return replace(
        event, state=TrialState.INTERRUPTED, reason=reason, kill_reason=KillReason.INTERRUPT
    )


class Reruns:
    """Runs trials lost by their runner again, each at most a number of times in a search.

    A trial interrupted though nobody stopped it was lost by its runner (its cluster worker
    died, its preload server was killed): it runs again with the same id and params, first of
    the trials to come, at most ``cluster.lost_worker_reruns`` times in this search, once
    without a cluster (a resume runs it anyway).

    Args:
        proposals: where the trials to run come from.
        say: records a one-line message.
    """

    def __init__(self, proposals: Proposals, say: Callable[[str], None]) -> None:
        self.proposals = proposals
        self.say = say
        self._runs: dict[int, int] = {}  # trial id → runs again so far

    def lost(self, trial: Trial, limit: int) -> None:
        """Run lost ``trial`` again, unless it ran again ``limit`` times; say which."""
        runs, lost = self._runs.get(trial.id, 0), f"trial {trial.id} {trial.reason}"
        if runs >= limit:
            self.say(f"{lost}; not run again in this search")
            return
        self._runs[trial.id] = runs + 1
        self.proposals.run_again(trial, first=True)
        self.say(f"{lost}; running it again ({runs + 1} of {limit})")
