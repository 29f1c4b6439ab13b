"""When a search, or one of its trials, should stop: pure decisions, no clocks or processes.

The driver asks :func:`search_stop_reason` at every turn of its loop with the time spent and
the best loss so far, and :func:`failing_start_reason` whether a search whose trials all fail
should go on (:mod:`.search_end`); :func:`common_failure` says what most failed trials share
(:mod:`.failures`). Everything they need is passed in, so the rules are tested as plain
functions.

Early stopping (``search.early_stopping``) judges running trials from their reports. Each report
becomes one loss, the spec's composite loss of the metrics it carries (so ``direction: max`` and
weighted metrics count as they do for a finished trial), and a :class:`StoppingPolicy` says where
the trial stands against the other trials' curves:

- ``median`` (:class:`MedianRule`): at step s, a trial whose best loss so far (or whose report
  diverged: an infinite loss) is worse than the median of the other trials' losses at s is
  stopped, once ``min_trials`` others have reached s and s is at least ``grace_steps``;
- ``asha`` (:class:`Asha`): rungs at ``min_steps * eta**k`` below ``max_steps`` (``min_steps``
  defaults to ``max_steps // eta**2``, see :attr:`EarlyStopping.first_rung`); a trial reaching a
  rung goes on if its loss there is among the best ``1/eta`` of all losses recorded at that rung
  so far (at least the best one), else it is stopped. No trial waits for a bracket to fill; a
  rung with fewer than ``min_trials`` other trials lets every trial through.

A trial is judged at every report, in the order the reports arrive (there is no timer), and a
policy's state is nothing but the curves it was shown: replaying a journal's reports rebuilds it,
so a resumed search stops the trials the uninterrupted one would have.

The rule as the spec states it is :mod:`.rule`; a trial's curve :mod:`.curve`; what a policy
says :mod:`.standing`; the policies :mod:`.policy` (their seam), :mod:`.median`, :mod:`.asha`;
what the driver calls on each report :mod:`.stopper`.
"""

from __future__ import annotations

from hypermax.stopping.asha import Asha
from hypermax.stopping.curve import Curve
from hypermax.stopping.failures import NO_REASON, common_failure, how_they_ended
from hypermax.stopping.median import MedianRule
from hypermax.stopping.policy import StoppingPolicy, worse
from hypermax.stopping.rule import EarlyStopping
from hypermax.stopping.search_end import (
    DISK_FULL,
    EXHAUSTED,
    FOLDER_TAKEN,
    INTERRUPTED,
    ITERATIONS_DONE,
    JOURNAL_UNWRITABLE,
    OUT_OF_FILES,
    failing_start_reason,
    search_stop_reason,
)
from hypermax.stopping.standing import Standing
from hypermax.stopping.stopper import POLICIES, EarlyStopper, LossOf, make_policy

__all__ = [
    "DISK_FULL",
    "EXHAUSTED",
    "FOLDER_TAKEN",
    "INTERRUPTED",
    "ITERATIONS_DONE",
    "JOURNAL_UNWRITABLE",
    "NO_REASON",
    "OUT_OF_FILES",
    "POLICIES",
    "Asha",
    "Curve",
    "EarlyStopper",
    "EarlyStopping",
    "LossOf",
    "MedianRule",
    "Standing",
    "StoppingPolicy",
    "common_failure",
    "failing_start_reason",
    "how_they_ended",
    "make_policy",
    "search_stop_reason",
    "worse",
]
