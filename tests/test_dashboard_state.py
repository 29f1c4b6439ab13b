"""DashboardState: folding the driver's events, and the views the panels draw from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hypermax import events as ev
from hypermax.trial import LiveStats, Report, Trial, TrialState
from hypermax.ui.reporter import DashboardReporter
from hypermax.ui.running import params_differing
from hypermax.ui.state import DashboardState


class FakeClock:
    """Monotonic seconds that only move when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def started(name: str = "quad", iterations: int = 10, parallel: int = 2, **kw: Any) -> Any:
    return ev.SearchStarted(name, "tpe", iterations, parallel, Path("/tmp/results/quad"), **kw)


def trial(
    trial_id: int,
    params: dict[str, Any] | None = None,
    state: TrialState = TrialState.RUNNING,
    loss: float | None = None,
    seconds: float = 10.0,
    **kw: Any,
) -> Trial:
    """A trial that started at ``100 + 10 * id`` and, unless running, took ``seconds``."""
    begin = 100.0 + 10 * trial_id
    end = None if state is TrialState.RUNNING else begin + seconds
    return Trial(
        trial_id,
        params if params is not None else {"x": float(trial_id)},
        {},
        state=state,
        loss=loss,
        time=None if end is None else seconds,
        started_at=begin,
        ended_at=end,
        **kw,
    )


def run_trial(
    state: DashboardState,
    trial_id: int,
    loss: float | None,
    status: TrialState = TrialState.OK,
    params: dict[str, Any] | None = None,
    **kw: Any,
) -> Trial:
    """Start and finish one trial through events, as the driver would."""
    state.apply(ev.TrialStarted(trial(trial_id, params)))
    done = trial(trial_id, params, status, loss, **kw)
    previous = state.best.loss if state.best is not None else None
    better = loss is not None and (previous is None or loss < previous)
    state.apply(ev.TrialFinished(done, done if better else state.best, 0))
    return done


def test_counts_follow_started_and_finished_trials():
    state = DashboardState(FakeClock())
    state.apply(started(iterations=8))
    run_trial(state, 1, 0.5)
    run_trial(state, 2, None, TrialState.FAILED, reason="boom")
    run_trial(state, 3, 3.0, TrialState.KILLED)
    run_trial(state, 4, 0.7, TrialState.STOPPED)
    run_trial(state, 5, None, TrialState.INTERRUPTED)
    state.apply(ev.TrialStarted(trial(6)))
    counts = state.counts()
    assert (counts["ok"], counts["failed"], counts["killed"], counts["stopped"]) == (1, 1, 1, 1)
    assert counts["interrupted"] == 1
    assert counts["done"] == 4  # an interrupted trial runs again, so it is not done
    assert counts["running"] == 1
    assert state.iterations == 8 and state.name == "quad" and state.method == "tpe"


def test_best_is_the_lowest_loss_and_ignores_worse_trials():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5)
    run_trial(state, 2, 0.2)
    run_trial(state, 3, 0.9)
    assert state.best is not None and state.best.id == 2


def test_resumed_history_counts_and_sets_the_best():
    history = (
        trial(1, state=TrialState.OK, loss=0.4),
        trial(2, state=TrialState.FAILED),
        trial(3, state=TrialState.OK, loss=0.1),
    )
    state = DashboardState(FakeClock())
    state.apply(started(history=history, resumed=True))
    assert state.counts()["done"] == 3
    assert state.best is not None and state.best.id == 3
    assert state.order == [1, 2, 3]
    assert "3 of 10" in state.messages[-1]


def test_eta_uses_recent_durations_running_trials_and_parallel():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=10, parallel=2))
    for trial_id in range(1, 5):
        run_trial(state, trial_id, 1.0, seconds=10.0)
    assert state.eta() == pytest.approx(30.0)  # 6 trials of 10 s on 2 workers
    state.apply(ev.TrialStarted(trial(5)))
    state.apply(ev.TrialStarted(trial(6)))
    clock.now += 4
    state.apply(ev.LiveUpdate({5: LiveStats(5, 4.0, 10, 50, 1), 6: LiveStats(6, 4.0, 10, 50, 1)}))
    # 2 running with 6 s left each, 4 not started: (12 + 40) / 2
    assert state.eta() == pytest.approx(26.0)


def test_eta_is_unknown_before_any_trial_while_paused_and_after_the_end():
    state = DashboardState(FakeClock())
    state.apply(started())
    assert state.eta() is None
    run_trial(state, 1, 1.0)
    assert state.eta() is not None
    state.apply(ev.Paused(True))
    assert state.paused and state.eta() is None
    state.apply(ev.Paused(False))
    state.apply(ev.SearchFinished(state.best, 1, "iterations done"))
    assert state.ended and state.end_reason == "iterations done" and not state.paused
    assert state.eta() is None


def test_elapsed_counts_from_the_start_and_stops_at_the_end():
    clock = FakeClock()
    state = DashboardState(clock)
    assert state.elapsed() == 0.0
    state.apply(started())
    clock.now += 65
    assert state.elapsed() == pytest.approx(65)
    state.apply(ev.SearchFinished(None, 0, "interrupted", interrupted=True))
    clock.now += 100
    assert state.elapsed() == pytest.approx(65)
    assert state.interrupted


def test_elapsed_and_the_eta_leave_out_the_time_paused_as_the_search_timeout_does():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=10, parallel=1, timeout=100.0))
    clock.now += 10
    run_trial(state, 1, 1.0, seconds=10.0)
    state.apply(ev.Paused(True))
    clock.now += 3600  # paused over lunch: the search's clock stands still
    assert state.elapsed() == pytest.approx(10)
    state.apply(ev.Paused(False))
    clock.now += 10
    run_trial(state, 2, 1.0, seconds=10.0)
    assert state.elapsed() == pytest.approx(20)
    assert state.eta() == pytest.approx(80.0)  # 8 x 10 s left, within the timeout's 80 s


def test_chart_points_and_best_series_in_finishing_order():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 2, 0.8)
    run_trial(state, 1, None, TrialState.FAILED)
    run_trial(state, 3, 0.9)
    run_trial(state, 4, 0.3, TrialState.KILLED)
    run_trial(state, 5, None, TrialState.INTERRUPTED)
    assert state.chart_points() == [(0.8, "ok"), (None, "failed"), (0.9, "ok"), (0.3, "killed")]
    assert state.best_series() == [0.8, 0.8, 0.8, 0.3]


def test_best_series_is_none_until_the_first_loss():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, None, TrialState.FAILED)
    run_trial(state, 2, 2.0)
    assert state.best_series() == [None, 2.0]


class CountedReads(dict):  # type: ignore[type-arg]
    """The state's finished trials, counting the trials read from them."""

    reads = 0

    def __getitem__(self, key: Any) -> Any:
        self.reads += 1
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)

    def values(self) -> Any:
        self.reads += len(self)
        return super().values()


@pytest.mark.parametrize("size", [10, 500])
def test_a_trial_that_ends_is_counted_and_charted_without_reading_the_others(size):
    history = tuple(trial(i, state=TrialState.OK, loss=float(i)) for i in range(1, size + 1))
    state = DashboardState(FakeClock())
    state.apply(started(iterations=size + 10, history=history, resumed=True))
    assert state.counts()["done"] == size and len(state.chart_points()) == size
    state.finished = finished = CountedReads(state.finished)
    run_trial(state, size + 1, 0.5)
    run_trial(state, size + 2, None, TrialState.INTERRUPTED)
    counts, points, best = state.counts(), state.chart_points(), state.best_series()
    assert finished.reads <= 4  # each new trial's own (a redraw once more trials ended)
    assert (counts["ok"], counts["interrupted"], counts["done"]) == (size + 1, 1, size + 1)
    assert points[-1] == (0.5, "ok") and best[-2:] == [1.0, 0.5]
    # a trial recorded again (the interrupted one, run again) moves its count and its point
    run_trial(state, size + 2, 0.25)
    counts = state.counts()
    assert (counts["ok"], counts["interrupted"], counts["done"]) == (size + 2, 0, size + 2)
    assert state.chart_points()[-1] == (0.25, "ok") and state.best_series()[-1] == 0.25


def test_running_rows_carry_live_stats_last_report_and_params_unlike_the_best():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    run_trial(state, 1, 0.1, params={"lr": 0.01, "opt": {"name": "adam"}, "layers": 2})
    state.apply(ev.TrialStarted(trial(2, {"lr": 0.5, "opt": {"name": "adam"}, "layers": 2})))
    state.apply(ev.TrialStarted(trial(3, {"lr": 0.01, "opt": {"name": "sgd"}, "layers": 2})))
    clock.now += 7
    state.apply(ev.LiveUpdate({2: LiveStats(2, 6.5, 123.0, 97.0, 2)}))
    state.apply(ev.TrialReported(Report(2, 3, {"loss": 0.4})))
    rows = {row.trial_id: row for row in state.running_rows()}
    assert sorted(rows) == [2, 3]
    # elapsed by the dashboard's clock: live stats can be a second old
    assert (rows[2].elapsed, rows[2].rss_mib, rows[2].cpu_percent) == (7.0, 123.0, 97.0)
    assert rows[2].last_report == {"step": 3, "loss": 0.4}
    assert rows[2].differs == (("lr", 0.5, 0.01),)
    assert rows[3].differs == (("opt.name", "sgd", "adam"),)
    assert rows[3].elapsed == pytest.approx(7)
    assert rows[3].rss_mib is None  # no live stats for it yet


def test_a_trial_running_on_a_dask_worker_is_shown_with_that_worker():
    """The running panel and the trial's window name the worker a trial runs on; the worker was
    only in the trial's log before."""
    from hypermax.ui.panels import running_item
    from hypermax.ui.trials import trial_detail_markups

    state = DashboardState(FakeClock())
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1)))
    where = "Dask worker tcp://10.0.0.7:40213"
    state.apply(ev.LiveUpdate({1: LiveStats(1, 0.1, 0.0, 0.0, 0, where)}))  # not looked at yet
    (row,) = state.running_rows()
    assert (row.where, row.rss_mib) == (where, None)
    head = running_item(row).head
    assert [part for part in head if not isinstance(part, str)][-1] == ("dim", f"  on {where}")
    ran = trial_detail_markups(state.running[1], None, [], 0.1, state.live[1])[2]
    assert ran[-1].endswith(f"   on {where}")


def test_a_finished_trial_leaves_the_running_rows_and_its_live_stats():
    state = DashboardState(FakeClock())
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1)))
    state.apply(ev.LiveUpdate({1: LiveStats(1, 1.0, 10.0, 5.0, 1), 9: LiveStats(9, 1, 1, 1, 1)}))
    assert set(state.live) == {1}  # stats of a trial that is not running are dropped
    state.apply(ev.TrialFinished(trial(1, state=TrialState.OK, loss=1.0), None, 1))
    assert state.running_rows() == [] and state.live == {}


def test_trials_sort_by_loss_with_no_loss_last_or_by_id():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5)
    run_trial(state, 2, None, TrialState.FAILED)
    run_trial(state, 3, 0.1)
    state.apply(ev.TrialStarted(trial(4)))
    assert [t.id for t in state.trials("loss")] == [3, 1, 2, 4]
    assert [t.id for t in state.trials("loss", reverse=True)] == [1, 3, 2, 4]
    assert [t.id for t in state.trials("id", reverse=True)] == [4, 3, 2, 1]
    assert state.trial(4) is not None and state.trial(4).state is TrialState.RUNNING
    assert state.trial(99) is None


def test_messages_pause_and_notes():
    state = DashboardState(FakeClock())
    version = state.version
    state.apply(ev.Message("exported results.csv"))
    state.apply(ev.Paused(True))
    state.note("display error")
    assert list(state.messages) == ["exported results.csv", "display error"]
    assert state.paused
    assert state.version == version + 3


def test_a_failed_or_killed_trial_says_what_went_wrong_in_the_messages():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5)
    run_trial(state, 2, None, TrialState.FAILED, reason="ValueError: bad lr\nmore lines")
    run_trial(state, 3, 3.0, TrialState.KILLED, reason="time 61.0 s over the limit 60 s")
    run_trial(state, 4, 0.7, TrialState.STOPPED)
    assert list(state.messages) == [
        "trial 2 failed: ValueError: bad lr",
        "trial 3 killed: time 61.0 s over the limit 60 s",
    ]


def test_state_param_ranking_uses_flat_names_and_finished_trials_with_a_loss():
    state = DashboardState(FakeClock())
    state.apply(started())
    for i in range(1, 7):
        run_trial(state, i, float(i), params={"opt": {"lr": -float(i)}})
    run_trial(state, 7, None, TrialState.FAILED, params={"opt": {"lr": 100.0}})
    ranking = state.param_ranking()
    assert [(r.name, round(r.rho, 6), r.trials) for r in ranking] == [("opt.lr", -1.0, 6)]
    assert state.param_ranking() is ranking  # cached until another trial finishes


def test_params_differing_lists_missing_and_changed_values():
    best = {"a": 1, "b": 0.1, "c": "x"}
    assert params_differing({"a": 1, "b": 0.1 + 1e-15, "c": "y", "d": 4}, best) == (
        ("c", "y", "x"),
        ("d", 4, None),
    )
    assert params_differing({"a": 2}, None) == ()


def test_params_differing_compares_as_json():
    best = {"n": 1, "flag": True, "name": "1"}
    # 1 and 1.0 are the same JSON number; true is not 1 and "1" is not 1
    assert params_differing({"n": 1.0, "flag": True, "name": "1"}, best) == ()
    assert params_differing({"n": 1, "flag": 1, "name": 1}, best) == (
        ("flag", 1, True),
        ("name", 1, "1"),
    )


def test_eta_counts_the_time_between_trials_when_trials_are_shorter_than_it():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=30, parallel=2))
    for trial_id in range(1, 6):  # trials of 0.1 s, one ending every 2 s: proposing is slow
        clock.now += 2
        run_trial(state, trial_id, 1.0, seconds=0.1)
    assert state.eta() == pytest.approx(25 * 2.0)  # 25 left at the pace seen, not 25 x 0.1 / 2
    state.apply(ev.Paused(True))
    clock.now += 600  # paused: no trial ends, and that is no measure of the pace
    state.apply(ev.Paused(False))
    for trial_id in range(6, 8):
        clock.now += 1
        run_trial(state, trial_id, 1.0, seconds=0.1)
    assert state.eta() == pytest.approx(23 * 1.0)


def test_eta_ends_at_the_search_timeout():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=10, parallel=1, timeout=30.0))
    clock.now += 10
    run_trial(state, 1, 1.0, seconds=10.0)
    clock.now += 10
    run_trial(state, 2, 1.0, seconds=10.0)
    assert state.eta() == pytest.approx(10.0)  # 8 x 10 s left, but the search ends at 30 s
    clock.now += 15
    assert state.eta() == 0.0


def test_the_eta_leaves_out_the_time_the_trials_stood_still_with_hypermax():
    """Ctrl-Z stops the running trials with hypermax: their wall times count the time they
    stood still, which says nothing of how long a trial takes."""
    clock, stood = FakeClock(), [0.0]
    state = DashboardState(clock, lambda: stood[0])
    state.apply(started(iterations=10, parallel=2))
    for first in (1, 3):  # two at a time, 10 s each; the first two stood still an hour
        state.apply(ev.TrialStarted(trial(first)))
        state.apply(ev.TrialStarted(trial(first + 1)))
        stood[0] += 3600.0 if first == 1 else 0.0
        clock.now += 10
        for trial_id in (first, first + 1):
            seconds = 10.0 + (3600.0 if first == 1 else 0.0)  # their wall time
            done = trial(trial_id, state=TrialState.OK, loss=1.0, seconds=seconds)
            state.apply(ev.TrialFinished(done, done, trial_id))
    assert state.eta() == pytest.approx(6 * 10.0 / 2)  # 6 left, 10 s each, two at a time


def test_the_pace_is_measured_anew_once_the_process_stood_still():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=30, parallel=1))
    for trial_id in range(1, 4):  # trials of 0.1 s, one ending every 2 s
        clock.now += 2
        run_trial(state, trial_id, 1.0, seconds=0.1)
    clock.now += 3600  # Ctrl-Z, an hour, fg: the dashboard is told so
    state.forget_pace()
    for trial_id in range(4, 6):
        clock.now += 2
        run_trial(state, trial_id, 1.0, seconds=0.1)
    assert state.eta() == pytest.approx(25 * 2.0)  # not paced by the hour it stood still


def test_the_pace_counts_each_end_when_it_came_not_when_the_dashboard_took_it():
    """The dashboard takes the driver's events in batches, at each redraw: with trials of a
    hundredth of a second, the last 20 ends were often of one batch, the pace they gave no time
    between trials, and the ETA jumped between a third of the time left and three times it."""
    clock = FakeClock()
    state = DashboardState(clock)
    reporter = DashboardReporter(clock)
    state.apply(started(iterations=10_000, parallel=2))
    for trial_id in range(1, 301):  # one trial of 5 ms ends every 10 ms
        reporter.handle(ev.TrialStarted(trial(trial_id)))
        clock.now += 0.01
        done = trial(trial_id, state=TrialState.OK, loss=1.0, seconds=0.005)
        reporter.handle(ev.TrialFinished(done, done, trial_id))
        if trial_id % 25 == 0:  # a redraw takes what came since the one before
            for at, event in reporter.drain_timed():
                state.apply(event, at)
    assert state.eta() == pytest.approx((10_000 - 300) * 0.01)


def test_the_pace_of_trials_that_end_together_spans_several_of_their_ends():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=1000, parallel=10))
    for _ in range(30):  # ten trials of 10 ms end together, once a second
        clock.now += 1
        for _ in range(10):
            run_trial(state, len(state.finished) + 1, 1.0, seconds=0.01)
    assert state.eta() == pytest.approx(700 / 10, rel=0.02)  # not the pace of the last two ends
