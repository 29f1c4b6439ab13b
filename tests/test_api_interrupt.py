"""Ctrl-C in a script that runs hypermax.optimize: the trials are recorded, the script stops."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from fake_trials.helpers import (
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    at_default_signals,
    finished,
    wait_until,
)

import hypermax

SCRIPT = textwrap.dedent(
    """
    import os, time, hypermax

    def slow(params):
        open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
        time.sleep(60)
        return 1.0

    try:
        hypermax.optimize(
            slow, space={"x": "0:1"}, iterations=4, parallel=2, results_dir="out", preload=False
        )
    except KeyboardInterrupt as exc:
        print("KeyboardInterrupt:", exc.result.reason, len(exc.result.trials), flush=True)
        raise
    print("went on after the search", flush=True)
    """
)


def test_ctrl_c_records_the_trials_interrupted_and_raises_keyboard_interrupt(tmp_path):
    script = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=at_default_signals,
    )
    try:
        trials = tmp_path / "out" / "slow" / "trials"
        wait_until(lambda: len(list(trials.glob("*/running"))) == 2, 30, "two running trials")
        script.send_signal(signal.SIGINT)
        out, err = script.communicate(timeout=30)
    finally:
        script.kill()
    assert "went on after the search" not in out
    assert "KeyboardInterrupt: interrupted 2" in out, err
    last = err.rstrip().splitlines()[-1]
    assert last == (
        f"hypermax.api.SearchInterrupted: the search in {tmp_path / 'out' / 'slow'} was "
        "interrupted: its trials are recorded, and optimize() with the same arguments resumes it"
    ), err
    assert script.returncode != 0
    states = [r["state"] for r in finished(tmp_path / "out" / "slow").values()]
    assert states == ["interrupted", "interrupted"]


IN_A_THREAD = textwrap.dedent(
    """
    import glob, os, signal, sys, threading, time, hypermax

    STUBBORN = sys.argv[1] == "ctrl-c"

    def slow(params):
        folder = os.environ["HYPERMAX_TRIAL_DIR"]
        if STUBBORN:  # it takes its time to stop (kill_grace 60), unless Ctrl-C comes again
            signal.signal(signal.SIGTERM, lambda *_: open(f"{folder}/term", "w").close())
        open(os.path.join(folder, "running"), "w").close()
        while True:
            time.sleep(60)

    def search():
        hypermax.optimize(
            slow, space={"x": "0:1"}, iterations=4, parallel=2, results_dir="out", preload=False,
            kill_grace=60,
        )

    thread = threading.Thread(target=search, daemon=sys.argv[1] == "daemon")
    thread.start()
    if sys.argv[1] == "daemon":  # the program ends without waiting for its daemon thread
        while len(glob.glob("out/slow/trials/*/running")) < 2:
            time.sleep(0.02)
    else:  # Ctrl-C interrupts the join
        thread.join()
    """
)


@pytest.mark.parametrize("how", ["ctrl-c", "daemon"])
def test_a_search_in_another_thread_ends_with_the_program_its_trials_recorded(
    tmp_path, marker, how
):
    script = subprocess.Popen(
        [sys.executable, "-c", IN_A_THREAD, how],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, MARKER_ENV: marker},
        preexec_fn=at_default_signals,
    )
    try:
        trials = tmp_path / "out" / "slow" / "trials"
        wait_until(lambda: len(list(trials.glob("*/running"))) == 2, 30, "two running trials")
        if how == "ctrl-c":
            script.send_signal(signal.SIGINT)
            wait_until(lambda: len(list(trials.glob("*/term"))) == 2, 30, "the trials' SIGTERM")
            script.send_signal(signal.SIGINT)  # again: no grace
        out, err = script.communicate(timeout=30)
    finally:
        script.kill()
    assert "search ended (interrupted)" in out, err
    states = [r["state"] for r in finished(tmp_path / "out" / "slow").values()]
    assert states == ["interrupted", "interrupted"]
    assert_none_alive(marker)


AFTER_THE_SEARCH = textwrap.dedent(
    """
    import atexit, glob, os, sys, threading, time, hypermax

    def slow(params):
        open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
        time.sleep(600)

    def search():
        try:
            hypermax.optimize(
                slow, space={"x": "0:1"}, iterations=2, parallel=2, results_dir="out",
                preload=False,
            )
        finally:
            open("after", "w").close()

    thread = threading.Thread(target=search, daemon=sys.argv[1] == "daemon")

    def parked():
        frame = sys._current_frames().get(thread.ident)
        while frame is not None and frame.f_code.co_name != "left_behind_by_exit":
            frame = frame.f_back
        return frame is not None

    def until_the_thread_went_on_or_stays():  # atexit: once the exit interrupted the search
        while not os.path.exists("after") and not parked():
            time.sleep(0.02)

    atexit.register(until_the_thread_went_on_or_stays)
    thread.start()
    if sys.argv[1] == "daemon":
        while len(glob.glob("out/slow/trials/*/running")) < 2:
            time.sleep(0.02)
    else:  # Ctrl-C interrupts the join
        thread.join()
    """
)


@pytest.mark.parametrize("how", ["ctrl-c", "daemon"])
def test_the_code_after_a_search_the_program_ends_without_does_not_run(tmp_path, marker, how):
    """Its SearchInterrupted was printed, or cut off midway, as the interpreter went down."""
    script = subprocess.Popen(
        [sys.executable, "-c", AFTER_THE_SEARCH, how],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, MARKER_ENV: marker},
        preexec_fn=at_default_signals,
    )
    try:
        trials = tmp_path / "out" / "slow" / "trials"
        wait_until(lambda: len(list(trials.glob("*/running"))) == 2, 30, "two running trials")
        if how == "ctrl-c":
            script.send_signal(signal.SIGINT)
        out, err = script.communicate(timeout=30)
    finally:
        script.kill()
    assert "search ended (interrupted)" in out, err
    assert not (tmp_path / "after").exists()
    assert "SearchInterrupted" not in err, err
    states = [r["state"] for r in finished(tmp_path / "out" / "slow").values()]
    assert states == ["interrupted", "interrupted"]
    assert_none_alive(marker)


def _waits_for_release(params):
    folder = os.environ["HYPERMAX_TRIAL_DIR"]
    open(os.path.join(folder, "running"), "w").close()
    while not os.path.exists(os.path.join(folder, "..", "..", "release")):
        time.sleep(0.02)
    return params["x"]


def _nothing():
    pass


def test_a_child_forked_while_a_search_runs_in_a_thread_ends_without_waiting_for_it(tmp_path):
    search = threading.Thread(
        target=hypermax.optimize,
        args=(_waits_for_release,),
        kwargs={"space": {"x": [1]}, "iterations": 1, "results_dir": tmp_path, "kill_grace": 60},
    )
    search.start()
    try:
        trials = tmp_path / "_waits_for_release" / "trials"
        wait_until(lambda: list(trials.glob("*/running")), 30, "the running trial")
        child = multiprocessing.get_context("fork").Process(target=_nothing)
        child.start()
        child.join(30)  # before: it waited kill_grace + 10 s for the parent's search to end
        ended = child.exitcode
        child.kill()
    finally:
        (tmp_path / "_waits_for_release" / "release").touch()
        search.join(30)
    assert ended == 0
    states = [r["state"] for r in finished(tmp_path / "_waits_for_release").values()]
    assert states == ["ok"]


class _ProgramTimeout(Exception):
    """What a program's own SIGALRM handler raises (a test runner's timeout)."""


def _waits(params):
    open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
    while True:
        time.sleep(0.05)


def test_an_error_a_handler_of_the_program_raises_stops_the_search_first(tmp_path):
    def timeout(signum, frame):
        raise _ProgramTimeout("the program's timeout")

    def alarm_once_running():
        wait_until(lambda: list(tmp_path.glob("_waits/trials/*/running")), 30, "the trial")
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR2)

    # threads of hypermax this process had before (a host that trials run by run_trial share,
    # kept for the next) are not the search's
    earlier = {t for t in threading.enumerate() if t.name.startswith("hypermax")}
    before = signal.signal(signal.SIGUSR2, timeout)
    try:
        threading.Thread(target=alarm_once_running, daemon=True).start()
        with pytest.raises(_ProgramTimeout):  # before: hypermax.errors.Crashed
            hypermax.optimize(
                _waits,
                space={"x": [1]},
                iterations=1,
                results_dir=tmp_path,
                kill_grace=0.2,
                auto_kill_max_time=30,
            )
    finally:
        signal.signal(signal.SIGUSR2, before)
    # before: its trial ran on, unrecorded, with the search's threads, after optimize() raised
    left = [t for t in threading.enumerate() if t.name.startswith("hypermax")]
    assert [t.name for t in left if t not in earlier] == []
    states = [r["state"] for r in finished(tmp_path / "_waits").values()]
    assert states == ["interrupted"]


#: a program that ignores Ctrl-C (a job a shell script starts in the background, a process
#: pool's worker), its one trial waiting for the file ``go``
IGNORING_CTRL_C = textwrap.dedent(
    """
    import os, signal, time, hypermax

    def waits(params):
        open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "running"), "w").close()
        while not os.path.exists(os.path.join(os.environ["GO_DIR"], "go")):
            time.sleep(0.01)
        return 1.0

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = hypermax.optimize(
        waits, space={"x": "0:1"}, iterations=1, results_dir="out", preload=False
    )
    print([t["state"] for t in result.trials], flush=True)
    """
)


def _ignored_by(pid: int) -> int:
    """The mask of the signals process ``pid`` ignores (SigIgn of its /proc status)."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn:"))


def test_a_program_that_ignores_ctrl_c_keeps_ignoring_it_while_its_search_runs(tmp_path):
    """hypermax put its own SIGINT handler in place of the program's SIG_IGN: the Ctrl-C that a
    shell script's background job, or a pool's worker, must not take interrupted its search."""
    script = subprocess.Popen(
        [sys.executable, "-c", IGNORING_CTRL_C],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GO_DIR": str(tmp_path)},
    )
    try:
        trials = tmp_path / "out" / "waits" / "trials"
        wait_until(lambda: list(trials.glob("*/running")), 30, "the running trial")
        assert _ignored_by(script.pid) >> (signal.SIGINT - 1) & 1
        script.send_signal(signal.SIGINT)
        (tmp_path / "go").write_text("")
        out, err = script.communicate(timeout=30)
    finally:
        script.kill()
    assert script.returncode == 0, err
    assert out.splitlines()[-1] == "['ok']", out


#: a search of the plugin optimizer whose first import gets a Ctrl-C, run twice
CTRL_C_AS_IT_STARTS = textwrap.dedent(
    """
    import sys, hypermax

    def f(params):
        return params["x"]

    for _ in range(2):
        try:
            result = hypermax.optimize(
                f, space={"x": [1, 2]}, iterations=2, method="ctrl_c_at_import:Grid",
                results_dir="out",
            )
            print("=", result.reason, [t["state"] for t in result.trials])
        except KeyboardInterrupt as exc:
            print("=", type(exc).__name__, "Grid" in dir(sys.modules.get("ctrl_c_at_import")))
    """
)


def test_a_ctrl_c_as_the_search_is_put_together_interrupts_it_not_an_import(tmp_path):
    """A Ctrl-C in the first seconds of optimize(), as the search imports what it needs,
    raised KeyboardInterrupt in the middle of that import: optuna's, left half made in the
    program, crashed each later search there (``module 'optuna.pruners' has no attribute
    '_filter_study'``). It now interrupts the search as it starts, the import whole."""
    path = os.pathsep.join([str(FAKES), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_AS_IT_STARTS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": path, "CTRL_C_ONCE": str(tmp_path / "once")},
        preexec_fn=at_default_signals,
    )
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stdout.splitlines() if line.startswith("= ")]
    assert said == ["= SearchInterrupted True", "= iterations done ['ok', 'ok']"], done.stderr
