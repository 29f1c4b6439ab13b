"""Concluding a trial and the search's stop rules: pure functions, checked by their values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES

from hypermax.conclude import conclude
from hypermax.spec import Spec, spec_from_dict
from hypermax.stopping import search_stop_reason
from hypermax.trial import KillReason, Outcome, Trial, TrialState


def spec(tmp_path: Path, **sections: Any) -> Spec:
    doc: dict[str, Any] = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "quadratic.py"),
            "name": "train",
        },
        **sections,
    }
    return spec_from_dict(doc, tmp_path / "search.json")


RUNNING = Trial(7, {"x": 1}, {"x": 0}, started_at=100.0)


def reported(*reports: dict[str, Any]) -> Trial:
    return Trial(7, {"x": 1}, {"x": 0}, started_at=100.0, reports=reports)


def test_an_ok_result_gets_the_composite_loss_and_keeps_the_rest_as_metadata(tmp_path):
    metrics = {"auc": {"min": 0.5, "max": 1.0, "direction": "increase"}}
    result = {"auc": 0.9, "note": "kept", "reason": "converged"}  # a reason beside no failure
    outcome = Outcome(7, TrialState.OK, result=result, wall_time=2.0, ended_at=105.0)
    trial = conclude(RUNNING, outcome, spec(tmp_path, metrics=metrics))
    assert trial.state is TrialState.OK
    assert trial.loss == pytest.approx(0.2)
    assert trial.loss_terms == {"auc": pytest.approx(0.2)}
    assert trial.metrics == {"auc": 0.9}
    assert trial.metadata == {"note": "kept", "reason": "converged"}
    assert trial.time == 2.0 and trial.ended_at == 105.0


def test_a_stopped_trial_with_direction_max_gets_the_negated_metric_of_its_last_report(tmp_path):
    search = {"direction": "max", "metric": "accuracy"}
    last = reported({"step": 1, "accuracy": 0.5}, {"step": 2, "accuracy": 0.8})
    outcome = Outcome(7, TrialState.STOPPED, kill_reason=KillReason.EARLY_STOP, wall_time=3.0)
    trial = conclude(last, outcome, spec(tmp_path, search=search))
    assert trial.state is TrialState.STOPPED
    assert trial.loss == pytest.approx(-0.8)  # minimised: the sign of a maximised metric flips
    assert trial.metrics == {"accuracy": 0.8}


def test_a_stopped_trial_keeps_what_its_report_carries_beside_the_metrics_as_metadata(tmp_path):
    """As a finished trial keeps what its result carries beside the metrics: before, the
    report's every value was a metric (a text, a list: a column of their own in results.csv
    for stopped trials alone)."""
    last = reported({"step": 2, "loss": 0.8, "phase": "warmup", "lrs": [0.1, 0.2]})
    trial = conclude(last, Outcome(7, TrialState.STOPPED), spec(tmp_path))
    assert trial.loss == pytest.approx(0.8)
    assert trial.metrics == {"loss": 0.8}
    assert trial.metadata == {"phase": "warmup", "lrs": [0.1, 0.2]}


def test_a_stopped_trial_goes_through_weighted_metrics_like_a_finished_one(tmp_path):
    metrics = {
        "acc": {"min": 0.0, "max": 1.0, "direction": "increase", "weight": 2},
        "time": {"type": "time", "target_time": 1, "max_time": 3, "penalty_at_max": 0.5},
    }
    last = reported({"step": 4, "acc": 0.75, "time": 2.0})
    outcome = Outcome(7, TrialState.STOPPED, wall_time=9.0)
    trial = conclude(last, outcome, spec(tmp_path, metrics=metrics))
    # acc: 2 * (1 - 0.75) = 0.5; time (the report's): 0.5 * ((2 - 1) / (3 - 1))**2 = 0.125
    assert trial.loss == pytest.approx(0.625)
    assert trial.loss_terms == {"acc": pytest.approx(0.5), "time": pytest.approx(0.125)}


def test_a_stopped_trial_has_the_loss_its_last_report_was_weighed_at(tmp_path):
    """A report that carries no time is weighed without a time term, and that loss, the one
    the stop's reason names, is the stopped trial's: not one with its wall time and peak RSS
    added, which no report had."""
    from hypermax.stopping import EarlyStopper

    metrics = {
        "acc": {"min": 0.0, "max": 1.0, "direction": "increase"},
        "time": {"type": "time", "target_time": 1, "max_time": 3, "penalty_at_max": 0.5},
        "ram": {"type": "ram", "target": 10, "max": 20, "penalty_at_max": 1},
    }
    doc = spec(tmp_path, metrics=metrics)
    last = reported({"step": 4, "acc": 0.75})
    outcome = Outcome(7, TrialState.STOPPED, wall_time=2.0, peak_rss_mib=15.0)
    trial = conclude(last, outcome, doc)
    weighed = EarlyStopper.for_spec(doc).loss_of({"acc": 0.75})
    assert trial.loss == pytest.approx(0.25) == weighed


def test_a_stopped_trial_whose_report_has_no_usable_loss_has_none(tmp_path):
    trial = conclude(
        reported({"step": 1, "other": 3}), Outcome(7, TrialState.STOPPED), spec(tmp_path)
    )
    assert trial.state is TrialState.STOPPED and trial.loss is None
    assert conclude(RUNNING, Outcome(7, TrialState.STOPPED), spec(tmp_path)).loss is None


def test_a_killed_trial_gets_auto_kill_loss_or_no_loss(tmp_path):
    killed = Outcome(7, TrialState.KILLED, reason="time limit", kill_reason=KillReason.TIME)
    with_loss = spec(tmp_path)
    doc = dict(with_loss.raw)
    doc["function"] = {**doc["function"], "auto_kill_loss": 3.5}
    assert conclude(RUNNING, killed, with_loss).loss is None
    trial = conclude(RUNNING, killed, spec_from_dict(doc, tmp_path / "search.json"))
    assert trial.loss == 3.5 and trial.kill_reason == "time" and trial.reason == "time limit"


@pytest.mark.parametrize(
    "result, reason",
    [
        ({"status": "fail", "reason": "diverged"}, "diverged"),
        ({"status": "FAILED"}, "the trial said it failed"),
        ({"loss": float("nan")}, "loss is nan"),
        (
            {"other": 1},
            'the result has no "loss" (it returned "other"); to use one of those, '
            "set search.metric and search.direction, or add a metrics section "
            '(hypermax.optimize: metrics="other" or "other:max")',
        ),
    ],
)
def test_a_result_without_a_usable_loss_fails_the_trial(tmp_path, result, reason):
    trial = conclude(RUNNING, Outcome(7, TrialState.OK, result=result), spec(tmp_path))
    assert trial.state is TrialState.FAILED and trial.loss is None and trial.reason == reason


def test_a_returned_time_replaces_the_measured_one(tmp_path):
    outcome = Outcome(7, TrialState.OK, result={"loss": 1.0, "time": 0.25}, wall_time=9.0)
    assert conclude(RUNNING, outcome, spec(tmp_path)).time == 0.25


def test_stop_rules(tmp_path):
    search = spec(tmp_path, search={"timeout": 10, "loss_threshold": 0.1}).search
    assert search_stop_reason(search, elapsed=9.9, best_loss=0.2) is None
    assert search_stop_reason(search, elapsed=10.0, best_loss=None) == "timeout of 10 s"
    assert search_stop_reason(search, elapsed=1.0, best_loss=0.1) == "loss threshold 0.1 reached"
    assert search_stop_reason(spec(tmp_path).search, elapsed=1e9, best_loss=-1e9) is None
