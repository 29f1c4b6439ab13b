"""The best trial is one that ran to its end: a trial stopped before it (by the search's
timeout, by early stopping) has the loss of an early report, which is not what its params
reach, and is the best only when no trial that ran to its end has a loss."""

from __future__ import annotations

import json
from pathlib import Path

from fake_trials.helpers import FAKES, finished, run_hypermax, write_spec

from hypermax.best import best_trial
from hypermax.trial import Trial, TrialState


def _trial(trial_id: int, state: TrialState, loss: float | None) -> Trial:
    return Trial(trial_id, {"x": trial_id}, {"x": trial_id}, state, loss)


def test_a_trial_stopped_early_ranks_after_every_trial_that_ran_to_its_end() -> None:
    stopped = _trial(1, TrialState.STOPPED, 0.1)
    ok = _trial(2, TrialState.OK, 0.45)
    killed = _trial(3, TrialState.KILLED, 0.9)  # auto_kill_loss: a loss the user gave it
    assert best_trial([stopped, ok, killed]) is ok
    assert best_trial([killed, stopped]) is killed
    assert best_trial([stopped, _trial(4, TrialState.FAILED, None)]) is stopped  # none ran out


def test_a_search_cut_short_by_its_timeout_names_the_trial_that_ran_to_its_end(
    tmp_path: Path,
) -> None:
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "python_function",
                "src": str(FAKES / "cut_short.py"),
                "name": "train",
                "kill_grace": 0.5,
            },
            "search": {"name": "cut", "iterations": 2, "method": "random", "timeout": 1},
        },
    )
    done = run_hypermax(spec)
    folder = tmp_path / "results" / "cut"
    trials = finished(folder)
    assert (trials[1]["state"], trials[2]["state"], trials[2]["loss"]) == ("ok", "stopped", 0.1)
    assert json.loads((folder / "best.json").read_text())["trial"] == 1
    assert "best loss 0.45 (trial 1)" in done.stdout
