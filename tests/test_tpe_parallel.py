"""``tpe`` with trials running in parallel: each running trial counts at the mean loss of the
finished trials nearest to it (a believer), not among the bad ones (Optuna's constant liar)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
from conftest import X_SPACE, run_hypermax_here
from fake_trials.helpers import fake, write_spec

from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import BaseOptimizer, Budget
from hypermax.optimizers.tpe_parallel import NEIGHBOURS
from hypermax.space import Space
from hypermax.testing import drive
from hypermax.trial import Proposal, Trial, TrialState

LINE = Space({"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}})
#: finished trials before the concurrent ask: 21 and 24 give the same count of good trials
#: (gamma 0.15: 4 of either), so three trials running or finished split alike
HISTORY = 21


def valley(params: dict[str, Any]) -> float:
    return (params["x"] - 0.3) ** 2


def searched(**options: Any) -> tuple[BaseOptimizer, list[Trial]]:
    opt = make_optimizer("tpe", LINE, 5, {"n_startup_jobs": 5, **options}, Budget(60, 4))
    return opt, drive(opt, HISTORY, valley)


def believed_loss(told: list[Trial], x: float) -> float:
    """The mean loss of the finished trials nearest to ``x`` (the unit cube is [0, 1] here)."""
    nearest = sorted(told, key=lambda t: abs(t.params["x"] - x))[:NEIGHBOURS]
    return statistics.fmean(t.loss for t in nearest if t.loss is not None)


@pytest.mark.parametrize("where", ["best", "worst"])
def test_a_running_trial_teaches_what_it_would_finished_at_its_neighbours_loss(
    where: str,
) -> None:
    """Three trials running at the best point (or the worst) lead to the proposal that the same
    three finished at the mean loss of their nearest finished trials lead to: near the best
    they count as good. Optuna's constant liar (``running_trials: worst``) counts them as
    failed, whatever their neighbours: the proposal it makes is the one of the three finished
    without a loss, and differs where they run near the best."""
    opt, told = searched()
    pick = min if where == "best" else max
    at = pick(told, key=lambda t: t.loss if t.loss is not None else 0.0)
    running_ids = range(HISTORY + 1, HISTORY + 4)
    for trial_id in running_ids:
        opt.pending(trial_id, dict(at.internal))
    asked = opt.ask(HISTORY + 4)

    def after_three_finished(loss: float | None, **options: Any) -> Proposal:
        other, _ = searched(**options)
        state = TrialState.OK if loss is not None else TrialState.FAILED
        for trial_id in running_ids:
            other.pending(trial_id, dict(at.internal))
            other.tell(
                Trial(
                    id=trial_id,
                    params=dict(at.params),
                    internal=dict(at.internal),
                    state=state,
                    loss=loss,
                )
            )
        answer = other.ask(HISTORY + 4)
        assert isinstance(answer, Proposal)
        return answer

    assert isinstance(asked, Proposal)
    assert asked.params == after_three_finished(believed_loss(told, at.params["x"])).params
    liar, _ = searched(running_trials="worst")
    for trial_id in running_ids:
        liar.pending(trial_id, dict(at.internal))
    lied = liar.ask(HISTORY + 4)
    assert isinstance(lied, Proposal)
    assert lied.params == after_three_finished(None, running_trials="worst").params
    assert (lied.params != asked.params) is (where == "best")


def test_one_trial_at_a_time_proposes_as_optunas_constant_liar_does() -> None:
    """With nothing else running the believer changes nothing: the same proposals, trial by
    trial, as ``running_trials: worst`` (Optuna's own sampler)."""

    def proposals(**options: Any) -> list[dict[str, Any]]:
        opt = make_optimizer("tpe", LINE, 3, {"n_startup_jobs": 5, **options}, Budget(30, 1))
        return [t.params for t in drive(opt, 30, valley)]

    assert proposals() == proposals(running_trials="worst")


@pytest.mark.parametrize("running_trials", ["worst", "sampled"])
def test_running_trials_is_predicted_or_worst_and_anything_else_is_refused_in_one_line(
    tmp_path: Path, running_trials: str
) -> None:
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"iterations": 1, "tpe": {"running_trials": running_trials}},
        },
    )
    done = run_hypermax_here(spec)
    if running_trials == "worst":
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f'{spec.name}: search.tpe.running_trials: must be one of predicted or worst, got "sampled"'
    )


def test_optunas_own_warnings_go_to_hypermax_log_not_the_terminal(caplog, capfd):
    import logging

    import optuna

    from hypermax.optimizers.optuna_quiet import quiet_optuna

    programs: list[str] = []  # a handler the program added to Optuna's logger

    class Program(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            programs.append(record.getMessage())

    program = Program()
    logging.getLogger("optuna").addHandler(program)
    handlers, level = logging.getLogger("optuna").handlers[:], logging.getLogger("optuna").level
    with quiet_optuna(), caplog.at_level(logging.WARNING, logger="hypermax"):
        optuna.logging.get_logger("optuna._gp.optim_mixed").warning("falling back, slower")
    ours = [r.getMessage() for r in caplog.records if r.name == "hypermax"]
    assert ours == ["optuna: falling back, slower"]
    assert programs == ["falling back, slower"]
    assert "falling back" not in capfd.readouterr().err  # not over the dashboard's screen
    # left as found, for a program that called hypermax.optimize and uses Optuna itself
    assert logging.getLogger("optuna").handlers == handlers
    assert logging.getLogger("optuna").level == level
    logging.getLogger("optuna").removeHandler(program)
