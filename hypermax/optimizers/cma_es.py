"""CMA-ES (the ``cmaes`` package) over the unit cube of the space.

Every leaf is a coordinate in [0, 1] (:meth:`Dimension.from_unit`): a number on its own scale
(logarithmic where the spec says so, on its steps where it has them), a choice by the slice of
[0, 1] its index falls in. The evolution strategy learns from the finished trials in the order
of their ids, a generation (``popsize`` trials) at a time, up to the oldest trial still running:
so its state is a function of what it was told, a resumed search rebuilds it exactly, and the
trials of one generation may run in parallel. Each ask samples the current distribution with
the seed of its trial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypermax.optimizers.base import trial_seed
from hypermax.optimizers.history import HistoryOptimizer
from hypermax.trial import Proposal

if TYPE_CHECKING:
    import numpy as np
    from cmaes import CMA


class CMAESOptimizer(HistoryOptimizer):
    """Covariance matrix adaptation evolution strategy.

    Best on continuous spaces, ill-conditioned ones included; a choice is searched as a slice of
    [0, 1], and a leaf a trial did not use (another branch) counts as the mean. A failed trial
    counts as the worst loss of the generations learned so far. Options (``search.cmaes``):
    ``popsize`` (trials per generation, default ``4 + 3 ln(dimensions)``), ``sigma0`` (initial
    step size on the unit cube, default 1/6, as Optuna's CmaEsSampler).
    """

    def setup(self) -> None:
        super().setup()
        self._cma: CMA | None = None
        self._learned: list[int] = []  # ids of the trials the strategy has learned, in order
        self._worst: float | None = None

    # -- the seam ---------------------------------------------------------------------------
    def ask(self, trial_id: int) -> Proposal:
        cma = self._current()
        cma.reseed_rng(trial_seed(self.seed, trial_id))
        return self.proposal(trial_id, self.from_unit_cube(cma.ask()))

    # -- the strategy -----------------------------------------------------------------------
    def _current(self) -> CMA:
        """The strategy after every whole generation of the finished trials that precede the
        oldest running one."""
        ready = self._ready()
        if self._cma is None or ready[: len(self._learned)] != self._learned:
            self._cma, self._learned, self._worst = self._start(), [], None
        cma = self._cma
        popsize = cma.population_size
        while len(ready) - len(self._learned) >= popsize:
            generation = ready[len(self._learned) : len(self._learned) + popsize]
            cma.tell(self._solutions(cma, generation))
            self._learned.extend(generation)
        return cma

    def _ready(self) -> list[int]:
        """Ids of finished trials in order, up to the oldest running trial."""
        oldest_running = min(self.history.running, default=None)
        return sorted(
            i for i in self.history.finished if oldest_running is None or i < oldest_running
        )

    def _start(self) -> CMA:
        import numpy as np
        from cmaes import CMA

        n = max(len(self.dimensions), 1)
        popsize = self.options.get("popsize")
        # a popsize of 2 or 3 has one parent: the package's rank-mu learning rate is 0, and
        # its set-up divides by it on the way to a min() that the other terms settle (the
        # strategy learns by its rank-one update alone); numpy's warning of it is no news
        with np.errstate(divide="ignore"):
            return CMA(
                mean=np.full(n, 0.5),
                sigma=float(self.options.get("sigma0", 1 / 6)),
                bounds=np.array([[0.0, 1.0]] * n),
                seed=self.seed % (2**31),
                population_size=int(popsize) if popsize else None,
            )

    def _solutions(self, cma: CMA, generation: list[int]) -> list[tuple[np.ndarray, float]]:
        losses = [self.history.finished[i][1] for i in generation]
        known = [loss for loss in losses if loss is not None]
        if known:
            self._worst = max([*known, *([] if self._worst is None else [self._worst])])
        bad = 0.0 if self._worst is None else self._worst
        out = []
        for trial_id, loss in zip(generation, losses, strict=True):
            internal, _ = self.history.finished[trial_id]
            x = self.to_unit_cube(internal, fill=cma.mean)
            out.append((x, bad if loss is None else loss))
        return out
