"""tpe on integers beyond 2**52: Optuna's TPE weighs an integer by the mass of its kernels
between ``k - 0.5`` and ``k + 0.5``, which are one float there (its spacing is 1 from 2**52,
2 from 2**53), so that mass is zero, the logarithm of it minus infinity and the acquisition NaN:
the model picked among its candidates at random. Such an integer is searched as a continuous
count, rounded, as ``gp`` searches one of more than 65,536 steps."""

from __future__ import annotations

import warnings

import pytest

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget
from hypermax.space import Space
from hypermax.testing.driving import drive

HIGH = 10**18


@pytest.mark.parametrize(
    "node",
    [
        {"type": "integer", "min": 0, "max": HIGH},
        {"type": "integer", "min": 2**53, "max": 2**53 + 2**20},
        {"type": "integer", "min": -HIGH, "max": -(2**52), "rounding": 4},
    ],
)
def test_tpe_models_integers_past_2_to_the_52(node: dict[str, object]) -> None:
    space = Space({"type": "object", "properties": {"n": node}})
    low, high = float(node["min"]), float(node["max"])  # type: ignore[arg-type]
    optimizer = make_optimizer("tpe", space, 1, {"n_startup_jobs": 3}, budget=Budget(12, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NaN acquisition: log(0), inf - inf
        told = drive(optimizer, 12, lambda params: (params["n"] - low) / (high - low))
    assert len(told) == 12
    for trial in told:
        assert isinstance(trial.params["n"], int) and low <= trial.params["n"] <= high
