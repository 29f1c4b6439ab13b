"""The dashboard's keys as the search goes on and after it ended, on a real view and state."""

from __future__ import annotations

from test_dashboard_render import screen
from test_dashboard_state import FakeClock, started, trial
from test_dashboard_values import prompt_state

from hypermax import events as ev
from hypermax.trial import TrialState
from hypermax.ui.state import DashboardState
from hypermax.ui.view import Actions, DashboardView


def test_e_after_the_search_ended_says_where_the_results_are():
    state = prompt_state()
    requests: list[str] = []
    view = DashboardView(state, Actions(request=requests.append))
    state.apply(ev.SearchFinished(state.best, 6, "iterations done"))
    view.refresh()
    assert "e export" not in screen(view, (160, 50))  # nothing left to export: it was written
    view.keypress((160, 50), "e")
    text = screen(view, (160, 50))
    assert "written as the search ended: /tmp/results/quad/results.csv" in text
    assert requests == []  # the search no longer takes commands
    view.keypress((160, 50), "z")  # the answer to a later key takes its place
    assert "z: no such key" in screen(view, (160, 50))


def test_an_open_trial_follows_it_while_it_runs_and_when_it_ends(tmp_path):
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1, {"x": 0.5})))
    log = tmp_path / "trial_1.log"
    log.write_text("epoch 1\n")
    view = DashboardView(state, Actions(log_path=lambda trial_id: log))
    view.open_trial(1)
    text = screen(view, (160, 50))
    assert "trial 1  running" in text and "epoch 1" in text
    with log.open("a") as out:
        out.write("epoch 2\n")
    clock.now += 2  # its log is read again while it runs
    view.refresh()
    assert "epoch 2" in screen(view, (160, 50))
    with log.open("a") as out:
        out.write("done: 0.125\n")
    state.apply(ev.TrialFinished(trial(1, {"x": 0.5}, TrialState.OK, 0.125), None, 1))
    view.refresh()  # at once when it ends
    text = screen(view, (160, 50))
    assert "trial 1  ok" in text and "running" not in text.split("trial 1  ok")[1][:40]
    assert "loss    0.125" in text and "done: 0.125" in text
    view.keypress((160, 50), "esc")
    assert "trial 1  ok" not in screen(view, (160, 50))


def test_esc_and_a_key_read_together_close_the_window_then_do_the_key():
    """A terminal sends Esc as one byte: typed quickly, or while the screen is busy, Esc and the
    next key arrive in one read and urwid reports them as one ``meta`` key."""
    view = DashboardView(prompt_state())
    view.open_trial(1)
    assert "Esc closes" in screen(view, (160, 50))
    view.keypress((160, 50), "meta s")
    text = screen(view, (160, 50))
    assert "Esc closes" not in text
    assert "by id newest first" in text
    view.keypress((160, 50), "meta q")
    assert "Quit the search now?" in screen(view, (160, 50))
