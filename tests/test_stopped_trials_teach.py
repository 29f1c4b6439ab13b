"""What a trial stopped early teaches the TPE method: the loss of its last report, at its step,
ranked after every trial that ran to its end (Optuna's pruned trials)."""

from __future__ import annotations

from typing import Any

from hypermax.optimizers import make_optimizer
from hypermax.space import Space
from hypermax.testing import drive
from hypermax.trial import Proposal, Trial, TrialState

SPACE = Space({"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}})


def _history() -> list[Trial]:
    """Trials that ran to their end near x = 0.9 (loss about 1) and trials stopped early near
    x = 0.1 whose last reports had lower losses (0.1): a loss after a few steps is not
    comparable with one at the end, and the stopped ones were judged worse at their step."""
    trials = []
    for i in range(1, 21):
        stopped = i % 2 == 0
        x = 0.05 + 0.01 * i if stopped else 0.8 + 0.01 * i
        state = TrialState.STOPPED if stopped else TrialState.OK
        loss = 0.1 if stopped else 1.0 + 0.01 * i
        trials.append(
            Trial(i, {"x": x}, {"x": x}, state=state, loss=loss, step=3 if stopped else None)
        )
    return trials


def _next_xs(history: list[Trial], asks: int = 10) -> list[float]:
    optimizer = make_optimizer("tpe", SPACE, seed=1, options={"n_startup_jobs": 5})
    optimizer.tell_many(history)
    xs = []
    for trial_id in range(len(history) + 1, len(history) + 1 + asks):
        proposal = optimizer.ask(trial_id)
        assert isinstance(proposal, Proposal)
        xs.append(proposal.params["x"])
        optimizer.tell(Trial(trial_id, proposal.params, proposal.internal, loss=1.5))
    return xs


def test_tpe_models_trials_that_ran_to_their_end_as_the_good_ones():
    xs = _next_xs(_history())
    assert sum(x > 0.5 for x in xs) >= 8, xs
    # the same history told as trials that ran to their end: the low losses near 0.1 lead
    ended = [
        Trial(t.id, t.params, t.internal, loss=t.loss) if t.state is TrialState.STOPPED else t
        for t in _history()
    ]
    assert sum(x < 0.5 for x in _next_xs(ended)) >= 8


def test_a_history_with_stopped_trials_told_afterwards_gives_the_live_next_proposal():
    def loss(params: dict[str, Any]) -> float:
        return (params["x"] - 0.3) ** 2

    def state(trial_id: int) -> TrialState:
        return TrialState.STOPPED if trial_id % 3 == 0 else TrialState.OK

    live = make_optimizer("tpe", SPACE, seed=4, options={"n_startup_jobs": 4})
    history = drive(live, 14, loss, states=state)
    assert any(t.state is TrialState.STOPPED and t.step == 3 for t in history)
    rebuilt = make_optimizer("tpe", SPACE, seed=4, options={"n_startup_jobs": 4})
    rebuilt.tell_many(history)
    assert rebuilt.ask(15) == live.ask(15)
