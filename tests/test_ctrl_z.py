"""Ctrl-Z (SIGTSTP) stops the running trials with hypermax, and fg or bg (SIGCONT) continues
them; the time they spent stopped counts towards neither their time limit nor their time, nor
the search's timeout.

Trials lead sessions of their own, so a terminal's Ctrl-Z reaches only hypermax's process
group; here the test sends SIGTSTP to hypermax, started in a process group of its own inside
the test's session, as a shell with job control starts it.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import fake_function_spec
from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    fake_search,
    finished,
    hypermax_argv,
    is_stopped,
    started,
    wait_until,
    write_spec,
)
from runner_contract import OUTCOME_TIMEOUT, RunnerContract, executable
from test_dashboard_e2e import TMUX, TmuxTerminal, hypermax_command

from hypermax import clock
from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import TrialState

#: long enough for the trials' start and end on a loaded machine (at 2 s a busy machine's
#: start-up alone ran the search's timeout out), short enough to stand still for longer
TIME_LIMIT = 4.0


def _as_a_job(spec: Path, folder: Path) -> subprocess.Popen[str]:
    """``hypermax SPEC`` in a process group of its own, as a shell's job control starts it."""
    return subprocess.Popen(
        hypermax_argv(spec),
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    )


def test_ctrl_z_stops_the_trials_with_hypermax_and_fg_continues_them(tmp_path, marker):
    go = tmp_path / "go"
    search = fake_search(
        "wait_for_go", marker, "ctrlz", 2, go=go, parallel=2, auto_kill_max_time=TIME_LIMIT
    )
    search["search"]["timeout"] = TIME_LIMIT  # the time stopped counts not towards it either
    spec = write_spec(tmp_path, search)
    results = tmp_path / "results" / "ctrlz"
    hypermax = _as_a_job(spec, tmp_path)
    try:
        ups = [results / "trials" / str(i) / "up" for i in (1, 2)]
        wait_until(
            lambda: len(started(results)) == 2 and all(u.exists() for u in ups), 30, "trials"
        )
        trials = [int(up.read_text()) for up in ups]
        hypermax.send_signal(signal.SIGTSTP)
        wait_until(lambda: is_stopped(hypermax.pid), 10, "hypermax to stop")
        # before: they ran on, hypermax stopped (a SIGSTOP takes effect once its process runs)
        wait_until(lambda: all(is_stopped(pid) for pid in trials), 5, "the trials to stop")
        time.sleep(TIME_LIMIT)  # stopped for longer than the trials' time limit
        hypermax.send_signal(signal.SIGCONT)
        wait_until(lambda: not any(is_stopped(pid) for pid in trials), 10, "the trials to go on")
        go.write_text("")
        out, err = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert hypermax.returncode == 0, err
    assert "stopped, with 2 trials running; fg or bg continues" in out + err
    assert "search ended (iterations done)" in out
    elapsed = [int(seconds) for seconds in re.findall(r"elapsed (\d+)s", out)]
    assert elapsed and max(elapsed) < TIME_LIMIT  # the time it stood still is not shown either
    ended = finished(results)
    assert [record["state"] for record in ended.values()] == ["ok", "ok"]  # not killed for time
    assert all(record["time"] < TIME_LIMIT for record in ended.values())
    assert_none_alive(marker)


def test_ctrl_z_without_job_control_leaves_the_trials_running_and_says_so(tmp_path, marker):
    """Without job control (a terminal's ``sh -c``, ``docker run -it``: hypermax's process
    group is orphaned) the kernel drops Ctrl-Z's stop: hypermax goes on, and so do its trials,
    rather than say they stopped and that fg or bg continues them, which no shell could."""
    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "orphan", 1, go=go))
    results = tmp_path / "results" / "orphan"
    hypermax = subprocess.Popen(  # a session of its own: no shell of its session continues it
        hypermax_argv(spec),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until((results / "trials" / "1" / "up").exists, 30, "the trial to start")
        hypermax.send_signal(signal.SIGTSTP)
        assert hypermax.stdout is not None
        said = [hypermax.stdout.readline()]  # the search's first line
        said.append(hypermax.stdout.readline())  # what Ctrl-Z did
        go.write_text("")
        out, err = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert hypermax.returncode == 0, err
    assert said[1] == (
        "hypermax: not stopped: hypermax runs without job control here (no shell could continue"
        " it); the search goes on\n"
    )
    assert "fg or bg continues" not in out + err
    assert [record["state"] for record in finished(results).values()] == ["ok"]
    assert_none_alive(marker)


def test_ctrl_z_while_the_objective_is_imported_stops_hypermax_at_once(tmp_path, marker):
    """The start of the first trial waits for the preload server to import the objective (a
    large model or dataset can take minutes): Ctrl-Z stops hypermax at once all the same."""
    importing, release = tmp_path / "importing", tmp_path / "release"
    spec = fake_function_spec(
        tmp_path,
        "slow_import.py",
        "f",
        {"name": "loading", "iterations": 1},
        env={
            MARKER_ENV: marker,
            "SLOW_IMPORT_STARTED": str(importing),
            "SLOW_IMPORT_RELEASE": str(release),
        },
    )
    hypermax = _as_a_job(spec, tmp_path)
    try:
        wait_until(importing.exists, 30, "the trial server to import the objective")
        hypermax.send_signal(signal.SIGTSTP)
        wait_until(lambda: is_stopped(hypermax.pid), 10, "hypermax to stop")  # not the import
        release.write_text("")  # the import ends while hypermax is stopped
        hypermax.send_signal(signal.SIGCONT)
        out, err = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert hypermax.returncode == 0, err
    assert "stopped, with 0 trials running; fg or bg continues" in out
    assert [r["state"] for r in finished(tmp_path / "results" / "loading").values()] == ["ok"]
    assert_none_alive(marker)


def test_a_trial_stopped_as_it_starts_stops_once_it_is_watched(tmp_path, marker, monkeypatch):
    """Ctrl-Z after a trial's process started and before the runner follows it (the thread
    that starts it can lag far behind the process on a loaded machine): the trial counts among
    those stopped, stops at once, continues with hypermax, and stops again as it is handed over
    if a stop is on then. Before, it ran on, uncounted, while hypermax was stopped; then it ran
    on until its hand-over, which a thread stopped with hypermax (``bg``, then the terminal's
    SIGTTOU) could not make. Here the hand-over is held until the second stop came."""
    go = tmp_path / "go"
    function = FunctionSpec(
        **executable("wait_for_go", env={MARKER_ENV: marker, "GO_FILE": str(go)})
    )
    runner = LocalRunner(function, tmp_path)
    stopped, handing_over, handed_over = threading.Event(), threading.Event(), threading.Event()
    follow = runner.host.follow

    def held(*args: Any, **kwargs: Any) -> Any:
        handing_over.set()  # its start returned: the process is the runner's
        stopped.wait(OUTCOME_TIMEOUT)
        try:
            return follow(*args, **kwargs)
        finally:
            handed_over.set()

    monkeypatch.setattr(runner.host, "follow", held)
    ended = threading.Event()

    def search() -> None:  # starts the trial, and lives as long as it (its parent-death signal)
        RunnerContract.submit(runner, tmp_path, 1)
        ended.wait(OUTCOME_TIMEOUT)

    driver = threading.Thread(target=search)
    try:
        driver.start()
        (pid,) = RunnerContract.up(tmp_path / "trials" / "1")
        # its process may write ``up`` before the thread that starts it hears that it started
        assert handing_over.wait(OUTCOME_TIMEOUT), "the trial's hand-over"
        assert runner.pause() == 1
        wait_until(lambda: is_stopped(pid), 10, "the trial to stop before its hand-over")
        runner.unpause()
        wait_until(lambda: not is_stopped(pid), 10, "the trial to go on, not handed over yet")
        assert runner.pause() == 1
        stopped.set()
        assert handed_over.wait(OUTCOME_TIMEOUT), "the trial's hand-over"
        wait_until(lambda: is_stopped(pid), 10, "the trial to stay stopped once handed over")
        runner.unpause()
        assert not is_stopped(pid)
        go.write_text("")
        outcome, _ = RunnerContract.outcome(runner, 1)
    finally:
        stopped.set()
        ended.set()
        driver.join()
        runner.close()
    assert outcome.state is TrialState.OK, outcome.reason
    assert_none_alive(marker)


def test_the_clock_stands_still_from_the_stop_until_hypermax_runs_again():
    """Continued, the other threads (the search's) may run before the one that stopped hypermax
    has counted the time it stood still: until then, they see the clock stand still, not that
    time on it (a search timeout that passed)."""
    with clock.standing_still():
        stopped = clock.awake()
        time.sleep(0.05)  # stopped, then continued: the other threads run first
        assert clock.awake() == stopped
    assert clock.awake() >= stopped


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
@pytest.mark.timeout(90)
def test_under_stty_tostop_bg_stops_hypermax_with_its_trials_until_fg(tmp_path, marker):
    """A terminal set to ``stty tostop`` stops a job in its background that writes there
    (SIGTTOU): hypermax, continued by bg, says that it continued, and is stopped so; its trials
    stop with it (they ran on unwatched), and fg continues them all."""
    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "tostop", 1, go=go))
    results = tmp_path / "results" / "tostop"
    terminal = TmuxTerminal(tmp_path)
    try:
        terminal.start("bash --norc --noprofile -i", tmp_path)  # a shell with job control
        terminal.keys(
            f"set -b; stty tostop; {hypermax_command()} {shlex.quote(str(spec))} --no-ui", "Enter"
        )
        up = results / "trials" / "1" / "up"
        wait_until(up.exists, 30, "the trial to start")
        trial = int(up.read_text())
        terminal.keys("C-z")
        terminal.wait_for(lambda s: "Stopped" in s, "the shell to say hypermax stopped")
        terminal.keys("bg", "Enter")
        # set -b: the shell says at once that its job stopped, the second time by the terminal
        terminal.wait_for(lambda s: s.count("Stopped") == 2, "hypermax stopped by the terminal")
        # it ran on, unwatched; its SIGSTOP takes effect once it runs, which a loaded machine
        # may put off after hypermax stopped
        wait_until(lambda: is_stopped(trial), 10, "the trial to stop")
        terminal.keys("fg", "Enter")
        terminal.wait_for(lambda s: "continued 1 trial" in s, "hypermax to go on")
        assert not is_stopped(trial)
        go.write_text("")
        terminal.wait_for(lambda s: "search ended" in s, "the end of the search")
        terminal.keys(f"echo $? > {shlex.quote(str(terminal.exit_file))}", "Enter")
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
    assert [record["state"] for record in finished(results).values()] == ["ok"]
    assert_none_alive(marker)
