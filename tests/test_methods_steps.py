"""A number with a step (``rounding``) whose bounds are off the step takes multiples of the step
only: the first and last multiple within the bounds stand in for the bounds, whatever the method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import quadratic

from hypermax.errors import SpecError
from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.space import Space
from hypermax.spec import spec_from_dict
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


def spec(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "hyperparameters": {"type": "object", "properties": {"x": node}},
        "function": quadratic(),
        "search": {"iterations": 3},
    }


@pytest.mark.parametrize(
    ("node", "line"),
    [
        (
            {"type": "number", "min": 3.2, "max": 3.8, "rounding": 1},
            "hyperparameters.properties.x.rounding: no multiple of 1 lies between min (3.2) "
            "and max (3.8)",
        ),
        (
            {"type": "integer", "min": 0.2, "max": 0.8},
            "hyperparameters.properties.x: no whole number lies between min (0.2) and max (0.8)",
        ),
    ],
    ids=["rounding", "integer"],
)
def test_a_range_without_a_multiple_of_its_step_is_a_spec_error(
    tmp_path: Path, node: dict[str, Any], line: str
) -> None:
    """It used to run a value outside the range (3, or 0)."""
    with pytest.raises(SpecError) as caught:
        spec_from_dict(spec(node), tmp_path / "search.json")
    assert caught.value.lines() == [f"search.json: {line}"]
