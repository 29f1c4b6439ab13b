"""Driving an optimizer as the search driver does, without trial processes: ask, end, tell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypermax.optimizers import NoProposal
from hypermax.optimizers.base import BaseOptimizer
from hypermax.proposals import ProposalError, as_run
from hypermax.trial import Proposal, Trial, TrialState

#: the states a trial can end in without a loss though it ran (see :func:`drive`)
_LOSSLESS = (TrialState.KILLED, TrialState.STOPPED)


def drive(
    optimizer: BaseOptimizer,
    trials: int,
    loss: Callable[[dict[str, Any]], float],
    parallel: int = 1,
    states: Callable[[int], TrialState] = lambda trial_id: TrialState.OK,
    first_id: int = 1,
) -> list[Trial]:
    """Run ``trials`` trials the way the driver does, with up to ``parallel`` running at once.

    Trials end oldest first. ``states(trial_id)`` picks how each ends: ``ok`` with its loss,
    ``failed`` without one, ``killed`` with the worst loss so far plus one (as
    ``auto_kill_loss`` would give), ``stopped`` with its loss; but a killed or stopped trial
    whose id is in the second half of each eight (``trial_id % 8 >= 4``) ends without a loss,
    as one killed without ``auto_kill_loss`` or stopped before it reported one. Stops early
    when the optimizer is exhausted, or says WAIT with nothing running. Trial ids count from
    ``first_id`` (after a resumed history). Returns the finished trials as they were told, in
    order.
    """
    told: list[Trial] = []
    proposals: list[Proposal] = []
    running: list[Proposal] = []
    next_id, worst, exhausted = first_id, 0.0, False
    while len(proposals) < trials or running:
        while not exhausted and len(running) < parallel and len(proposals) < trials:
            answer = ask_checked(optimizer, next_id)
            if answer is NoProposal.EXHAUSTED:
                exhausted = True
            if isinstance(answer, NoProposal):
                break
            proposals.append(answer)
            running.append(answer)
            next_id += 1
        if not running:
            break
        done = running.pop(0)
        state = states(done.trial_id)
        value: float | None = loss(done.params)
        worst = max(worst, value or 0.0)
        if state is TrialState.FAILED or (state in _LOSSLESS and done.trial_id % 8 >= 4):
            value = None
        elif state is TrialState.KILLED:
            value = worst + 1.0
        trial = ended_trial(done, state, value)
        optimizer.tell(trial)
        told.append(trial)
    return told


def ask_checked(optimizer: BaseOptimizer, trial_id: int) -> Proposal | NoProposal:
    """``optimizer.ask(trial_id)`` as the search takes the answer (numpy numbers as the Python
    numbers they hold); fails with the line a search ends with for an answer it cannot run
    (not a Proposal, another trial's id, params outside the space or not what the internal
    values decode to)."""
    answer = optimizer.ask(trial_id)
    if isinstance(answer, NoProposal):
        return answer
    try:
        return as_run(optimizer, trial_id, answer)
    except ProposalError as exc:
        raise AssertionError(str(exc)) from None


def ended_trial(proposal: Proposal, state: TrialState, loss: float | None) -> Trial:
    """The trial of ``proposal`` as it ends in ``state`` with ``loss``: a stopped trial with a
    loss carries the report it was stopped at (step 3)."""
    reports: tuple[dict[str, Any], ...] = ()
    step = None
    if state is TrialState.STOPPED and loss is not None:
        reports, step = ({"step": 3, "loss": loss},), 3
    return Trial(
        id=proposal.trial_id,
        params=proposal.params,
        internal=proposal.internal,
        state=state,
        loss=loss,
        reports=reports,
        step=step,
    )
