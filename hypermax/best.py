"""Which trial is the best: the lowest loss, of equal losses the first to reach it, a trial cut
short only when none ran to its end. Every view (the progress line, ``best.json``, ``show``, the
dashboard, the charts) asks here, so that they agree."""

from __future__ import annotations

import math
from collections.abc import Iterable

from hypermax.trial import Trial, TrialState

#: the states of a trial whose loss is that of a report before its end
CUT_SHORT = frozenset({TrialState.STOPPED, TrialState.INTERRUPTED})


def best_trial(trials: Iterable[Trial]) -> Trial | None:
    """The trial with the lowest loss; None when none has a loss. Of trials with the same
    loss, the one that reached it first: the first to end (an imported trial before those run
    here, whose ends the journal records; by id where it records none), so the best a search
    shows as its trials end stays the best when a trial started before it ends later with that
    loss.

    A trial stopped before its end (early stopping, the search's timeout) has the loss of its
    last report, a step short of what it would have reached: it is the best only when no trial
    that ran to its end has a loss, as Optuna ranks a pruned trial after every complete one."""
    best, best_key = None, None
    for trial in trials:  # a loop, not min() over a generator: replay asks of two, 50,000 times
        loss = trial.loss
        if loss is None or math.isnan(loss) or not trial.state.finished:
            continue
        key = (trial.state in CUT_SHORT, loss, ended_order(trial), trial.id)
        if best_key is None or key < best_key:
            best, best_key = trial, key
    return best


def ended_order(trial: Trial) -> float:
    """When ``trial`` ended, for the order of trials with the same loss: -inf where not known
    (imported; a journal without the time)."""
    return -math.inf if trial.ended_at is None else trial.ended_at
