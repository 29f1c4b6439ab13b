"""Objectives that do odd things when imported, in trials forked from a preloaded server: each
trial sees what a fresh process that imported the objective would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

from conftest import run_hypermax_here
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

import hypermax
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState


def forked_outcomes(folder, function: FunctionSpec, trials: int) -> list[Outcome]:
    """The Outcomes of ``trials`` trials of ``function``, run one after the other (each once the
    one before ended) in processes forked from a preload server, which the test asserts."""
    launcher = PreloadLauncher(str(folder))
    runner = LocalRunner(function, folder, launcher=launcher)
    outcomes: list[Outcome] = []

    def ended(count: int) -> bool:
        outcomes.extend(event for event in runner.poll(0.5) if isinstance(event, Outcome))
        return len(outcomes) == count

    try:
        for trial_id in range(1, trials + 1):
            trial_dir = folder / "trials" / str(trial_id)
            runner.submit(Proposal(trial_id, {}, {}), trial_dir, folder / f"{trial_id}.log")
            wait_until(lambda count=trial_id: ended(count), 30, f"trial {trial_id}")
        assert launcher.server_pids()  # forked, not started fresh
    finally:
        runner.close()
    return outcomes


def test_what_the_import_did_to_the_environment_holds_in_every_forked_trial(tmp_path, marker):
    env = {
        MARKER_ENV: marker,
        "HYPERMAX_TEST_KEPT": "the spec's",  # the module's setdefault leaves it as it is
        "HYPERMAX_TEST_REMOVED_AT_IMPORT": "the spec's",
    }
    function = FunctionSpec(
        type="python_function", src=str(FAKES / "environ_at_import.py"), name="seen", env=env
    )
    outcomes = forked_outcomes(tmp_path, function, 2)  # the second from the spare forked after
    expected = ["set", "the spec's", None]
    for outcome in outcomes:
        assert outcome.state is TrialState.OK, outcome.reason
        assert outcome.result == {"loss": 0.5, "trial": expected, "child": str(expected)}
    assert_none_alive(marker)


def test_an_objective_named_hypermax_py_is_preloaded_and_guarded(tmp_path):
    # hypermax.py beside the spec, in the current folder: it came first on the sys.path of the
    # preload server and of the guardian, which could not import hypermax and did not start
    (tmp_path / "hypermax.py").write_text(
        "import os, sys, time, psutil\n"
        "def guarded(hypermax):  # the guardian starts as the first trial has started\n"
        "    deadline = time.monotonic() + 10\n"
        "    while time.monotonic() < deadline:\n"
        "        helpers = [' '.join(c.cmdline()) for c in hypermax.children()]\n"
        "        if any('execution.guardian' in c for c in helpers):\n"
        "            return True\n"
        "        time.sleep(0.02)\n"
        "    return False\n"
        "def train(params):\n"
        "    hypermax = psutil.Process(os.getppid()).parent()  # above the preload server\n"
        "    return {'loss': 0.5, 'forked': 'hypermax.execution.forkserver' in sys.modules,\n"
        "            'guarded': guarded(hypermax)}\n"
    )
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "src": "hypermax.py", "name": "train"},
        "search": {"method": "random", "iterations": 1},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    command = [sys.executable, "-P", "-m", "hypermax", "s.json", "--no-ui"]  # -P: hypermax's own
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    best = json.loads((tmp_path / "results" / "s" / "best.json").read_text())
    assert best["metadata"] == {"forked": True, "guarded": True}


def test_an_objective_importing_from_its_cwd_is_preloaded_as_a_fresh_trial_finds_it(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "helper.py").write_text("V = 0.25\n")  # found from the trial's cwd
    (tmp_path / "model.py").write_text(
        "import sys, helper\n"
        "def train(params):\n"
        "    return {'loss': helper.V, 'forked': 'hypermax.execution.forkserver' in sys.modules}\n"
    )
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "src": "model.py", "name": "train", "cwd": "work"},
        "search": {"method": "random", "iterations": 1},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    done = run_hypermax_here(tmp_path / "s.json")
    assert done.returncode == 0, done.stderr
    best = json.loads((tmp_path / "results" / "s" / "best.json").read_text())
    assert (best["loss"], best["metadata"]) == (0.25, {"forked": True})


def _half(params):
    return params["x"] / 2


def test_starting_the_server_leaves_no_file_unclosed(tmp_path, monkeypatch):
    # a program run with -W error saw "Exception ignored ... ResourceWarning: unclosed file"
    # for each server started (-X dev: a ResourceWarning)
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        result = hypermax.optimize(_half, space={"x": [0.5]}, iterations=1, results_dir=tmp_path)
    assert result.best_loss == 0.25
    assert unraisable == []


def test_an_import_past_its_time_is_stopped_at_once_and_the_trial_starts_fresh(
    tmp_path, marker, monkeypatch
):
    """At the time limit the server, still importing, was asked to exit by closing its socket,
    which it does not read yet: the first trial waited 5 s more, past the limit the README
    promises it waits at most. Here that wait is an hour: the trial must not wait it."""
    from hypermax.execution import preload_server

    monkeypatch.setattr(preload_server, "EXIT_WAIT", 3600.0)
    importing, release = tmp_path / "importing", tmp_path / "release"
    env = {
        MARKER_ENV: marker,
        "SLOW_IMPORT_STARTED": str(importing),
        "SLOW_IMPORT_RELEASE": str(release),
    }
    function = FunctionSpec(
        type="python_function", src=str(FAKES / "slow_import.py"), name="f", env=env
    )
    launcher = PreloadLauncher(str(tmp_path), start_timeout=0.5)
    runner = LocalRunner(function, tmp_path, launcher=launcher)
    outcomes: list[Outcome] = []

    def ended() -> bool:
        # the server's import (if it began before its time ran out: on a busy machine its
        # interpreter may still be starting), then the fresh trial's, which may end
        if importing.exists() and not _is_preload_server(int(importing.read_text())):
            release.write_text("")
        outcomes.extend(event for event in runner.poll(0.1) if isinstance(event, Outcome))
        return bool(outcomes)

    try:
        runner.submit(Proposal(1, {"x": 0.5}, {}), tmp_path / "trials" / "1", tmp_path / "1.log")
        wait_until(ended, 60, "the trial, started fresh once the import took too long")
        assert not launcher.server_pids()  # not preloaded: it started fresh
    finally:
        runner.close()
    assert outcomes[0].state is TrialState.OK, outcomes[0].reason
    assert_none_alive(marker)


def _is_preload_server(pid: int) -> bool:
    """Whether process ``pid`` is a preload server (or gone: a server stopped since)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"hypermax.execution.forkserver" in f.read()
    except OSError:
        return True


def test_the_import_sees_the_sys_argv_of_a_fresh_trial(tmp_path, marker):
    # the server's own, ``-c --socket 16 ...``, was what a module that reads its options as it
    # loads saw when preloaded
    function = FunctionSpec(
        type="python_function",
        src=str(FAKES / "argv_at_import.py"),
        name="seen",
        env={MARKER_ENV: marker},
    )
    outcomes = forked_outcomes(tmp_path, function, 1)
    result = outcomes[0].result
    assert result is not None, outcomes[0].reason
    assert result["at_import"] == result["in_trial"]
    assert result["at_import"][1:3] == ["--name", "seen"]
    assert_none_alive(marker)


def test_a_scratch_folder_the_import_made_serves_every_forked_trial_and_goes_with_the_server(
    tmp_path, marker
):
    # the first trial's exit removed it (its finalizer ran there): every later trial failed
    function = FunctionSpec(
        type="python_function",
        src=str(FAKES / "tempdir_at_import.py"),
        name="scratch",
        env={MARKER_ENV: marker},
    )
    outcomes = forked_outcomes(tmp_path, function, 2)  # the second after the first exited
    assert [o.state for o in outcomes] == [TrialState.OK, TrialState.OK], outcomes[-1].reason
    scratch = {o.result["scratch"] for o in outcomes if o.result}
    assert len(scratch) == 1  # the server's, shared
    assert not os.path.exists(scratch.pop())  # removed as the server exited
    assert_none_alive(marker)
