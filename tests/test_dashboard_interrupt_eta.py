"""After Ctrl-C the dashboard shows the elapsed time alone, as the console's lines do: the trials
left will not run now, and the search ends once the running ones have stopped."""

from __future__ import annotations

from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.trial import TrialState
from hypermax.ui.state import DashboardState
from hypermax.ui.status import StatusBar


def searching() -> DashboardState:
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10, parallel=2))
    run_trial(state, 1, 0.5)
    state.apply(ev.TrialStarted(trial(2)))
    state.apply(ev.TrialStarted(trial(3)))
    assert state.eta() is not None
    return state


def test_the_eta_goes_once_the_search_is_asked_to_stop():
    state = searching()
    state.stop_asked()
    assert state.eta() is None


def test_the_eta_goes_once_a_trial_was_interrupted():
    state = searching()
    state.apply(ev.TrialFinished(trial(2, state=TrialState.INTERRUPTED), state.best, 0))
    assert state.eta() is None


def shown(bar: StatusBar) -> str:
    return "\n".join(line.decode() for line in bar.render((100,)).text)


def test_the_status_bar_shows_elapsed_alone_after_an_interrupt():
    state = searching()
    bar = StatusBar()
    bar.update(state)
    assert "ETA" in shown(bar)
    state.stop_asked()
    bar.update(state)
    assert "ETA" not in shown(bar) and "elapsed" in shown(bar)
