"""A search stopped while a trial ran, resumed: the optimizer proposes what an unbroken one would.

On resume the finished trials are told in one ``tell_many``, the trial that was running runs
again with its id and params (noted with ``pending``, then told when it ends), and only then is
the optimizer asked for the next trial, which must be the one the unbroken search asked for.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.space import Space
from hypermax.trial import Proposal, Trial

SPACE = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "min": 0, "max": 1, "grid_points": 5, "default": 0.5},
        "y": {"type": "integer", "min": -3, "max": 3},
    },
}


def loss(params: dict[str, Any]) -> float:
    return (params["x"] - 0.3) ** 2 + abs(params["y"]) * 0.01


def needs(package: str) -> pytest.MarkDecorator:
    missing = importlib.util.find_spec(package) is None
    return pytest.mark.skipif(missing, reason=f"needs {package}")


@pytest.mark.parametrize(
    "method",
    [
        "tpe",
        "hyperopt_tpe",
        "random",
        "anneal",
        "cmaes",
        "evolution",
        "grid",
        pytest.param("ngopt", marks=needs("nevergrad")),
    ],
)
def test_a_trial_running_at_the_stop_runs_again_and_the_next_proposal_is_unchanged(
    method: str,
) -> None:
    space = Space(SPACE)
    options = {"n_startup_jobs": 2} if method in ("tpe", "hyperopt_tpe") else {}

    def optimizer() -> Any:
        return make_optimizer(method, space, 7, options, budget=Budget(9, 1))

    live = optimizer()
    defaults = space.defaults()
    assert defaults is not None
    told: list[Trial] = []
    for trial_id in range(1, 7):  # trial 1 runs the defaults, as in a new search
        if trial_id == 1:
            proposal = live.propose(1, defaults)
        else:
            answer = live.ask(trial_id)
            assert isinstance(answer, Proposal)
            proposal = answer
        trial = finished(trial_id, proposal.internal, loss(proposal.params))
        live.tell(trial)
        told.append(trial)
    wanted = live.ask(7)

    resumed = optimizer()  # stopped while trial 5 ran: trials 1 to 4 are in the journal
    resumed.tell_many(told[:4])
    resumed.pending(5, told[4].internal)
    resumed.tell(told[4])
    sixth = resumed.ask(6)
    assert isinstance(sixth, Proposal) and sixth.internal == told[5].internal
    resumed.tell(told[5])
    seventh = resumed.ask(7)
    assert isinstance(seventh, Proposal) and isinstance(wanted, Proposal)
    assert seventh.params == wanted.params
