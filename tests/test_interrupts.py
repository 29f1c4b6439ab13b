"""Ctrl-C ends a search at once: while its preload server still imports the objective, while it
waits for a Dask scheduler that is not there, and when pressed again while trials that ignore
SIGTERM are in their grace."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
from conftest import X_SPACE, fake_function_spec
from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    fake,
    finished,
    pid_alive,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)


def test_ctrl_c_while_the_objective_is_imported_interrupts_the_search_and_its_server(
    tmp_path, marker
):
    importing, release = tmp_path / "importing", tmp_path / "release"  # release: never written
    spec = fake_function_spec(
        tmp_path,
        "slow_import.py",
        "f",
        {"name": "loading", "iterations": 4},  # by the default method: x is not what counts
        parallel=2,
        env={
            MARKER_ENV: marker,
            "SLOW_IMPORT_STARTED": str(importing),
            "SLOW_IMPORT_RELEASE": str(release),
        },
    )
    hypermax = start_hypermax(spec)
    try:
        wait_until(importing.exists, 30, "the trial server to import the objective")
        server = int(importing.read_text())
        hypermax.send_signal(signal.SIGINT)
        # without the interrupt reaching the start under way, hypermax would wait for the
        # import (here: for ever; at most function's start timeout, 300 s)
        _, stderr = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
    assert hypermax.returncode == 130, stderr
    results = tmp_path / "results" / "loading"
    ended = finished(results)
    assert ended and set(ended) == set(started(results))  # every trial begun has its record
    assert {r["state"] for r in ended.values()} == {"interrupted"}  # they run again on resume
    assert not pid_alive(server)
    assert_none_alive(marker)


def test_a_second_ctrl_c_kills_the_trials_still_in_their_grace(tmp_path, marker):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {
                "type": "executable",
                "command": fake("ignore_sigterm"),
                "kill_grace": 300,
                "env": {MARKER_ENV: marker},
            },
            "search": {"name": "grace", "iterations": 2},  # the trials ignore x
        },
    )
    results = tmp_path / "results" / "grace"
    log = results / "logs" / "trial_1.log"
    hypermax = start_hypermax(spec)
    try:
        wait_until((results / "trials" / "1" / "up").exists, 30, "the trial to start")
        hypermax.send_signal(signal.SIGINT)
        wait_until(lambda: "SIGTERM to" in log.read_text(), 30, "the trial's SIGTERM")
        hypermax.send_signal(signal.SIGINT)  # without it: SIGKILL after the 300 s grace
        stdout, stderr = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
    assert hypermax.returncode == 130, stderr
    assert "interrupt again to kill them at once" in stdout + stderr
    assert finished(results)[1]["state"] == "interrupted"
    assert "interrupted again: SIGKILL to" in log.read_text()
    assert_none_alive(marker)


#: connect() as the command line calls it, with a Ctrl-C reaching Python even when this process
#: was started with SIGINT ignored (a background job of a script, as the suite may run)
CONNECT = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from hypermax.execution.dask_cluster import connect
from hypermax.spec import ClusterSpec
print("connecting", flush=True)
try:
    connect(ClusterSpec(scheduler=sys.argv[1], lost_scheduler_wait=60), "search.json")
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def _nowhere() -> str:
    """The address of a port where nothing listens (it was free a moment ago)."""
    pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        return f"tcp://127.0.0.1:{taken.getsockname()[1]}"


def test_ctrl_c_while_connecting_to_a_scheduler_that_is_not_there_ends_the_wait():
    address = _nowhere()
    # Ctrl-C at four moments of Dask's attempts to connect, which nothing outside it can see:
    # before, at about half of them, the half-made client's clean-up held the process until
    # Dask's own timeout (60 s)
    afters = (0.3, 0.6, 1.0, 1.3)
    argv = [sys.executable, "-c", CONNECT, address]
    waiting = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in afters]
    try:
        for process in waiting:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "connecting"
        began = time.monotonic()
        for process, after in zip(waiting, afters, strict=True):
            time.sleep(max(0.0, began + after - time.monotonic()))
            process.send_signal(signal.SIGINT)
        ended = [(p.wait(timeout=15), p.communicate()[0].strip()) for p in waiting]
    finally:
        for process in waiting:
            process.kill()
    assert ended == [(0, "interrupted")] * len(afters)


#: Before CONNECT: Ctrl-C to the connecting thread, not the main one, as the kernel may hand it.
TO_THE_CONNECTING_THREAD = """
import signal, threading, time

def ctrl_c_to_the_connecting_thread():
    while True:
        found = [t for t in threading.enumerate() if t.name == "hypermax-dask-connect"]
        if found:
            time.sleep(0.2)  # well inside Dask's attempts
            signal.pthread_kill(found[0].ident, signal.SIGINT)
            return
        time.sleep(0.01)

threading.Thread(target=ctrl_c_to_the_connecting_thread, daemon=True).start()
"""


def test_a_ctrl_c_that_another_thread_receives_ends_the_wait_for_a_scheduler():
    """Only the thread the kernel hands a signal to wakes: a single long wait in the main
    thread held it until the wait's end (60 s)."""
    argv = [sys.executable, "-c", TO_THE_CONNECTING_THREAD + CONNECT, _nowhere()]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.split()) == (0, ["connecting", "interrupted"]), done.stderr


def test_a_trial_killed_by_another_as_the_search_is_interrupted_is_interrupted(tmp_path, marker):
    """A service manager's stop, or an outer hypermax's kill ladder, sends SIGTERM to hypermax
    and to its trials at once: a trial that dies of it before hypermax began to stop it was
    interrupted with the search, not failed, and runs again on resume. Here the interrupt is
    asked, then the trial SIGTERMed and its end taken in by the runner, all before the driver's
    loop carries out the interrupt (the trial's start is told to a reporter, in that loop)."""
    from hypermax.events import Command, TrialStarted
    from hypermax.search import build_driver
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    go = tmp_path / "go"  # never written: only a signal ends the trial
    path = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {
                "type": "executable",
                "command": fake("wait_for_go"),
                "env": {MARKER_ENV: marker, "GO_FILE": str(go)},
                "kill_grace": 30,
            },
            "search": {"name": "outside", "iterations": 1},
        },
    )

    class KillFromOutside:
        def handle(self, event: object) -> None:
            if not isinstance(event, TrialStarted):
                return
            ids = driver.runner.process_ids(event.trial.id)
            assert ids is not None
            driver.request(Command.INTERRUPT)
            os.kill(ids[0], signal.SIGTERM)
            wait_until(lambda: driver.runner.running() == 0, 30, "the trial's end")

    prepared = prepare(load_spec(path))
    try:
        driver, journal = build_driver(prepared, [KillFromOutside()])
        with journal:
            outcome = driver.run()
    finally:
        prepared.folder.unlock()
    assert outcome.interrupted
    trial = finished(tmp_path / "results" / "outside")[1]
    assert trial["state"] == "interrupted", trial
    assert trial["reason"] == "interrupted: ended by signal SIGTERM"
    assert_none_alive(marker)


@pytest.mark.parametrize("preload", [True, False])
def test_a_python_trial_ctrl_c_reached_as_the_search_is_interrupted_is_interrupted(
    tmp_path, marker, preload
):
    """A SIGINT that reaches a ``python_function`` trial as the search is interrupted (a second
    Ctrl-C to every process, a service manager's stop) raises KeyboardInterrupt in its
    function: the trial ends by SIGINT, as Python does, and is interrupted with the search, as
    an executable is, not ``failed: KeyboardInterrupt``."""
    from hypermax.events import Command, TrialStarted
    from hypermax.search import build_driver
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    path = fake_function_spec(
        tmp_path,
        "functions.py",
        "sleep_forever",
        {"name": "ctrl_c", "iterations": 1},
        env={MARKER_ENV: marker},
        kill_grace=30,
        preload=preload,
    )
    up = tmp_path / "results" / "ctrl_c" / "trials" / "1" / "up"

    class CtrlCFromOutside:
        def handle(self, event: object) -> None:
            if not isinstance(event, TrialStarted):
                return
            wait_until(up.exists, 30, "the trial's function to run")
            driver.request(Command.INTERRUPT)
            os.kill(int(up.read_text()), signal.SIGINT)
            wait_until(lambda: driver.runner.running() == 0, 30, "the trial's end")

    prepared = prepare(load_spec(path))
    try:
        driver, journal = build_driver(prepared, [CtrlCFromOutside()])
        with journal:
            outcome = driver.run()
    finally:
        prepared.folder.unlock()
    assert outcome.interrupted
    trial = finished(tmp_path / "results" / "ctrl_c")[1]
    assert trial["state"] == "interrupted", trial
    assert trial["reason"].startswith("interrupted: ended by signal SIGINT"), trial
    assert_none_alive(marker)


def test_a_trial_lost_with_its_server_as_the_search_is_interrupted_is_not_said_to_run_again(
    tmp_path, marker
):
    """The preload server killed with hypermax (a service manager's stop): its trial, lost with
    it, is interrupted and runs again on resume, not in this search, which is ending: the
    console does not say it runs again."""
    from hypermax.events import Command, Message, TrialStarted
    from hypermax.search import build_driver
    from hypermax.search_folder import prepare
    from hypermax.spec import load_spec

    path = fake_function_spec(
        tmp_path,
        "functions.py",
        "sleep_forever",
        {"name": "lost", "iterations": 2},
        env={MARKER_ENV: marker},
    )
    messages: list[str] = []

    class KillTheServer:
        def handle(self, event: object) -> None:
            if isinstance(event, Message):
                messages.append(event.text)
            if not isinstance(event, TrialStarted):
                return
            ids = driver.runner.process_ids(event.trial.id)
            assert ids is not None
            server = psutil.Process(ids[0]).ppid()
            driver.request(Command.INTERRUPT)
            os.kill(server, signal.SIGKILL)
            wait_until(lambda: driver.runner.running() == 0, 30, "the trial's end")

    prepared = prepare(load_spec(path))
    try:
        driver, journal = build_driver(prepared, [KillTheServer()])
        with journal:
            outcome = driver.run()
    finally:
        prepared.folder.unlock()
    assert outcome.interrupted
    trial = finished(tmp_path / "results" / "lost")[1]
    assert trial["state"] == "interrupted", trial
    assert trial["reason"].startswith("lost with its preload server"), trial
    assert not [text for text in messages if "running it again" in text], messages
    assert_none_alive(marker)
