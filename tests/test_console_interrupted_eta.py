"""The console's line of a trial that an interrupt stopped (the search is ending) gives no ETA:
the trials left will not run now."""

from __future__ import annotations

import io
from pathlib import Path

from hypermax import events as ev
from hypermax.trial import Trial, TrialState
from hypermax.ui.console import ConsoleReporter


def test_an_interrupted_trial_line_has_no_eta():
    now = [0.0]
    out = io.StringIO()
    console = ConsoleReporter(out, clock=lambda: now[0])
    console.handle(ev.SearchStarted("quad", "tpe", 10, 2, Path("r/quad")))
    now[0] = 5.0
    ok = Trial(1, {"x": 1}, {}, TrialState.OK, loss=1.0, time=5.0)
    console.handle(ev.TrialFinished(ok, ok, 1))
    stopped = Trial(2, {"x": 2}, {}, TrialState.INTERRUPTED, time=5.0, reason="interrupted")
    console.handle(ev.TrialFinished(stopped, ok, 1))
    first, second = out.getvalue().splitlines()[1:3]
    assert "ETA 45s" in first
    assert "ETA" not in second and "elapsed 5s" in second and second.endswith("- interrupted")
