"""The optimizer seam: ``ask`` for params, ``tell`` how a trial went."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hypermax.trial import Proposal

if TYPE_CHECKING:
    from hypermax.space import Space


def trial_seed(search_seed: int, trial_id: int) -> int:
    """The seed of one ask: a function of the search seed and the trial id only.

    So a resumed search, which rebuilds its history from the journal, proposes exactly what an
    uninterrupted one would have. It is the ``trial_id``-th draw of
    ``numpy.random.default_rng(search_seed).integers(2**31 - 1)``: the seed hyperopt's ``fmin``
    hands its n-th suggest call, so a sequential hypermax search with seed S proposes what
    ``fmin(..., rstate=default_rng(S))`` does.
    """
    import numpy as np

    draws = np.random.default_rng(search_seed).integers(2**31 - 1, size=max(trial_id, 1))
    return int(draws[-1])


class BaseOptimizer(ABC):
    """Proposes params for trials and learns from their losses.

    Subclasses implement :meth:`ask` and :meth:`tell`; :meth:`pending` lets them account for a
    running trial they did not propose (a user point, the defaults, a trial resumed after a crash).
    Losses are always minimised.

    Args:
        space: the search space.
        seed: the search seed; every ask derives its own seed from it and the trial id.
        options: the method's options from the spec (``search.tpe`` for TPE, ...).
    """

    def __init__(self, space: Space, seed: int, options: dict[str, Any] | None = None) -> None:
        self.space = space
        self.seed = seed
        self.options = dict(options or {})

    @abstractmethod
    def ask(self, trial_id: int) -> Proposal:
        """Propose params for trial ``trial_id``; the trial counts as running until told."""

    @abstractmethod
    def tell(self, trial_id: int, internal: dict[str, Any], loss: float | None) -> None:
        """Record how trial ``trial_id`` ended: its loss, or None when it failed.

        A trial the optimizer has not seen (resumed or imported) is added to its history.
        """

    def tell_many(self, history: Iterable[tuple[int, dict[str, Any], float | None]]) -> None:
        """Tell many finished trials at once (resume, warm start); subclasses may batch it."""
        for trial_id, internal, loss in history:
            self.tell(trial_id, internal, loss)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:  # noqa: B027
        """Note a running trial the optimizer did not propose. Default: nothing to do."""

    def propose(self, trial_id: int, params: dict[str, Any]) -> Proposal:
        """Run ``params`` (a user point or the defaults) as trial ``trial_id``."""
        internal = self.space.encode(params)
        self.pending(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)
