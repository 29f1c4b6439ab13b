"""A trial held on standby that cannot start because the disk filled up meanwhile never ran:
it is recorded interrupted (to run again once there is room) as not started, not as a trial
that could not write its result, after the trial whose end started it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_trials.helpers import FAKES, wait_until

from hypermax.execution.local import LocalRunner
from hypermax.execution.trial_files import TrialFiles
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState
from hypermax.trial_endings import lost_to_a_full_disk


def _paths(folder: Path, trial_id: int) -> tuple[Path, Path]:
    return folder / "trials" / str(trial_id), folder / "logs" / f"trial_{trial_id}.log"


# the second one leaves a process running, which is killed after its end: that it ends late is
# told before its Outcome, the held trial that could not start is not
@pytest.mark.parametrize("trial", ["wait_for_go.py", "leave_child.py"])
def test_a_held_trial_that_meets_a_full_disk_is_interrupted_as_not_started(
    tmp_path, monkeypatch, trial
):
    go = tmp_path / "go"
    monkeypatch.setenv("GO_FILE", str(go))
    command = (sys.executable, str(FAKES / trial))
    runner = LocalRunner(FunctionSpec(type="executable", command=command), tmp_path)
    outcomes: dict[int, Outcome] = {}  # in the order they came
    try:
        runner.submit(Proposal(1, {}, {}), *_paths(tmp_path, 1))
        assert runner.standby(Proposal(2, {}, {}), *_paths(tmp_path, 2))  # its files made
        wait_until((_paths(tmp_path, 1)[0] / "up").exists, 30, "trial 1 to start")
        # the disk fills up (statvfs says no block is free) while trial 1 runs
        monkeypatch.setattr(TrialFiles, "room_left", lambda self: False)
        go.write_text("")

        def ended() -> bool:
            for event in runner.poll(0.1):
                if isinstance(event, Outcome):
                    outcomes[event.trial_id] = event
            return len(outcomes) == 2

        wait_until(ended, 30, "the outcomes of both trials")
    finally:
        runner.close()
    # after the outcome of the trial whose end started it: it came first, and the console
    # told trial 2 interrupted before trial 1 ok
    assert list(outcomes) == [1, 2]
    held = outcomes[2]
    # it was "no space left on device for its result"
    assert (held.state, held.reason) == (
        TrialState.INTERRUPTED,
        "not started: no space left on device",
    )
    assert lost_to_a_full_disk(held)  # the search stops, and it runs again on resume
    assert not _paths(tmp_path, 2)[0].exists()  # its files, made ahead, are gone
