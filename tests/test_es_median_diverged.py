"""The median rule stops a trial whose report is NaN or infinite (a model that diverged), as
README says of every policy, even when its best loss before it diverged beat the median."""

from __future__ import annotations

from pathlib import Path

from conftest import X_SPACE

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
    assert diverged.reason == "stopped at step 2: loss inf worse than 0.5 (median of 2 at step 2)"


def test_a_good_report_after_a_worse_one_is_still_judged_by_the_best(tmp_path):
    stopper = _stopper(tmp_path)
    for trial_id in (1, 2):
        for step in (1, 2):
            stopper.on_report(Report(trial_id, step, {"loss": 0.5}))
    assert not stopper.on_report(Report(3, 1, {"loss": 0.1})).stop
    standing = stopper.on_report(Report(3, 2, {"loss": 0.9}))  # worse, but finite
    assert standing is not None and not standing.stop and standing.loss == 0.1
