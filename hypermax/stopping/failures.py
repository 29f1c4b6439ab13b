"""The failure most failed trials of a search share, for the line that says why it failed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from hypermax.trial import Trial, TrialState

#: the states of a trial that ran to its end (not interrupted, not running)
_ENDED = (TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED, TrialState.OK)

#: how a trial without a loss ended, in the line that says why no trial has one
_ENDED_AS = {
    TrialState.FAILED: "failed",
    TrialState.KILLED: "was killed",
    TrialState.STOPPED: "was stopped",
}

#: what a failed trial without a reason is said to have failed with
NO_REASON = "no reason recorded"
#: a number in a failure's reason
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def common_failure(trials: Iterable[Trial]) -> tuple[str, list[Trial], int] | None:
    """The reason most failed trials share: ``(reason, the trials with it, failed trials)``.

    Reasons that differ only in their numbers are one (``time limit: ran 2.01 s`` and ``ran
    2.03 s``, ``exit code 1`` and ``2``); the reason given is that of the last trial with it.
    Trials without a loss count as failed (a killed trial without ``auto_kill_loss`` too);
    interrupted and running ones do not. None when no trial failed.
    """
    failed = [t for t in trials if t.state in _ENDED and t.loss is None]
    if not failed:
        return None
    kinds = [_NUMBER.sub("#", t.reason or NO_REASON) for t in failed]
    kind, _ = Counter(kinds).most_common(1)[0]
    sharing = [t for t, k in zip(failed, kinds, strict=True) if k == kind]
    return sharing[-1].reason or NO_REASON, sharing, len(failed)


def how_they_ended(trials: Iterable[Trial]) -> str:
    """How the trials without a loss ended, for ``every trial ...``: ``failed``, ``was
    killed`` (at a limit, without ``auto_kill_loss``: killed, not failed), ``was stopped``
    (early, with no report that gave a loss), or those that apply (``failed or was killed``)."""
    states = {t.state for t in trials if t.state in _ENDED and t.loss is None}
    said = [verb for state, verb in _ENDED_AS.items() if state in states] or ["failed"]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} or {said[-1]}"
