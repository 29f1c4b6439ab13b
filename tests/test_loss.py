"""The composite loss, pinned to numbers (DESIGN §2.4)."""

from __future__ import annotations

import math

import pytest

from hypermax.loss import LossError, compute_loss, time_penalty
from hypermax.spec import MetricSpec

TIME = MetricSpec("time", type="time", target_time=5, max_time=10, penalty_at_max=0.1)


@pytest.mark.parametrize(
    ("seconds", "penalty"),
    [(3, 0.0), (5, 0.0), (6, 0.004), (7.5, 0.025), (9, 0.064), (10, 0.1), (15, 0.4)],
)
def test_time_penalty(seconds, penalty):
    assert time_penalty(seconds, 5, 10, 0.1) == pytest.approx(penalty)
    assert compute_loss({}, [TIME], wall_time=seconds).loss == pytest.approx(penalty)


def test_a_time_whose_penalty_runs_past_the_largest_float_is_a_loss_error():
    """``penalty * ratio**2`` raised OverflowError for a returned time of 1e300: a trial's
    result, or a report early stopping weighed, ended the whole search with "unexpected
    error"."""
    assert time_penalty(1e300, 5, 10, 0.1) == math.inf
    assert time_penalty(1e300, 5, 10, 0.0) == 0.0  # no penalty at all, whatever the time
    with pytest.raises(LossError, match=r"time inf\), is not a finite number"):
        compute_loss({"time": 1e300}, [TIME], wall_time=1)


def test_returned_time_overrides_the_measured_one():
    assert compute_loss({"time": 9}, [TIME], wall_time=1).loss == pytest.approx(0.064)


def test_weighted_two_metric_case():
    auc = MetricSpec("auc", min=0.5, max=1.0, direction="increase", weight=2)
    breakdown = compute_loss({"auc": 0.9, "time": 9}, [auc, TIME], wall_time=0)
    assert breakdown.terms == pytest.approx({"auc": 0.4, "time": 0.064})
    assert breakdown.loss == pytest.approx(0.464)


def test_decrease_without_max_is_the_raw_difference_from_min():
    err = MetricSpec("err", min=0.1)
    assert compute_loss({"err": 0.35}, [err], 0).loss == pytest.approx(0.25)


def test_target_gives_no_reward_beyond_it():
    acc = MetricSpec("acc", min=0, max=1, direction="increase", target=0.9)
    assert compute_loss({"acc": 0.99}, [acc], 0).loss == pytest.approx(0.1)
    assert compute_loss({"acc": 0.8}, [acc], 0).loss == pytest.approx(0.2)


def test_logarithmic_scaling_works_on_log10_values():
    mse = MetricSpec("mse", min=0.001, max=1, scaling="logarithmic")
    assert compute_loss({"mse": 0.01}, [mse], 0).loss == pytest.approx(1 / 3)


def test_ram_term_has_the_time_shape_over_peak_rss():
    ram = MetricSpec("ram", type="ram", target=100, max=200, penalty_at_max=1)
    assert compute_loss({}, [ram], 0, peak_rss_mib=150).loss == pytest.approx(0.25)


def test_without_metrics_loss_or_a_maximised_metric():
    assert compute_loss({"loss": 0.3}, [], 0).loss == 0.3
    assert compute_loss({"accuracy": 0.8}, [], 0, direction="max", metric="accuracy").loss == -0.8


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"loss": math.nan}, "loss is nan"),
        ({"loss": math.inf}, "loss is inf"),
        ({"loss": "low"}, 'loss is not a number: "low"'),
        ({"loss": None}, "loss is not a number: null"),
        ({"loss": True}, "loss is not a number: true"),
        (
            {"accuracy": 1, "time": 2},
            'the result has no "loss" \\(it returned "accuracy", "time"\\); to use one of those, '
            "set search.metric and search.direction, or add a metrics section "
            '\\(hypermax.optimize: metrics="accuracy" or "accuracy:max"\\)',
        ),
    ],
)
def test_unusable_results_raise(result, message):
    with pytest.raises(LossError, match=f"^{message}$"):
        compute_loss(result, [], 0)


@pytest.mark.parametrize(("direction", "loss"), [("min", 0.75), ("max", -0.75)])
def test_without_metrics_the_one_term_is_what_it_adds_to_the_loss(direction, loss):
    """With ``direction: max`` the loss is the negated value, and so is its term: the terms
    add up to the loss, as they do with a metrics section."""
    found = compute_loss({"accuracy": 0.75}, [], 1.0, direction=direction, metric="accuracy")
    assert (found.loss, found.terms) == (loss, {"accuracy": loss})
