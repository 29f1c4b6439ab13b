"""The median rule stops a trial whose report is NaN or infinite (a model that diverged), as
README says of every policy, even when its best loss before it diverged beat the median."""

from __future__ import annotations

from pathlib import Path

from conftest import X_SPACE, finished_records, model_spec, run_hypermax_here

from hypermax.spec import spec_from_dict
from hypermax.stopping import EarlyStopper
from hypermax.trial import Report


def _stopper(tmp_path: Path) -> EarlyStopper:
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"name": "s", "early_stopping": {"policy": "median", "min_trials": 2}},
    }
    return EarlyStopper.for_spec(spec_from_dict(doc, tmp_path / "search.json"))


def test_a_trial_that_diverges_after_a_good_start_is_stopped(tmp_path):
    stopper = _stopper(tmp_path)
    for trial_id in (1, 2):
        for step in (1, 2, 3):
            assert not stopper.on_report(Report(trial_id, step, {"loss": 0.5})).stop
    assert not stopper.on_report(Report(3, 1, {"loss": 0.1})).stop  # better than the median
    diverged = stopper.on_report(Report(3, 2, {"loss": float("nan")}))
    assert diverged is not None and diverged.stop  # before: judged by its best, 0.1, forever
    assert diverged.reason == (
        "stopped at step 2: the loss diverged (a metric of its report is NaN or infinite)"
    )


def test_a_good_report_after_a_worse_one_is_still_judged_by_the_best(tmp_path):
    stopper = _stopper(tmp_path)
    for trial_id in (1, 2):
        for step in (1, 2):
            stopper.on_report(Report(trial_id, step, {"loss": 0.5}))
    assert not stopper.on_report(Report(3, 1, {"loss": 0.1})).stop
    standing = stopper.on_report(Report(3, 2, {"loss": 0.9}))  # worse, but finite
    assert standing is not None and not standing.stop and standing.loss == 0.1


#: at step 1: trial 1 reports 1.0, trial 2 3.0, trial 3 NaN (stopped), trial 4 2.5
DIVERGES_THIRD = """
LOSSES = {0.1: 1.0, 0.2: 3.0, 0.3: float("nan"), 0.4: 2.5}

def train(params, reporter):
    reporter(1, loss=LOSSES[params["x"]])
    return 0.5
"""


def test_a_resumed_search_weighs_a_diverged_report_as_the_uninterrupted_one(tmp_path):
    """Trial 4's 2.5 is not worse than the median of 1.0, 3.0 and the diverged trial 3's
    infinity (3.0). The journal keeps that NaN as "nan": a search resumed before trial 4 must
    still weigh it as the worst loss, not leave it out (the median of 1.0 and 3.0 is 2.0)."""
    search = {
        "name": "s",
        "iterations": 3,
        "points": [{"x": x} for x in (0.1, 0.2, 0.3, 0.4)],
        "early_stopping": {"policy": "median", "min_trials": 2},
    }
    spec = model_spec(tmp_path, DIVERGES_THIRD, search)
    assert run_hypermax_here(spec).returncode == 0
    done = run_hypermax_here(spec, "--iterations", "4")
    assert done.returncode == 0, done.stderr
    trials = finished_records(tmp_path / "results" / "s")
    assert trials[3]["state"] == "stopped"
    assert (trials[4]["state"], trials[4]["loss"]) == ("ok", 0.5)  # before: stopped, 2.5 > 2.0
