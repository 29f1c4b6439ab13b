"""While the last trials run past the usual trial time, or the search's timeout has passed
while trials end, nothing is left by the estimate but the search goes on: the dashboard and the
console said ``ETA 0s``; they say ``finishing``."""

from __future__ import annotations

import io
from pathlib import Path

from test_dashboard_render import screen
from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.trial import Trial, TrialState
from hypermax.ui.console import ConsoleReporter
from hypermax.ui.state import DashboardState
from hypermax.ui.view import DashboardView


def test_the_dashboard_says_finishing_while_the_last_trial_runs_past_the_usual_time():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=3, parallel=1))
    for trial_id in (1, 2):
        state.apply(ev.TrialStarted(trial(trial_id)))
        clock.now += 10  # trial() says each took 10 s
        run_trial(state, trial_id, 0.5)
    state.apply(ev.TrialStarted(trial(3)))
    clock.now += 4
    view = DashboardView(state)
    assert screen(view, (80, 24)).splitlines()[0].endswith("ETA 6s")
    clock.now += 30  # past the 10 s the others took
    view.refresh()
    title = screen(view, (80, 24)).splitlines()[0]
    assert title.endswith("elapsed 54s  finishing"), title


def test_the_console_says_finishing_once_the_timeout_has_passed_with_trials_left():
    now = [0.0]
    out = io.StringIO()
    console = ConsoleReporter(out, clock=lambda: now[0])
    console.handle(ev.SearchStarted("quad", "tpe", 10, 2, Path("r/quad"), timeout=10.0))
    now[0] = 5.0
    first = Trial(1, {"x": 1}, {}, TrialState.OK, loss=1.0, time=5.0)
    console.handle(ev.TrialFinished(first, first, 1))
    now[0] = 12.0  # the timeout passed while trial 2 ran
    second = Trial(2, {"x": 2}, {}, TrialState.OK, loss=2.0, time=12.0)
    console.handle(ev.TrialFinished(second, first, 2))
    lines = out.getvalue().splitlines()
    assert lines[1].endswith("elapsed 5s  ETA 5s"), lines[1]
    assert lines[2].endswith("elapsed 12s  finishing"), lines[2]
