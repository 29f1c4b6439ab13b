"""Early stopping on the dashboard: the running trials' curves against the median or the rung,
and stopped trials with the step they reached."""

from __future__ import annotations

from test_dashboard_render import screen
from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.stopping import Standing
from hypermax.trial import Report, TrialState
from hypermax.ui.formatting import sparkline
from hypermax.ui.panels import running_item
from hypermax.ui.state import CURVE_POINTS, DashboardState
from hypermax.ui.view import DashboardView


def judged(state: DashboardState, trial_id: int, step: int, loss: float, **standing) -> None:
    report = Report(trial_id, step, {"loss": loss})
    state.apply(ev.TrialReported(report, Standing(trial_id, step, loss, **standing)))


def text_of(markup) -> str:
    return "".join(part if isinstance(part, str) else part[1] for part in markup)


def test_a_running_trial_keeps_its_judged_curve_until_it_ends():
    state = DashboardState(FakeClock())
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1)))
    for step, loss in enumerate([0.9, 0.7, 0.5], start=1):
        judged(state, 1, step, loss, bar=0.6, against=f"median of 5 at step {step}")
    (row,) = state.running_rows()
    assert row.curve == (0.9, 0.7, 0.5)
    assert row.standing is not None and row.standing.against == "median of 5 at step 3"
    for step in range(4, 4 + CURVE_POINTS):
        judged(state, 1, step, 0.4)
    assert len(state.running_rows()[0].curve) == CURVE_POINTS  # the latest only
    state.apply(ev.TrialReported(Report(2, 1, {"loss": 0.1}), Standing(2, 1, 0.1)))
    assert 2 not in state.curves  # a report of a trial that is not running
    run_trial(state, 1, 0.4)
    assert state.curves == {} and state.standing == {}


def test_the_running_panel_draws_the_curve_against_the_bar():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 9, 0.1)
    state.apply(ev.TrialStarted(trial(1)))
    judged(state, 1, 1, 0.8, bar=0.5, against="median of 5 at step 1")
    judged(state, 1, 2, 0.6, bar=0.5, against="median of 5 at step 2")
    (row,) = state.running_rows()
    item = running_item(row)
    assert text_of(item.detail) == "█▃ 0.6 > 0.5 (median of 5 at step 2)  x=1 (best 9)"
    assert sparkline([0.8, 0.6], 0.5, 0.8) == "█▃"  # on a scale down to the bar
    assert "step 2 loss=0.6" in text_of(item.head)
    judged(state, 1, 3, 0.4, bar=0.5, against="rung 3: best 2 of 7")
    detail = text_of(running_item(state.running_rows()[0]).detail)
    assert " 0.4 ≤ 0.5 (rung 3: best 2 of 7)" in detail
    judged(state, 1, 4, 0.3, against="rung 9: 2 of 5 trials")  # nothing to compare with yet
    detail = text_of(running_item(state.running_rows()[0]).detail)
    assert " 0.3 (rung 9: 2 of 5 trials)" in detail
    text = screen(DashboardView(state), (160, 50))
    assert "0.3 (rung 9: 2 of 5 trials)" in text


def test_a_diverged_trial_is_drawn_worse_than_a_median_that_diverged_too():
    """Early stopping stops an infinite loss even against an infinite median (the others
    diverged too): the panel showed it as no worse (inf ≤ inf), in the colour of a trial that
    goes on."""
    state = DashboardState(FakeClock())
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1)))
    inf = float("inf")
    judged(state, 1, 2, inf, bar=inf, against="median of 2 at step 2", stop=True)
    detail = running_item(state.running_rows()[0]).detail
    assert " inf > inf " in text_of(detail)
    assert detail[0][0] == "stopped"


def test_a_stopped_trial_shows_the_step_it_reached_in_the_table_and_its_window():
    state = DashboardState(FakeClock())
    state.apply(started())
    reason = "stopped at step 3: loss 0.9 worse than 0.5 (median of 5 at step 3)"
    run_trial(state, 1, 0.2)
    run_trial(state, 2, 0.9, TrialState.STOPPED, step=4, reason=reason)
    view = DashboardView(state)
    text = screen(view, (160, 50))
    assert "stopped@4" in text and "1 stopped" in text
    view.keypress((160, 50), "s")  # by id, newest first: trial 2 has the focus
    view.keypress((160, 50), "enter")
    text = screen(view, (160, 50))
    assert reason in text and "to step 4" in text


def test_a_curve_keeps_its_shape_against_a_median_that_diverged():
    """Against an infinite bar (most others diverged), or with a diverged report of its own in
    the curve, the scale ran up to infinity and every finite point was drawn at the bottom:
    the curve was a flat line that told nothing of how the trial went."""
    inf = float("inf")
    state = DashboardState(FakeClock())
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1)))
    for step, loss in enumerate([0.9, 0.5, 0.1], start=1):
        judged(state, 1, step, loss, bar=inf, against=f"median of 5 at step {step}")
    detail = running_item(state.running_rows()[0]).detail
    assert text_of(detail).startswith("█▅▁ 0.1 ≤ inf ")
    state.apply(ev.TrialStarted(trial(2)))
    for step, loss in enumerate([0.9, 0.5, inf, 0.1], start=1):
        judged(state, 2, step, loss, bar=0.4, against=f"next rung 9: best 1 of {step}")
    detail = running_item(state.running_rows()[1]).detail
    assert text_of(detail).startswith("█▅ ▁ 0.1 ≤ 0.4 ")
