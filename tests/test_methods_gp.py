"""gp on integers with a huge range: Optuna's Gaussian process lists every step of an integer
parameter, so one with more than ``GPOptimizer.most_steps`` steps is searched as a continuous
step count, rounded."""

from __future__ import annotations

import importlib.util

import pytest

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.space import Space
from hypermax.trial import Proposal

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="gp needs torch")

HUGE = {
    "type": "object",
    "properties": {
        "n": {"type": "integer", "min": 1, "max": 1e12, "scaling": "logarithmic"},
        "seed": {"type": "integer", "min": 0, "max": 1e10},
        "units": {"type": "integer", "min": 16, "max": 4096, "rounding": 16},
    },
}


def test_gp_proposes_integers_of_a_range_of_a_trillion() -> None:
    """The first Gaussian-process ask used to allocate an array of every step (7 TiB)."""
    space = Space(HUGE)
    optimizer = make_optimizer("gp", space, 1, {"n_startup_jobs": 2}, budget=Budget(3, 1))
    for trial_id in range(1, 4):
        proposal = optimizer.ask(trial_id)
        assert isinstance(proposal, Proposal)
        n, seed, units = (proposal.params[key] for key in ("n", "seed", "units"))
        assert all(isinstance(value, int) for value in (n, seed, units))
        assert 1 <= n <= 10**12 and 0 <= seed <= 10**10
        assert 16 <= units <= 4096 and units % 16 == 0  # few steps: still listed
        loss = abs(n - 1000) / 1e12 + seed / 1e10
        optimizer.tell(finished(trial_id, proposal.internal, loss))
