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

from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import BaseOptimizer, Budget, trial_seed
from hypermax.optimizers.dimensions import dimensions
from hypermax.optimizers.history import History
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    import numpy as np
    from cmaes import CMA

    from hypermax.space import Space


class CMAESOptimizer(BaseOptimizer):
    """Covariance matrix adaptation evolution strategy.

    Best on continuous spaces, ill-conditioned ones included; a choice is searched as a slice of
    [0, 1], and a leaf a trial did not use (another branch) counts as the mean. A failed trial
    counts as the worst loss of the generations learned so far. Options (``search.cmaes``):
    ``popsize`` (trials per generation, default ``4 + 3 ln(dimensions)``), ``sigma0`` (initial
    step size on the unit cube, default 1/6, as Optuna's CmaEsSampler).
    """

    def __init__(
        self,
        space: Space,
        seed: int,
        options: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        super().__init__(space, seed, options, budget)
        self.dimensions = dimensions(space)
        self.history = History()
        self._cma: CMA | None = None
        self._learned: list[int] = []  # ids of the trials the strategy has learned, in order
        self._worst: float | None = None

    # -- the seam ---------------------------------------------------------------------------
    def ask(self, trial_id: int) -> Proposal:
        cma = self._current()
        cma.reseed_rng(trial_seed(self.seed, trial_id))
        x = cma.ask()
        internal: dict[str, Any] = {}
        for i, dim in enumerate(self.dimensions):
            if dim.leaf.active(internal):
                internal[dim.label] = dim.from_unit(x[i])
        self.history.note(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        self.history.note(trial_id, internal)

    def tell(self, trial: Trial) -> None:
        self.history.finish(trial)

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
        return CMA(
            mean=np.full(n, 0.5),
            sigma=float(self.options.get("sigma0", 1 / 6)),
            bounds=np.array([[0.0, 1.0]] * n),
            seed=self.seed % (2**31),
            population_size=int(popsize) if popsize else None,
        )

    def _solutions(self, cma: CMA, generation: list[int]) -> list[tuple[np.ndarray, float]]:
        import numpy as np

        losses = [self.history.finished[i][1] for i in generation]
        known = [loss for loss in losses if loss is not None]
        if known:
            self._worst = max([*known, *([] if self._worst is None else [self._worst])])
        bad = 0.0 if self._worst is None else self._worst
        out = []
        for trial_id, loss in zip(generation, losses, strict=True):
            internal, _ = self.history.finished[trial_id]
            x = np.array(cma.mean, dtype=float)
            for i, dim in enumerate(self.dimensions):
                if dim.label in internal and dim.leaf.active(internal):
                    x[i] = dim.to_unit(internal[dim.label])
            out.append((x, bad if loss is None else loss))
        return out
