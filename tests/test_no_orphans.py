"""No process of a trial outlives it: not when hypermax is stopped, not when it is SIGKILLed.

Layers, each tested here: the parent-death signal and the lifeline pipe (the kernel kills the
trial's process group when hypermax dies), the guardian process (kills what left the group),
the leftover sweep on the next start (kills what a journal names), and Ctrl-C/SIGTERM handling.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from fake_trials.functions import PROGRAM_ENV
from fake_trials.helpers import (
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    at_default_signals,
    fake,
    finished,
    kill_pid,
    pid_alive,
    run_hypermax,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)

from hypermax.execution import leftovers, protocol
from hypermax.results import ResultsFolder


def _family_search(marker: str, parallel: int = 2, launch: str = "executable") -> dict:
    """A search whose trials each start a family (a child and a setsid daemon) and wait.

    ``launch``: "executable", the family program as an executable; "function", the same program
    run inside ``python_function`` trials started fresh (they tie themselves to hypermax as they
    start); "preload", inside ``python_function`` trials forked from a preloaded server.
    """
    function: dict = {"type": "executable", "command": [sys.executable, str(FAKES / "family.py")]}
    env = {MARKER_ENV: marker}
    if launch != "executable":
        function = {"type": "python_function", "src": str(FAKES / "functions.py")}
        function.update(name="run_program", preload=launch == "preload")
        env[PROGRAM_ENV] = "family"
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {**function, "parallel": parallel, "kill_grace": 0.5, "env": env},
        "search": {"name": "family", "iterations": 10},  # x is not used: any method will do
    }


LAUNCHES = pytest.mark.parametrize("launch", ["executable", "function", "preload"])


def _family_pids(results: Path, trial_id: int) -> list[int]:
    up = results / "trials" / str(trial_id) / "up"
    return [int(pid) for pid in up.read_text().split()]


def _wait_for_two_families(results: Path) -> list[int]:
    def both_up() -> bool:
        ids = sorted(started(results))
        return len(ids) >= 2 and all((results / "trials" / str(i) / "up").exists() for i in ids[:2])

    wait_until(both_up, 30, "two trials to start their families")
    return [pid for i in sorted(started(results))[:2] for pid in _family_pids(results, i)]


@LAUNCHES
def test_sigkill_of_hypermax_during_a_parallel_search_leaves_no_trial_process(
    tmp_path, marker, launch
):
    spec = write_spec(tmp_path, _family_search(marker, launch=launch))
    hypermax = start_hypermax(spec)
    try:
        pids = _wait_for_two_families(tmp_path / "results" / "family")
        assert len(pids) == 6 and all(pid_alive(p) for p in pids)
        hypermax.send_signal(signal.SIGKILL)
        assert hypermax.wait(10) == -signal.SIGKILL
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert_none_alive(marker)  # main processes, their children and their setsid daemons


@LAUNCHES
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_interrupts_running_trials_and_exits_130(tmp_path, marker, sig, launch):
    spec = write_spec(tmp_path, _family_search(marker, launch=launch))
    hypermax = start_hypermax(spec)
    try:
        results = tmp_path / "results" / "family"
        _wait_for_two_families(results)
        hypermax.send_signal(sig)
        _, stderr = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
    assert hypermax.returncode == 130, stderr
    ended = finished(results)
    assert set(ended) == set(started(results))  # every started trial has its record
    assert all(r["state"] == "interrupted" for r in ended.values())
    assert_none_alive(marker)


def test_a_trial_left_running_by_a_crash_is_killed_on_the_next_start(tmp_path, marker):
    """Leftovers named by the journal are killed; processes that only look alike are not."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2, 3]}}},
            "function": {
                "type": "executable",
                "command": [sys.executable, "-c", "print(0.5)"],
                "env": {MARKER_ENV: marker},
            },
            "search": {"name": "left", "iterations": 5},  # x is not used: any method will do
        },
    )
    assert run_hypermax(spec, "--iterations", "1").returncode == 0
    results = tmp_path / "results" / "left"
    first = started(results)[1]
    env = {**os.environ, MARKER_ENV: marker}

    def spawn(name: str, trial_dir: Path, token: str = "") -> psutil.Process:
        trial_dir.mkdir(parents=True, exist_ok=True)
        extra = {"HYPERMAX_TRIAL_DIR": str(trial_dir), protocol.TOKEN_ENV: token}
        proc = subprocess.Popen(
            [sys.executable, str(FAKES / f"{name}.py")],
            env={**env, **extra},
            start_new_session=True,
        )
        wait_until(lambda: (trial_dir / "up").exists(), 10, f"{name} to start")
        return psutil.Process(proc.pid)

    # trial 2 "survived" a crash with its child and its setsid daemon
    family = spawn("family", results / "trials" / "2", token="token-of-trial-2")
    family_pids = [int(p) for p in (results / "trials" / "2" / "up").read_text().split()]
    # trial 3's main process died, but a grandchild of it lives on in its folder
    orphan = spawn("sleep_forever", results / "trials" / "3")
    # a process that is no trial's, named by a finished trial and by a pid-reused record
    bystander = spawn("sleep_forever", tmp_path / "not-a-trial")
    try:
        lines = [
            {**first, "id": 2, "pid": family.pid, "create_time": family.create_time()},
            {**first, "id": 3, "pid": None, "create_time": None},
            {**first, "id": 4, "pid": bystander.pid, "create_time": bystander.create_time()},
            {"event": "trial_finished", "id": 4, "state": "ok", "loss": 0.5},
            {**first, "id": 5, "pid": bystander.pid, "create_time": bystander.create_time() - 99},
        ]
        with open(results / "trials.jsonl", "a") as journal:
            journal.writelines(json.dumps(line) + "\n" for line in lines)

        proc = run_hypermax(spec)
        assert proc.returncode == 0, proc.stderr
        assert not any(pid_alive(pid) for pid in family_pids)
        assert not pid_alive(orphan.pid)
        assert pid_alive(bystander.pid)
        ended = finished(results)
        assert sorted(ended) == [1, 2, 3, 4, 5]  # 2, 3 and 5 ran again
        assert all(r["state"] == "ok" for r in ended.values())
    finally:
        kill_pid(bystander.pid)
    assert_none_alive(marker)


def test_unfinished_trial_processes_reads_the_journal():
    journal = [
        {"event": "header"},
        {"event": "trial_started", "id": 1, "pid": 10, "create_time": 1.5},
        {"event": "trial_started", "id": 2, "pid": 20, "create_time": 2.5},
        {"event": "trial_finished", "id": 1},
        {"event": "trial_started", "id": 3, "pid": None, "create_time": None},
        {"event": "trial_started", "id": 2, "pid": 21, "create_time": 3.5},  # run again
    ]
    assert leftovers.unfinished_trial_processes(journal) == [(21, 3.5)]
    assert leftovers.kill_leftover_trials([]) == []


def test_a_process_with_a_relative_trial_folder_is_no_leftover_seen_from_a_deleted_folder(
    tmp_path,
):
    # a program run by hand with HYPERMAX_TRIAL_DIR=trials/1: hypermax sets absolute ones
    env = {**os.environ, protocol.TRIAL_DIR_ENV: os.path.join("trials", "1")}
    other = subprocess.Popen(["sleep", "30"], env=env, stdin=subprocess.DEVNULL)
    gone = tmp_path / "gone"
    gone.mkdir()
    try:
        with contextlib.chdir(gone):
            gone.rmdir()  # hypermax started in a folder deleted since
            # before: FileNotFoundError resolving it, "cannot be written" for the results folder
            assert leftovers.kill_leftover_trials([], gone / "trials") == []
    finally:
        other.kill()
        other.wait()


def test_the_trials_of_the_search_a_folder_was_copied_from_are_no_leftovers(tmp_path, marker):
    """A copy of the results folder of a running search names that search's trials in its
    journal: resuming the copy killed them, and the search they ran in failed them."""
    original = ResultsFolder(tmp_path / "original")
    original.lock()  # a hypermax searches it now
    trial_dir = original.trial_dir(1)
    env = {**os.environ, MARKER_ENV: marker, protocol.TRIAL_DIR_ENV: str(trial_dir)}
    trial_dir.mkdir(parents=True)
    proc = subprocess.Popen(fake("sleep_forever"), env=env, start_new_session=True, cwd=trial_dir)
    try:
        wait_until((trial_dir / "up").exists, 10, "the trial to start")
        created = psutil.Process(proc.pid).create_time()
        record = {"event": "trial_started", "id": 1, "pid": proc.pid, "create_time": created}
        assert leftovers.kill_leftover_trials([record], tmp_path / "copy" / "trials") == []
        assert proc.poll() is None
        original.unlock()  # its hypermax gone (nor its lock file, that names it, left)
        (original.path / ".lock").unlink()  # then the trial is a leftover, of either folder
        assert leftovers.kill_leftover_trials([record], tmp_path / "copy" / "trials") == [proc.pid]
    finally:
        proc.kill()
        proc.wait()


def test_leftovers_are_killed_by_the_ladder_which_logs_each_step(tmp_path, marker, caplog):
    env = {**os.environ, MARKER_ENV: marker, protocol.TRIAL_DIR_ENV: str(tmp_path)}
    proc = subprocess.Popen(  # as hypermax started it: SIGTERM at its default action
        fake("sleep_forever"), env=env, start_new_session=True, preexec_fn=at_default_signals
    )
    wait_until((tmp_path / "up").exists, 10, "the leftover to start")
    created = psutil.Process(proc.pid).create_time()
    record = {"event": "trial_started", "id": 1, "pid": proc.pid, "create_time": created}
    with caplog.at_level(logging.INFO, logger="hypermax"):
        assert leftovers.kill_leftover_trials([record]) == [proc.pid]
    assert proc.wait(5) == -signal.SIGTERM
    grace = f"{leftovers.LEFTOVER_GRACE_SECONDS:g}"
    first = f"leftovers of an earlier hypermax: SIGTERM to {proc.pid}; SIGKILL after {grace} s"
    assert caplog.messages[0] == first
    assert caplog.messages[1].endswith(" s after SIGTERM")
    assert {r.levelno for r in caplog.records} == {logging.INFO}


# -- each layer on its own ------------------------------------------------------------------
RUNNER_THEN_DIE = """
import os, pathlib, sys, time
from hypermax.execution import guardian, local, tether
from hypermax.spec import FunctionSpec
from hypermax.trial import Proposal

layer = sys.argv[1]
if layer != "parent-death":
    tether._PRCTL = None
if layer != "lifeline":
    tether._F_SETSIG = None
if layer != "guardian":
    guardian.Guardian.start = lambda self: None
folder = pathlib.Path(sys.argv[2])
fn = FunctionSpec(type="executable", command=(sys.executable, sys.argv[3]),
                  env={"HYPERMAX_TEST_MARKER": sys.argv[4]})
runner = local.LocalRunner(fn, folder)
runner.submit(Proposal(1, {}, {}), folder / "trial", folder / "trial.log")
while not (folder / "trial" / "up").exists():
    time.sleep(0.01)
os._exit(0)  # no close(): as if hypermax were killed
"""


@pytest.mark.parametrize(
    ("layer", "survivors"),
    [
        ("parent-death", ["child", "daemon"]),  # only the main process had the signal
        ("lifeline", ["daemon"]),  # the whole process group, but the daemon left it
        ("guardian", []),  # everything it was told about, and every holder of the token
    ],
)
def test_each_layer_on_its_own_when_hypermax_dies(tmp_path, marker, layer, survivors):
    script = tmp_path / "runner.py"
    script.write_text(textwrap.dedent(RUNNER_THEN_DIE))
    subprocess.run(
        [sys.executable, str(script), layer, str(tmp_path), str(FAKES / "family.py"), marker],
        check=True,
        timeout=30,
    )
    main, child, daemon = (int(p) for p in (tmp_path / "trial" / "up").read_text().split())
    names = {"main": main, "child": child, "daemon": daemon}
    dead = [pid for name, pid in names.items() if name not in survivors]
    wait_until(lambda: not any(pid_alive(pid) for pid in dead), 5, f"{layer} to kill")
    assert all(pid_alive(names[name]) for name in survivors)
    for name in survivors:
        kill_pid(names[name])
    assert_none_alive(marker)


#: the child bootstrap, started by hand, running a function that writes ``up`` and sleeps
SLEEPING_BOOTSTRAP = [
    sys.executable,
    "-m",
    "hypermax.execution.child",
    *("--src", str(FAKES / "functions.py"), "--name", "sleep_forever"),
]


def _bootstrap_env(trial_dir: Path, marker: str, **extra: str) -> dict[str, str]:
    """The environment of a trial started by hand in ``trial_dir``, with ``extra``."""
    params = trial_dir / "params.json"
    params.write_text("{}")
    return {
        **os.environ,
        MARKER_ENV: marker,
        protocol.PARAMS_FILE_ENV: str(params),
        protocol.RESULT_FILE_ENV: str(trial_dir / "result.json"),
        protocol.TRIAL_DIR_ENV: str(trial_dir),
        **extra,
    }


def test_the_bootstrap_watches_an_unarmed_lifeline(tmp_path, marker):
    """Where the kernel cannot be asked, the child bootstrap's thread kills the trial's group."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        SLEEPING_BOOTSTRAP,
        env=_bootstrap_env(tmp_path, marker, **{protocol.LIFELINE_FD_ENV: str(read_end)}),
        pass_fds=(read_end,),
        start_new_session=True,
    )
    os.close(read_end)
    try:
        wait_until(lambda: (tmp_path / "up").exists(), 10, "the trial function to start")
        os.close(write_end)
        assert proc.wait(5) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()
    assert_none_alive(marker)


def test_a_function_trial_whose_hypermax_died_before_it_was_tied_exits_at_once(tmp_path, marker):
    """The bootstrap ties itself to hypermax (pid in HYPERMAX_PARENT_PID) and checks it is
    still its parent: a trial whose hypermax died before that never runs its function."""
    proc = subprocess.run(
        SLEEPING_BOOTSTRAP,
        # hypermax's pid is not its parent's: as if hypermax were gone
        env=_bootstrap_env(tmp_path, marker, **{protocol.PARENT_PID_ENV: "1"}),
        timeout=30,
        start_new_session=True,
    )
    assert proc.returncode == 1
    assert not (tmp_path / "up").exists() and not (tmp_path / "result.json").exists()
    assert_none_alive(marker)


_EIGHT_STARTS = textwrap.dedent(
    """
    import threading, psutil
    from hypermax.execution.guardian import Guardian
    host = Guardian()
    gate = threading.Barrier(8)
    def start():
        gate.wait()
        host.start()
    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # every child is a guardian: this process starts nothing else (and a child's command line
    # is still this one's until it has exec'd, which a loaded machine may not have done yet)
    guardians = psutil.Process().children()
    host.close()
    for child in guardians:  # the ones close() does not know of
        if child.is_running():
            child.kill()
    print(len(guardians))
    """
)


def test_trials_that_start_at_once_in_threads_share_one_guardian():
    """A Dask worker starts the trials of its tasks from as many threads: the host's guardian
    starts once for them all (each other one would live, unheard, as long as the worker).
    In a process of its own: none of the other tests' threads starts a guardian there."""
    ran = subprocess.run(
        [sys.executable, "-c", _EIGHT_STARTS], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["1"]


def test_a_fresh_trial_is_journaled_with_the_create_time_psutil_gives_its_process(
    tmp_path, monkeypatch
):
    """A resume finds what a crash left running by pid and create time, compared with
    psutil's: the create time a started trial is journaled with is psutil's figure for it."""
    from hypermax.execution.local import LocalRunner
    from hypermax.spec import FunctionSpec
    from hypermax.trial import Proposal

    monkeypatch.setenv("GO_FILE", str(tmp_path / "go"))
    wait = Path(__file__).parent / "fake_trials" / "wait_for_go.py"
    runner = LocalRunner(
        FunctionSpec(type="executable", command=(sys.executable, str(wait))), tmp_path
    )
    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "trial_1.log")
        ids = runner.process_ids(1)
        assert ids is not None
        pid, create_time = ids
        assert abs(psutil.Process(pid).create_time() - create_time) < 0.01
    finally:
        (tmp_path / "go").write_text("")
        runner.close()
