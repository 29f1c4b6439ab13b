"""The optimizer of a space with nothing to search: every trial runs the space's one point."""

from __future__ import annotations

from hypermax.optimizers.base import BaseOptimizer
from hypermax.trial import Proposal, Trial


class FixedOptimizer(BaseOptimizer):
    """Proposes the space's one point (its constants, or ``{}``) at every ask.

    A space without a searched param has nothing else to propose: its search runs the same
    trial ``iterations`` times (a noisy training measured again and again), whatever method it
    names, save ``grid``, whose one point runs once.
    """

    def ask(self, trial_id: int) -> Proposal:
        return Proposal(trial_id, self.space.decode({}), {})

    def tell(self, trial: Trial) -> None:
        """Nothing to learn: there is one point."""
