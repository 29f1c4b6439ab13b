"""Early stopping's policies on hand-built curves: who is stopped at which step, and why.

Curves are fed one report at a time, in the order given, as the driver feeds them; each test
says which report stops which trial against which bar.
"""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES

from hypermax.spec import Spec, spec_from_dict
from hypermax.stopping import (
    Asha,
    Curve,
    EarlyStopper,
    EarlyStopping,
    MedianRule,
    Standing,
    worse,
)
from hypermax.trial import Report, Trial, TrialState

Feed = list[tuple[int, int, float]]  # (trial, step, loss), in arrival order


def feed(policy: MedianRule | Asha, reports: Feed) -> list[Standing]:
    return [policy.observe(trial, step, loss) for trial, step, loss in reports]


def stops(standings: list[Standing]) -> list[tuple[int, int]]:
    """(trial, step) of every report that stopped its trial."""
    return [(s.trial_id, s.step) for s in standings if s.stop]


X = {"type": "number", "min": 0, "max": 1}


def spec(tmp_path: Path, early_stopping: dict[str, Any], **sections: Any) -> Spec:
    doc: dict[str, Any] = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {"type": "python_function", "src": str(OBJECTIVES / "epochs.py")},
        "search": {"early_stopping": early_stopping, **sections.pop("search", {})},
        **sections,
    }
    doc["function"]["name"] = "train"
    return spec_from_dict(doc, tmp_path / "search.json")


# -- the rule as the spec states it ---------------------------------------------------------
def test_each_policy_gets_its_defaults_from_the_schema(tmp_path):
    median = spec(tmp_path, {"policy": "median"}).search.early_stopping
    assert median == {"policy": "median", "min_trials": 5, "grace_steps": 1}
    asha = spec(tmp_path, {"policy": "asha", "max_steps": 30}).search.early_stopping
    assert asha == {"policy": "asha", "min_trials": 5, "eta": 3, "max_steps": 30}
    rule = EarlyStopping.of(asha)
    assert (rule.eta, rule.first_rung, rule.max_steps, rule.min_trials) == (3, 3, 30, 5)
    assert EarlyStopping.of({}).policy == "none"


def test_whole_numbers_written_as_floats_are_rungs_and_counts_as_ints(tmp_path):
    section = {"policy": "asha", "max_steps": 27.0, "eta": 3.0, "min_trials": 1.0}
    stopper = EarlyStopper.for_spec(spec(tmp_path, section))
    stopper.on_report(Report(1, 3, {"loss": 0.1}))
    standing = stopper.on_report(Report(2, 3, {"loss": 0.9}))
    assert standing is not None and standing.stop
    assert standing.reason == "stopped at step 3: loss 0.9 worse than 0.1 (rung 3: best 1 of 2)"


def test_asha_rungs_are_eta_apart_from_min_steps_and_stop_before_max_steps():
    rule = EarlyStopping(policy="asha", eta=3, min_steps=2, max_steps=54)
    assert rule.rungs(100) == [2, 6, 18]  # 54 is the end, not a rung
    assert rule.rungs(17) == [2, 6]
    assert (rule.next_rung(0), rule.next_rung(2), rule.next_rung(18)) == (2, 6, None)
    assert EarlyStopping(policy="asha", eta=2, min_steps=1).rungs(40) == [1, 2, 4, 8, 16, 32]


def test_asha_without_min_steps_judges_a_trial_twice_before_max_steps():
    assert EarlyStopping(policy="asha", eta=3, max_steps=27).rungs(100) == [3, 9]
    assert EarlyStopping(policy="asha", eta=3, max_steps=100).rungs(100) == [11, 33, 99]
    assert EarlyStopping(policy="asha", eta=2, max_steps=10).rungs(100) == [2, 4, 8]
    assert EarlyStopping(policy="asha", eta=4, max_steps=12).rungs(100) == [1, 4]  # at least 1
    assert EarlyStopping(policy="asha", eta=3).rungs(10) == [1, 3, 9]  # no end: from step 1
    assert EarlyStopping(policy="asha", eta=3, min_steps=1, max_steps=27).rungs(100) == [1, 3, 9]


# -- the median rule ------------------------------------------------------------------------
def test_median_stops_a_trial_worse_than_the_median_of_the_others_at_the_same_step():
    policy = MedianRule(EarlyStopping(policy="median", min_trials=2, grace_steps=1))
    standings = feed(
        policy,
        [
            (1, 1, 1.0), (1, 2, 0.8), (1, 3, 0.6),
            (2, 1, 2.0), (2, 2, 1.0), (2, 3, 0.7),
            # trial 3: at step 1 the median of 1.0 and 2.0 is 1.5; 1.4 is better
            (3, 1, 1.4),
            # at step 2 the median of 0.8 and 1.0 is 0.9; its best so far, 1.3, is worse
            (3, 2, 1.3),
        ],
    )  # fmt: skip
    assert stops(standings) == [(3, 2)]
    stopped = standings[-1]
    assert (stopped.loss, stopped.bar, stopped.against) == (1.3, 0.9, "median of 2 at step 2")
    assert stopped.reason == "stopped at step 2: loss 1.3 worse than 0.9 (median of 2 at step 2)"
    assert standings[-2].bar == 1.5 and not standings[-2].stop


def test_median_of_two_losses_near_the_float_range_does_not_overflow():
    """Halfway between two losses of -1e308 was -inf (their sum overflowed): a trial as good as
    both others was stopped as worse than -inf."""
    policy = MedianRule(EarlyStopping(policy="median", min_trials=2, grace_steps=0))
    standings = feed(policy, [(1, 1, -1e308), (2, 1, -1e308), (3, 1, -1e308), (4, 1, 1e308)])
    assert standings[2].bar == -1e308 and not standings[2].stop
    assert standings[3].bar == -1e308 and standings[3].stop


def test_median_weighs_a_trial_that_reports_each_batch_with_its_epoch_by_first_batches():
    """Each trial reports ten batches an epoch, the epoch as the step. The others' loss at an
    epoch was that of their last batch, a trial's own that of the batch it was at: a sixth
    trial, better than each of the five at every batch, was stopped at its first report."""
    policy = MedianRule(EarlyStopping(policy="median", min_trials=5, grace_steps=1))

    def run(trial: int, better: float = 0.0) -> list[Standing]:
        reports = [
            (trial, epoch, 1 / (epoch + batch / 10) - better)
            for epoch in range(1, 4)
            for batch in range(10)
        ]
        return feed(policy, reports)

    for trial in range(1, 6):
        assert stops(run(trial)) == []
    sixth = run(6, better=0.01)
    assert stops(sixth) == []
    assert sixth[0].bar == 1.0  # the others' first batch of epoch 1
    assert policy.observe(7, 1, 1.05).stop  # worse than the others' first batch


def test_median_waits_for_min_trials_others_at_a_step_and_never_judges_the_grace_steps():
    policy = MedianRule(EarlyStopping(policy="median", min_trials=3, grace_steps=2))
    standings = feed(
        policy,
        [
            (1, 1, 1.0), (1, 2, 1.0), (1, 3, 1.0),
            (2, 1, 1.0), (2, 2, 1.0),
            (3, 1, 1.0), (3, 2, 1.0),
            (4, 1, 9.0),  # awful, but step 1 is a grace step
            (4, 2, 9.0),  # three others at step 2: judged
        ],
    )  # fmt: skip
    assert stops(standings) == [(4, 2)]
    assert standings[7].against == "grace (step 1 < 2)" and standings[7].bar is None
    assert standings[6].against == "2 of 3 trials at step 2"  # trial 3 had only two others


def test_median_weighs_a_trials_best_loss_so_far_not_its_last():
    policy = MedianRule(EarlyStopping(policy="median", min_trials=1, grace_steps=0))
    standings = feed(policy, [(1, 0, 1.0), (1, 1, 1.0), (2, 0, 0.5), (2, 1, 3.0)])
    assert stops(standings) == []  # 3.0 > 1.0, but its best, 0.5, is not
    assert standings[-1].loss == 0.5
    in_grace = MedianRule(EarlyStopping(policy="median", min_trials=1, grace_steps=5))
    assert [s.loss for s in feed(in_grace, [(1, 0, 0.5), (1, 1, 2.0)])] == [0.5, 0.5]


def test_median_names_the_step_of_a_best_loss_that_is_not_the_reports():
    """The record of a stopped trial keeps its last report's loss (1.2): a reason that gave the
    best so far (1.1, at step 1) as "loss" contradicted it."""
    policy = MedianRule(EarlyStopping(policy="median", min_trials=1, grace_steps=1))
    standings = feed(policy, [(1, 1, 1.0), (1, 2, 0.5), (2, 1, 1.1), (2, 2, 1.2)])
    assert stops(standings) == [(2, 1), (2, 2)]
    assert standings[2].reason == "stopped at step 1: loss 1.1 worse than 1 (median of 1 at step 1)"
    assert standings[3].reason == (
        "stopped at step 2: best loss 1.1 (step 1) worse than 0.5 (median of 1 at step 2)"
    )


def test_median_takes_another_trials_loss_from_its_last_report_up_to_the_step():
    """Trials may report on different steps: a trial that reported steps 2 and 4 has reached
    step 3, with its step-2 loss there; one that stopped reporting at step 2 has not."""
    policy = MedianRule(EarlyStopping(policy="median", min_trials=2, grace_steps=0))
    standings = feed(
        policy,
        [(1, 2, 1.0), (1, 4, 0.5), (2, 2, 3.0), (3, 3, 2.0), (4, 2, 1.2), (4, 3, 1.1)],
    )
    # trial 3 at step 3: only trial 1 has reached it (trial 2 stopped at step 2): not judged
    assert standings[3].against == "1 of 2 trials at step 3"
    # trial 4 at step 3: trials 1 (1.0, from step 2) and 3 (2.0): median 1.5, 1.1 passes
    assert (standings[5].bar, standings[5].stop) == (1.5, False)


def test_median_does_not_count_a_forgotten_trial():
    policy = MedianRule(EarlyStopping(policy="median", min_trials=1, grace_steps=0))
    feed(policy, [(1, 0, 0.1)])
    policy.forget(1)
    assert policy.observe(2, 0, 5.0).against == "0 of 1 trials at step 0"


def median_by_reading_every_curve(
    curves: dict[int, Curve], rule: EarlyStopping, trial_id: int, step: int, loss: float
) -> Standing:
    """The median rule as it read every other trial's curve at each report."""
    curve = curves[trial_id]
    best = loss if math.isinf(loss) else curve.best
    best_at = None if best == loss else curve.best_step
    if step < rule.grace_steps:
        grace = f"grace (step {step} < {rule.grace_steps})"
        return Standing(trial_id, step, best, against=grace, best_at=best_at)
    others = [v for t, c in curves.items() if t != trial_id and (v := c.at(step)) is not None]
    if len(others) < rule.min_trials:
        needs = f"{len(others)} of {rule.min_trials} trials at step {step}"
        return Standing(trial_id, step, best, against=needs, best_at=best_at)
    median = statistics.median(others)
    against = f"median of {len(others)} at step {step}"
    return Standing(trial_id, step, best, median, against, worse(best, median), best_at)


class TightMedian(MedianRule):
    """A median rule that keeps few steps' losses: most are read from the curves."""

    PER_REPORT = 1
    AT_LEAST = 40


@pytest.mark.parametrize("policy_class", [MedianRule, TightMedian])
@pytest.mark.parametrize("seed", range(4))
def test_median_gives_the_verdicts_of_reading_every_curve(policy_class, seed):
    """Steps that go on, repeat, go back and jump; ties, diverged losses, forgotten trials."""
    rng = random.Random(seed)
    rule = EarlyStopping(policy="median", min_trials=rng.choice([1, 3]), grace_steps=1)
    policy = policy_class(rule)
    curves: dict[int, Curve] = {}
    last: dict[int, int] = {}
    for _ in range(1500):
        trial = rng.randrange(25)
        if rng.random() < 0.01:
            policy.forget(trial)
            curves.pop(trial, None)
            last.pop(trial, None)
            continue
        step = last.get(trial, 0) + rng.choice([1, 1, 1, 1, 2, 5, 0, -1, -3])
        step = last[trial] = max(0, step)
        loss = rng.choice([round(rng.random(), 1), rng.random() * 3, math.inf])
        curves.setdefault(trial, Curve()).add(step, loss)
        expected = median_by_reading_every_curve(curves, rule, trial, step, loss)
        assert policy.observe(trial, step, loss) == expected


def test_median_reads_each_step_from_the_curves_once_not_at_every_report(monkeypatch):
    reads = 0
    at = Curve.at

    def counted(curve: Curve, step: int) -> float | None:
        nonlocal reads
        reads += 1
        return at(curve, step)

    monkeypatch.setattr(Curve, "at", counted)
    policy = MedianRule(EarlyStopping(policy="median", min_trials=5, grace_steps=1))
    trials, steps = 300, 10
    for trial in range(trials):
        for step in range(1, steps + 1):
            policy.observe(trial, step, (trial * 7919 % 101) / (step + 1))
    # reading every other curve at each report read about trials**2 * steps / 2 = 450,000
    assert reads < 4 * trials * steps + trials * steps


# -- ASHA -----------------------------------------------------------------------------------
def test_asha_keeps_the_best_one_in_eta_at_each_rung_without_waiting_for_a_bracket():
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=2, min_steps=1, max_steps=8))
    standings = feed(
        policy,
        [
            (1, 1, 0.5),  # first at rung 1: nobody to compare with
            (2, 1, 0.9),  # best 1 of 2 is 0.5: stopped
            (3, 1, 0.3),  # best 1 of 3 is 0.3: itself
            (4, 1, 0.4),  # best 2 of 4: 0.3, 0.4
            (5, 1, 0.45),  # best 2 of 5: 0.3, 0.4: stopped
            (1, 2, 0.4),  # trial 1 reaches rung 2 alone
            (3, 2, 0.2),  # best 1 of 2 at rung 2 is 0.2
            (4, 2, 0.35),  # best 1 of 3 is 0.2: stopped
        ],
    )
    assert stops(standings) == [(2, 1), (5, 1), (4, 2)]
    assert (standings[4].bar, standings[4].against) == (0.4, "rung 1: best 2 of 5")
    assert standings[0].against == "rung 1: 0 of 1 trials"
    assert (
        standings[7].reason == "stopped at step 2: loss 0.35 worse than 0.2 (rung 2: best 1 of 3)"
    )


class CountedReads(dict):  # type: ignore[type-arg]
    """A rung's trials, counting the entries read from them all at once."""

    reads = 0

    def values(self) -> Any:
        self.reads += len(self)
        return super().values()

    def items(self) -> Any:
        self.reads += len(self)
        return super().items()


@pytest.mark.parametrize("size", [10, 1000])
def test_asha_judges_a_report_without_reading_every_trial_at_its_rung(size):
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=2, min_steps=1, max_steps=8))
    losses = [(i * 7919 % size) / size for i in range(1, size + 1)]  # all at rung 1
    for trial_id, loss in enumerate(losses, 1):
        policy.record(trial_id, 1, loss)
    policy.rungs[1] = rung = CountedReads(policy.rungs[1])
    standing = policy.observe(size + 1, 1, 0.5)
    assert rung.reads == 0
    expected = sorted([*losses, 0.5])[(size + 1) // 2 - 1]
    assert (standing.bar, standing.against) == (
        expected,
        f"rung 1: best {(size + 1) // 2} of {size + 1}",
    )
    policy.forget(1)  # a trial interrupted runs again: its loss no longer counts
    standing = policy.observe(size + 2, 1, 0.25)
    kept = sorted([*losses[1:], 0.5, 0.25])
    assert standing.bar == kept[(size + 1) // 2 - 1]


def test_asha_judges_a_trial_at_a_rung_once_however_often_it_reports_that_step():
    # a trial reporting per batch with the epoch as its step reaches rung 1 once: it went
    # on there, and the trials that reach the rung after it do not stop it at its next batch
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=2, min_steps=1, max_steps=8))
    standings = feed(policy, [(1, 1, 0.5), (2, 1, 0.3), (1, 1, 0.45), (3, 2, 0.2), (3, 2, 0.9)])
    assert stops(standings) == []
    assert standings[2].against == "next rung 2: 0 of 1 trials"


def test_asha_judges_between_rungs_only_when_a_report_reaches_one():
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=3, min_steps=1, max_steps=10))
    standings = feed(
        policy,
        [(1, 1, 0.1), (1, 3, 0.1), (1, 9, 0.1), (2, 1, 0.05), (2, 2, 5.0), (2, 3, 0.2)],
    )
    assert stops(standings) == [(2, 3)]
    between = standings[4]  # step 2: no rung; shows the cutoff it will meet at rung 3
    assert (between.stop, between.bar, between.against) == (False, 0.1, "next rung 3: best 1 of 2")


def test_asha_judges_every_rung_a_report_jumps_over_with_its_loss():
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=2, min_steps=1, max_steps=100))
    feed(policy, [(1, 1, 0.5), (1, 2, 0.5), (1, 4, 0.5)])
    jumper = policy.observe(2, 5, 0.7)  # its first report is past rungs 1, 2 and 4
    assert jumper.stop and jumper.against == "rung 1: best 1 of 2"
    assert {rung: entries[2][0] for rung, entries in policy.rungs.items() if 2 in entries} == {
        1: 0.7,
        2: 0.7,
        4: 0.7,
    }


def test_asha_never_judges_at_or_past_max_steps():
    policy = Asha(EarlyStopping(policy="asha", min_trials=1, eta=2, min_steps=2, max_steps=4))
    standings = feed(policy, [(1, 2, 0.1), (1, 4, 0.1), (2, 2, 0.1), (2, 4, 9.0), (2, 6, 9.0)])
    assert stops(standings) == []
    assert standings[3].against == "past the last rung"


def test_asha_lets_every_trial_through_a_rung_with_fewer_than_min_trials_others():
    policy = Asha(EarlyStopping(policy="asha", min_trials=3, eta=2, min_steps=1, max_steps=8))
    standings = feed(policy, [(1, 1, 0.1), (2, 1, 0.9), (3, 1, 0.8), (4, 1, 0.85)])
    assert stops(standings) == [(4, 1)]  # the first with three others: best 2 of 4
    assert [s.bar for s in standings] == [None, None, None, 0.8]


# -- the composite loss: direction max, weighted metrics ------------------------------------
def test_direction_max_stops_the_trial_with_the_lowest_accuracy(tmp_path):
    rule = {"policy": "median", "min_trials": 2, "grace_steps": 0}
    search = {"metric": "accuracy", "direction": "max"}
    stopper = EarlyStopper.for_spec(spec(tmp_path, rule, search=search))
    for trial, accuracy in ((1, 0.9), (2, 0.8)):
        assert stopper.on_report(Report(trial, 0, {"accuracy": accuracy})) is not None
    good = stopper.on_report(Report(3, 0, {"accuracy": 0.95}))
    bad = stopper.on_report(Report(4, 0, {"accuracy": 0.5}))
    assert good is not None and not good.stop and good.loss == -0.95
    assert bad is not None and bad.stop and (bad.loss, bad.bar) == (-0.5, -0.9)  # -0.8, -0.9, -0.95


def test_weighted_increasing_metrics_make_the_loss_asha_compares(tmp_path):
    rule = {"policy": "asha", "min_trials": 1, "eta": 2, "min_steps": 1, "max_steps": 8}
    metrics = {
        "auc": {"min": 0.5, "max": 1.0, "direction": "increase", "weight": 2.0},
        "size": {"min": 0, "max": 100},
    }
    stopper = EarlyStopper.for_spec(spec(tmp_path, rule, metrics=metrics))
    first = stopper.on_report(Report(1, 1, {"auc": 0.9, "size": 50}))  # 2 * 0.2 + 0.5
    second = stopper.on_report(Report(2, 1, {"auc": 0.95, "size": 90}))  # 2 * 0.1 + 0.9
    assert first is not None and first.loss == pytest.approx(0.9)
    assert second is not None and second.loss == pytest.approx(1.1) and second.stop


def test_a_report_without_a_usable_loss_is_not_judged(tmp_path):
    stopper = EarlyStopper.for_spec(spec(tmp_path, {"policy": "median", "min_trials": 1}))
    assert stopper.on_report(Report(1, 1, {"accuracy": 0.5})) is None  # the loss is "loss"
    assert stopper.policy is not None and stopper.policy.curves == {}
    # a NaN loss is judged, as the worst: tests/test_stopping_diverged.py


def test_a_report_whose_time_penalty_overflows_is_not_judged(tmp_path):
    """A report carrying ``time: 1e300`` under a time metric raised OverflowError in the
    driver, which ended the search."""
    metrics = {
        "loss": {"min": 0},
        "time": {"type": "time", "target_time": 1, "max_time": 10, "penalty_at_max": 1},
    }
    stopper = EarlyStopper.for_spec(spec(tmp_path, {"policy": "median"}, metrics=metrics))
    assert stopper.on_report(Report(1, 1, {"loss": 0.5, "time": 1e300})) is None


def test_without_a_policy_nothing_is_judged(tmp_path):
    stopper = EarlyStopper.for_spec(spec(tmp_path, {"policy": "none", "min_trials": 1}))
    assert stopper.policy is None and stopper.on_report(Report(1, 1, {"loss": 1.0})) is None


# -- the driver's side ----------------------------------------------------------------------
def _stopper(tmp_path: Path) -> EarlyStopper:
    rule = {"policy": "median", "min_trials": 2, "grace_steps": 1}
    return EarlyStopper.for_spec(spec(tmp_path, rule))


CURVES = {1: [1.0, 0.8, 0.6], 2: [2.0, 1.0, 0.7], 3: [1.4, 1.3, 1.2], 4: [1.6, 1.0, 0.9]}


def _reports(trial_id: int) -> list[Report]:
    return [Report(trial_id, step, {"loss": loss}) for step, loss in enumerate(CURVES[trial_id], 1)]


def test_a_trial_is_asked_to_stop_once_and_its_record_says_why(tmp_path):
    stopper = _stopper(tmp_path)
    for report in [*_reports(1), *_reports(2)]:
        stopper.on_report(report)
    judged = [stopper.on_report(report) for report in _reports(3)]
    # once, at step 2; its report after that is not weighed
    assert [s and s.stop for s in judged] == [False, True, None]
    assert stopper.asked_to_stop(3)
    assert stopper.policy is not None and stopper.policy.curves[3].steps == [1, 2]
    ended = Trial(3, {"x": 1}, {}, state=TrialState.STOPPED, reports=({"step": 2, "loss": 1.3},))
    stopped = stopper.on_finished(ended)
    assert stopped.reason == "stopped at step 2: loss 1.3 worse than 0.9 (median of 2 at step 2)"
    ok = Trial(1, {"x": 1}, {}, state=TrialState.OK, reason=None)
    assert stopper.on_finished(ok) is ok
    assert not stopper.asked_to_stop(3)  # it ended: its id may run again


def test_a_resumed_search_rebuilt_from_finished_trials_stops_what_the_first_would_have(tmp_path):
    """Trials 1-3 finished before a crash; trial 4 was running (its reports are dropped) and
    runs again: the rebuilt stopper judges it as the uninterrupted one does."""
    straight = _stopper(tmp_path)
    for trial_id in (1, 2, 3):
        for report in _reports(trial_id):
            straight.on_report(report)
    expected = [straight.on_report(report) for report in _reports(4)]

    def finished(trial_id: int, state: TrialState) -> Trial:
        reports = tuple({"step": r.step, **r.metrics} for r in _reports(trial_id))
        return Trial(trial_id, {"x": 1}, {}, state=state, reports=reports)

    resumed = _stopper(tmp_path)
    resumed.rebuild(
        [
            finished(1, TrialState.OK),
            finished(2, TrialState.OK),
            finished(3, TrialState.STOPPED),
            finished(4, TrialState.RUNNING),  # ran at the crash: runs again
        ]
    )
    assert [resumed.on_report(report) for report in _reports(4)] == expected
    assert [s and s.stop for s in expected] == [True, None, None]  # not weighed after the stop


def test_an_interrupted_trials_reports_are_forgotten(tmp_path):
    stopper = _stopper(tmp_path)
    for report in [*_reports(1), *_reports(2)]:
        stopper.on_report(report)
    stopper.on_finished(Trial(2, {"x": 1}, {}, state=TrialState.INTERRUPTED))
    assert stopper.policy is not None and set(stopper.policy.curves) == {1}


def test_the_summary_of_many_rungs_names_the_first_and_the_last():
    """validate prints ASHA's rungs: twenty of them (eta 2 up to a million steps) are the first
    three, the last, and how many, not a line of twenty numbers."""
    many = EarlyStopping(policy="asha", eta=2, min_steps=1, max_steps=10**6).summary()
    assert many == (
        "asha, rungs at steps 1, 2, 4, ..., 524288 (20 rungs, max_steps 1000000): the best 1/2 at"
        " a rung goes on, once 5 other trials reached it"
    )
    six = EarlyStopping(policy="asha", eta=2, min_steps=1, max_steps=64).summary()
    assert six is not None and six.startswith("asha, rungs at steps 1, 2, 4, 8, 16, 32 (max")
    one = EarlyStopping(policy="asha", eta=4, max_steps=8).summary()  # rungs 1, then 4 < 8
    assert one is not None and one.startswith("asha, rungs at steps 1, 4 (max_steps 8)")
    single = EarlyStopping(policy="asha", eta=9, max_steps=8).summary()
    assert single is not None and single.startswith("asha, a rung at step 1 (max_steps 8): ")
