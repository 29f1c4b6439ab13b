"""A number with a step (``rounding``) whose bounds are off the step takes multiples of the step
only: the first and last multiple within the bounds stand in for the bounds, whatever the method
(a range without a multiple is a spec error: ``test_methods_options.py``)."""

from __future__ import annotations

import pytest

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.space import Space
from hypermax.trial import Proposal

OFF_THE_STEP = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "min": 0.03, "max": 0.97, "rounding": 0.1},
        "batch": {"type": "integer", "min": 3, "max": 98, "rounding": 16},
    },
}


def test_values_beyond_the_last_multiples_become_those_multiples() -> None:
    space = Space(OFF_THE_STEP)
    assert space.decode({"x": 0.031, "batch": 3.0}) == {"x": 0.1, "batch": 16}
    assert space.decode({"x": 0.97, "batch": 98.0}) == {"x": 0.9, "batch": 96}
    assert space.decode({"x": -4.0, "batch": 500.0}) == {"x": 0.1, "batch": 96}


@pytest.mark.parametrize("method", ["random", "evolution"])
def test_every_proposal_is_a_multiple_of_the_step(method: str) -> None:
    space = Space(OFF_THE_STEP)
    optimizer = make_optimizer(method, space, 3, {}, budget=Budget(60, 1))
    xs, batches = set(), set()
    for trial_id in range(1, 61):
        proposal = optimizer.ask(trial_id)
        assert isinstance(proposal, Proposal)
        xs.add(proposal.params["x"])
        batches.add(proposal.params["batch"])
        optimizer.tell(finished(trial_id, proposal.internal, proposal.params["x"]))
    assert xs <= {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
    assert batches <= {16, 32, 48, 64, 80, 96}


def test_the_end_multiples_are_as_likely_as_the_others() -> None:
    """hyperopt's range is widened around the end multiples, not around the bounds."""
    import hyperopt.pyll.stochastic
    import numpy as np

    space = Space({"type": "object", "properties": {"x": OFF_THE_STEP["properties"]["x"]}})
    rng = np.random.default_rng(0)
    draws = [
        space.decode(hyperopt.pyll.stochastic.sample(space.hyperopt_space(), rng=rng))["x"]
        for _ in range(1800)
    ]
    counts = [draws.count(value) for value in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)]
    assert sum(counts) == 1800
    assert max(counts) < 1.4 * min(counts)  # 200 each on average; an end used to take ~340


@pytest.mark.parametrize("method", ["random", "hyperopt_tpe"])
def test_a_log_scaled_step_samples_the_multiples_the_trial_gets(method: str) -> None:
    """hyperopt's qloguniform over [1, 1000] with step 10 drew 0 for a quarter of the trials,
    which ran 10: the optimizer learned from a value no trial had."""
    space = Space(
        {
            "type": "object",
            "properties": {
                "n": {
                    "type": "number",
                    "min": 1,
                    "max": 1000,
                    "rounding": 10,
                    "scaling": "logarithmic",
                },
                "m": {
                    "type": "integer",
                    "min": 3,
                    "max": 98,
                    "rounding": 16,
                    "scaling": "logarithmic",
                },
            },
        }
    )
    optimizer = make_optimizer(method, space, 2, {"n_startup_jobs": 5}, budget=Budget(30, 1))
    for trial_id in range(1, 31):
        proposal = optimizer.ask(trial_id)
        assert isinstance(proposal, Proposal)
        assert space.encode(proposal.params) == proposal.internal
        optimizer.tell(finished(trial_id, proposal.internal, proposal.params["n"]))
