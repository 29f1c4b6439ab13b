"""What Ctrl-Z and fg say of the running trials, even when none runs."""

from __future__ import annotations

from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial_pauses import TrialPauses


def test_fg_says_hypermax_continued_when_no_trial_was_running(tmp_path):
    """With no trial running (after the search's end, under the dashboard), Ctrl-Z said
    "stopped, with 0 trials running; fg or bg continues", and fg said nothing: the status line
    kept saying hypermax was stopped."""
    runner = LocalRunner(FunctionSpec(type="executable", command=["true"]), tmp_path)
    said: list[str] = []
    pauses = TrialPauses(runner, lambda: 0, said.append)
    try:
        pauses.resume(pauses.pause())
    finally:
        runner.close()
    assert said == ["stopped, with 0 trials running; fg or bg continues", "continued"]
