"""An example plugin optimizer: random points first, then steps around the best trial so far.

Use it with ``"method": "local_search:LocalSearch"`` in a spec beside this file (a plugin is
imported from the spec's folder), with options under ``"local_search:LocalSearch": {...}``.
``test_local_search.py`` runs hypermax's optimizer contract against it.
"""

from __future__ import annotations

import random
from typing import Any

from hypermax.optimizers import BaseOptimizer, trial_seed
from hypermax.space import UnitCube
from hypermax.trial import Proposal, Trial


class LocalSearch(BaseOptimizer):
    """Local search on the space's unit cube.

    The first ``startup`` trials (default 10) are uniform random points; every later one is a
    Gaussian step of ``step`` (default 0.1, a fraction of each range) from the best trial so far.
    Each ask draws from ``trial_seed(seed, trial_id)`` and the best trial depends only on the
    trials told, so a resumed search proposes what an unbroken one would have.
    """

    def setup(self) -> None:
        self.cube = UnitCube(self.space)
        self.startup = int(self.options.get("startup", 10))
        self.step = float(self.options.get("step", 0.1))
        if not self.step > 0:  # a ValueError here is the spec's mistake, named at its options
            raise ValueError(f"step must be positive, got {self.options['step']}")
        self.told = 0
        self.best: tuple[float, int, dict[str, Any]] | None = None  # loss, trial id, internal

    def ask(self, trial_id: int) -> Proposal:
        rng = random.Random(trial_seed(self.seed, trial_id))
        if self.best is None or self.told < self.startup:
            vector = [rng.random() for _ in range(self.cube.dims)]
        else:
            centre = self.cube.vector(self.best[2], fill=[0.5] * self.cube.dims)
            vector = [rng.gauss(x, self.step) for x in centre]  # the cube clips to [0, 1]
        internal = self.cube.internal(vector)
        return Proposal(trial_id, self.space.decode(internal), internal)

    def tell(self, trial: Trial) -> None:
        self.told += 1
        if trial.loss is None:
            return  # failed, or killed without auto_kill_loss
        if self.best is None or (trial.loss, trial.id) < self.best[:2]:
            self.best = (trial.loss, trial.id, trial.internal)
