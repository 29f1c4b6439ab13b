"""A python_function that returned is done, whatever threads it left running: they get the
function's kill_grace to end, then the trial exits without them and its result counts."""

from __future__ import annotations

import pytest
from conftest import fake_function_spec, run_hypermax_here
from fake_trials.helpers import finished


def _run(tmp_path, name: str, preload: bool, src: str = "leftover_threads.py") -> tuple[dict, str]:
    spec = fake_function_spec(
        tmp_path,
        src,
        name,
        {"name": "threads", "iterations": 1},  # by the default method: x is not what counts
        preload=preload,
        kill_grace=0.3,
        auto_kill_max_time=20,  # a trial that waits for its threads is killed
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    results = tmp_path / "results" / "threads"
    return finished(results)[1], (results / "logs" / "trial_1.log").read_text()


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "fresh"])
def test_a_thread_that_never_ends_does_not_hold_the_trial(tmp_path, preload):
    trial, log = _run(tmp_path, "stuck_thread", preload)
    assert trial["state"] == "ok" and trial["loss"] is not None
    assert "its threads (stuck) still ran 0.3 s later (kill_grace)" in log


def test_an_open_thread_pool_ends_with_the_trial_as_in_any_interpreter(tmp_path):
    trial, log = _run(tmp_path, "open_pool", preload=True)
    assert trial["state"] == "ok"
    assert "still ran" not in log  # its workers ended as the process exited: nothing was cut


@pytest.mark.parametrize("name", ["train", "train_leaving_a_thread"])
def test_a_finalizer_that_never_returns_does_not_cost_the_result(tmp_path, name):
    """Past the point where the interpreter's exit took the bootstrap's SIGALRM handler away,
    its timer's signal ends the process by itself: the function had returned, it is ok. So it
    does when a thread the function left ended first (the bootstrap's thread that waits for
    threads runs no more then): without the timer, the trial waited for the finalizer."""
    trial, log = _run(tmp_path, name, preload=False, src="hang_at_exit.py")
    assert trial["state"] == "ok" and trial["loss"] == 0.5, trial
    assert "its process had not ended 0.3 s later (kill_grace" in log
