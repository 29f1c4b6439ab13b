"""A trial so short that it ended before hypermax began to watch it still has what it left
running killed: a preloaded trial can outrun the thread that starts it, and its server reaps
it at once, so there is no process left to read when the watch begins."""

from __future__ import annotations

from pathlib import Path

import psutil
from fake_trials.functions import PROGRAM_ENV
from fake_trials.helpers import MARKER_ENV, pid_alive, wait_until
from runner_contract import GRACE, RunnerContract, python_function

from hypermax.execution.launch import LaunchedProcess, Launcher, LaunchRequest
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import Proposal, TrialState


class _WatchedLate(Launcher):
    """Starts each trial with ``inner`` and returns only once the trial's daemon is up and its
    main process has ended and been reaped: the runner then watches a trial that is over."""

    def __init__(self, inner: Launcher) -> None:
        self.inner = inner

    def launch(self, request: LaunchRequest) -> LaunchedProcess:
        process = self.inner.launch(request)
        daemon = Path(request.env["HYPERMAX_TRIAL_DIR"], "daemon")
        wait_until(daemon.exists, 30, "the trial's daemon")
        wait_until(lambda: not psutil.pid_exists(process.pid), 30, "the trial to be reaped")
        return process

    def close(self) -> None:
        self.inner.close()


def test_what_a_trial_over_before_its_watch_left_running_is_killed(tmp_path, marker):
    env = {PROGRAM_ENV: "daemon", MARKER_ENV: marker}
    function = FunctionSpec(**python_function("run_program", env=env, kill_grace=GRACE))
    runner = LocalRunner(function, tmp_path, launcher=_WatchedLate(PreloadLauncher(str(tmp_path))))
    try:
        trial_dir = tmp_path / "trials" / "1"
        runner.submit(Proposal(1, {}, {}), trial_dir, tmp_path / "logs" / "trial_1.log")
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK
    daemon = int((trial_dir / "daemon").read_text())
    assert not pid_alive(daemon)  # before: it outlived the search, holding the trial's output
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    assert f"the trial left processes running: SIGTERM to {daemon}" in log
