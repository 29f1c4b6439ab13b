"""The console's line for a resumed search, also when ``iterations`` was lowered below what ran."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hypermax import events as ev
from hypermax.trial import Trial, TrialState
from hypermax.ui.console import ConsoleReporter


@pytest.mark.parametrize(
    ("iterations", "line"),
    [
        (6, "resuming quad: 4 of 6 trials done"),
        (
            3,
            "resuming quad: 4 trials done, iterations 3: none left to run; 1 interrupted trial "
            "does not run again (--iterations 5 runs it)",
        ),
    ],
)
def test_a_resumed_search_says_how_many_trials_ran_and_what_is_left(iterations, line):
    history = tuple(Trial(i, {"x": i}, {}, TrialState.OK, loss=float(i)) for i in range(1, 5))
    history += (Trial(5, {"x": 5}, {}, TrialState.INTERRUPTED),)  # runs again: not done
    out = io.StringIO()
    started = ev.SearchStarted(
        "quad", "tpe", iterations, 1, Path("r/quad"), history, True, not_run=int(iterations < 5)
    )
    ConsoleReporter(out).handle(started)
    assert out.getvalue().splitlines()[1] == line


def test_a_resumed_search_with_none_left_and_nothing_unfinished_says_no_more():
    history = tuple(Trial(i, {"x": i}, {}, TrialState.OK, loss=float(i)) for i in range(1, 5))
    out = io.StringIO()
    started = ev.SearchStarted("quad", "tpe", 3, 1, Path("r/quad"), history, True)
    ConsoleReporter(out).handle(started)
    assert out.getvalue().splitlines()[1] == (
        "resuming quad: 4 trials done, iterations 3: none left to run"
    )
