"""A report whose loss is NaN or infinite (a model that diverged) is judged as the worst loss."""

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
        "search": {
            "name": "s",
            "early_stopping": {"policy": "asha", "min_steps": 1, "max_steps": 9, "min_trials": 2},
        },
    }
    return EarlyStopper.for_spec(spec_from_dict(doc, tmp_path / "search.json"))


def test_a_nan_or_infinite_report_is_stopped_where_a_bad_one_would_be(tmp_path):
    stopper = _stopper(tmp_path)
    for trial_id, loss in ((1, 0.2), (2, 0.3)):  # rung 1 holds two trials
        assert not stopper.on_report(Report(trial_id, 1, {"loss": loss})).stop
    nan = stopper.on_report(Report(3, 1, {"loss": float("nan")}))
    assert nan is not None and nan.stop  # before: not judged, and it trained to the end
    infinite = stopper.on_report(Report(4, 1, {"loss": float("inf")}))
    assert infinite is not None and infinite.stop


def test_a_report_without_the_loss_is_not_judged(tmp_path):
    stopper = _stopper(tmp_path)
    assert stopper.on_report(Report(1, 1, {"accuracy": float("nan")})) is None


def test_a_diverged_report_is_stopped_when_the_others_diverged_too(tmp_path):
    """Against a median or a rung cutoff that is itself infinite, ``inf > inf`` had let a
    diverged trial train to its end."""
    stopper = _stopper(tmp_path)
    for trial_id in (1, 2):
        stopper.on_report(Report(trial_id, 1, {"loss": float("inf")}))
    judged = stopper.on_report(Report(3, 1, {"loss": float("nan")}))
    assert judged is not None and judged.stop
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"name": "s", "early_stopping": {"policy": "median", "min_trials": 2}},
    }
    median = EarlyStopper.for_spec(spec_from_dict(doc, tmp_path / "search.json"))
    for trial_id in (1, 2):
        median.on_report(Report(trial_id, 1, {"loss": float("inf")}))
    judged = median.on_report(Report(3, 1, {"loss": float("inf")}))
    assert judged is not None and judged.stop


def test_a_diverged_trial_is_recorded_as_diverged_not_as_a_loss_worse_than_infinity(tmp_path):
    """Against others that diverged too, the reason read ``loss inf worse than inf (median of 3
    at step 1)``: a comparison that says nothing of why the trial stopped."""
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"name": "s", "early_stopping": {"policy": "median", "min_trials": 2}},
    }
    median = EarlyStopper.for_spec(spec_from_dict(doc, tmp_path / "search.json"))
    for trial_id in (1, 2):
        median.on_report(Report(trial_id, 1, {"loss": float("inf")}))
    against_infinity = median.on_report(Report(3, 1, {"loss": float("nan")}))
    for trial_id, loss in ((4, 0.1), (5, 0.2), (6, 0.3), (7, 0.4)):
        median.on_report(Report(trial_id, 1, {"loss": loss}))
    against_a_loss = median.on_report(Report(8, 1, {"loss": float("inf")}))
    assert against_a_loss is not None and against_a_loss.bar == 0.4
    asha = _stopper(tmp_path)
    for trial_id, loss in ((1, 0.2), (2, 0.3)):
        asha.on_report(Report(trial_id, 1, {"loss": loss}))
    at_a_rung = asha.on_report(Report(3, 1, {"loss": float("nan")}))
    for standing in (against_infinity, against_a_loss, at_a_rung):
        assert standing is not None and standing.stop
        assert "worse than" not in standing.reason
        assert standing.reason.startswith(f"stopped at step {standing.step}: the loss diverged")
