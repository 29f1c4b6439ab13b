"""Trials forked from a preloaded server: what each one still gets, and what the server is for.

Real processes throughout: a server per runner, trials forked from it, the objective modules
written into each test's folder. The runner contract (tests/test_runner_contract.py) and the
no-orphan tests (tests/test_no_orphans.py) run again with preload on; this file covers what
only a preloading launcher does.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import psutil
import pytest
from conftest import finished_records, run_cli, run_cli_here
from fake_trials.helpers import MARKER_ENV, assert_none_alive, pid_alive, wait_until

from hypermax.execution import (
    forkserver_wire,
    make_runner,
    preload_server,
    procfs,
    protocol,
)
from hypermax.execution.launch import SubprocessLauncher
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.execution.preload_server import SERVER_DIED
from hypermax.spec import FunctionSpec, spec_from_dict
from hypermax.trial import KillReason, Outcome, Proposal, TrialState

TIMEOUT = 30.0

#: an objective that tells what its process looks like, and counts how often it was imported
OBJECTIVE = """
import json, os, sys, time
from pathlib import Path

HERE = Path(__file__).parent
with open(HERE / "imports.log", "a") as log:
    log.write(f"{os.getpid()}\\n")
touched = []


def inspect(params):
    touched.append(params["x"])
    trial_dir = Path(os.environ["HYPERMAX_TRIAL_DIR"])
    (trial_dir / "seen.json").write_text(json.dumps({
        "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "pgid": os.getpgid(0),
        "cwd": os.getcwd(), "argv": sys.argv, "touched": touched,
        "env": {k: v for k, v in os.environ.items() if k.startswith("HYPERMAX_")},
        "stdin": sys.stdin.read(),
    }))
    print("to the log", flush=True)
    print("to the log too", file=sys.stderr, flush=True)
    return params["x"] ** 2


def wait(params):
    trial_dir = Path(os.environ["HYPERMAX_TRIAL_DIR"])
    (trial_dir / ".up").write_text(str(os.getpid()))
    os.replace(trial_dir / ".up", trial_dir / "up")  # whole: a reader never sees it empty
    while True:
        time.sleep(60)


def crash(params):
    import ctypes
    return float(len(ctypes.string_at(0)))
"""


@pytest.fixture
def objective(tmp_path: Path) -> Path:
    path = tmp_path / "objective.py"
    path.write_text(textwrap.dedent(OBJECTIVE))
    return path


@pytest.fixture
def runner_for(tmp_path: Path, marker: str) -> Iterator[Any]:
    """runner_for(name, src=objective.py, **settings) → (runner, launcher), closed at the end."""
    made: list[LocalRunner] = []

    def make(name: str, src: Path | None = None, **settings: Any) -> tuple[LocalRunner, Any]:
        env = {MARKER_ENV: marker, **settings.pop("env", {})}
        function = FunctionSpec(
            type="python_function",
            src=str(src or tmp_path / "objective.py"),
            name=name,
            env=env,
            **settings,
        )
        launcher = PreloadLauncher(str(tmp_path))
        runner = LocalRunner(function, tmp_path, launcher=launcher)
        made.append(runner)
        return runner, launcher

    try:
        yield make
    finally:
        for runner in made:
            runner.close()
    assert_none_alive(marker)  # the trials, and the servers: they carry the marker too


def run(runner: LocalRunner, folder: Path, trial_id: int, **params: Any) -> Outcome:
    """Submit one trial and wait for its Outcome."""
    trial_dir = folder / "trials" / str(trial_id)
    runner.submit(Proposal(trial_id, params, {}), trial_dir, folder / "logs" / f"{trial_id}.log")
    return outcome_of(runner, trial_id)


def outcome_of(runner: LocalRunner, trial_id: int) -> Outcome:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for event in runner.poll(0.5):
            if isinstance(event, Outcome) and event.trial_id == trial_id:
                return event
    raise AssertionError(f"no outcome for trial {trial_id}")


def seen(folder: Path, trial_id: int) -> dict[str, Any]:
    return json.loads((folder / "trials" / str(trial_id) / "seen.json").read_text())


# -- what a forked trial gets -------------------------------------------------------------------
def test_a_forked_trial_is_a_process_of_its_own_with_the_trials_contract(
    runner_for, objective, tmp_path
):
    runner, launcher = runner_for("inspect", env={"FROM_SPEC": "yes"})
    outcome = run(runner, tmp_path, 1, x=3)
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 9}
    assert outcome.exit_code == 0 and outcome.cpu_time > 0 and outcome.peak_rss_mib > 0
    (server,) = launcher.server_pids()
    info = seen(tmp_path, 1)
    assert info["ppid"] == server != os.getpid()  # forked by the server, not started by hypermax
    assert info["sid"] == info["pgid"] == info["pid"]  # its own session and process group
    trial_dir = tmp_path / "trials" / "1"
    assert info["cwd"] == str(trial_dir.resolve())
    assert info["stdin"] == ""
    assert info["argv"][1:3] == ["--name", "inspect"]
    env = info["env"]
    assert env[protocol.TRIAL_DIR_ENV] == str(trial_dir.resolve())
    assert env[protocol.TRIAL_ID_ENV] == "1" and env["HYPERMAX_PARAM_X"] == "3"
    assert json.loads(Path(env[protocol.PARAMS_FILE_ENV]).read_text()) == {"x": 3}
    assert len(env[protocol.TOKEN_ENV]) == 32
    log = (tmp_path / "logs" / "1.log").read_text()
    assert "to the log\n" in log and "to the log too\n" in log


def test_proc_environ_of_a_forked_trial_names_its_token_and_folder(runner_for, objective, tmp_path):
    """The watchdog, the guardian and the leftover sweep read these from /proc."""
    runner, _ = runner_for("wait")
    trial_dir = tmp_path / "trials" / "1"
    runner.submit(Proposal(1, {}, {}), trial_dir, tmp_path / "logs" / "1.log")
    wait_until((trial_dir / "up").exists, TIMEOUT, "the trial to start")
    pid = int((trial_dir / "up").read_text())
    token = procfs.read_token(pid)
    assert token and len(token) == 32
    environ = psutil.Process(pid).environ()
    assert environ[protocol.TOKEN_ENV] == token
    assert environ[protocol.TRIAL_DIR_ENV] == str(trial_dir.resolve())
    runner.cancel(1, KillReason.INTERRUPT)
    assert outcome_of(runner, 1).state is TrialState.INTERRUPTED


def test_each_trial_starts_from_the_module_as_imported(runner_for, objective, tmp_path):
    """One import for all trials; what a trial changes in the module dies with it."""
    runner, _ = runner_for("inspect")
    for trial_id in (1, 2, 3):
        assert run(runner, tmp_path, trial_id, x=trial_id).state is TrialState.OK
    assert [seen(tmp_path, i)["touched"] for i in (1, 2, 3)] == [[1], [2], [3]]
    assert len((tmp_path / "imports.log").read_text().split()) == 1
    assert len({seen(tmp_path, i)["pid"] for i in (1, 2, 3)}) == 3


def test_a_forked_trial_has_the_environment_hypermax_gives_it_not_the_servers(
    runner_for, objective, tmp_path, monkeypatch
):
    """The server is sent only what a trial's environment changes from the one it started
    with: a variable gone since is gone from the trial too, a new one is there."""
    monkeypatch.setenv("HYPERMAX_TEST_GONE_LATER", "1")
    runner, _ = runner_for("inspect")
    assert run(runner, tmp_path, 1, x=1).state is TrialState.OK  # the server starts with it
    monkeypatch.delenv("HYPERMAX_TEST_GONE_LATER")
    monkeypatch.setenv("HYPERMAX_TEST_NEW_LATER", "2")
    assert run(runner, tmp_path, 2, x=2).state is TrialState.OK
    assert seen(tmp_path, 1)["env"]["HYPERMAX_TEST_GONE_LATER"] == "1"
    env = seen(tmp_path, 2)["env"]
    assert "HYPERMAX_TEST_GONE_LATER" not in env
    assert env["HYPERMAX_TEST_NEW_LATER"] == "2" and env["HYPERMAX_PARAM_X"] == "2"


def test_the_ends_of_many_trials_reaped_at_once_reach_hypermax_whole_and_in_order():
    """The server sends what it has to say in packets that hypermax reads whole (64 kB at a
    time), however many trials ended at once."""
    ends = [{"exit": pid, "code": 0, "maxrss_kib": 10_000, "cpu": 0.01} for pid in range(3000)]
    server_end, hypermax_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with server_end, hypermax_end:
        server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        forkserver_wire.send(server_end, *ends)
        server_end.shutdown(socket.SHUT_WR)
        received = []
        while packet := hypermax_end.recv(65536):
            received.extend(preload_server.packet_messages(packet))
    assert received == ends


def test_a_crash_is_reported_by_the_server(runner_for, objective, tmp_path):
    runner, _ = runner_for("crash")
    outcome = run(runner, tmp_path, 1)
    assert outcome.state is TrialState.FAILED
    assert outcome.exit_code == -signal.SIGSEGV
    assert "Fatal Python error" in (tmp_path / "logs" / "1.log").read_text()  # faulthandler


def test_random_generators_are_fresh_in_every_trial(runner_for, tmp_path):
    src = tmp_path / "draws.py"
    src.write_text(
        "import random\nimport numpy\n\n"
        "def draw(params):\n"
        "    return {'loss': 0.0, 'numpy': numpy.random.rand(), 'random': random.random()}\n"
    )
    runner, _ = runner_for("draw", src=src)
    results = [run(runner, tmp_path, i).result for i in (1, 2, 3)]
    assert all(r is not None for r in results)
    assert len({r["numpy"] for r in results if r}) == 3
    assert len({r["random"] for r in results if r}) == 3


def test_random_generators_the_import_seeded_draw_in_every_trial_what_a_fresh_process_would(
    runner_for, tmp_path
):
    # a fresh process that imports the module draws the seeded numbers in every trial: so
    # must a forked one (``random`` reseeds itself after a fork, the server reseeded numpy)
    src = tmp_path / "seeded.py"
    src.write_text(
        "import random\nimport numpy\n\n"
        "random.seed(7)\nnumpy.random.seed(7)\nrandom.random()\n\n"
        "def draw(params):\n"
        "    return {'loss': 0.0, 'numpy': numpy.random.rand(), 'random': random.random()}\n"
    )
    runner, launcher = runner_for("draw", src=src)
    results = [run(runner, tmp_path, i).result for i in (1, 2, 3)]
    assert launcher.server_pids()  # forked
    seeded = random.Random(7)
    seeded.random()  # what the import drew
    expected = {"loss": 0.0, "numpy": numpy.random.RandomState(7).rand(), "random": seeded.random()}
    assert results == [expected] * 3


# -- the server ---------------------------------------------------------------------------------
def test_a_server_that_died_is_replaced_and_its_trials_die_with_it(runner_for, objective, tmp_path):
    runner, launcher = runner_for("wait")
    trial_dir = tmp_path / "trials" / "1"
    runner.submit(Proposal(1, {}, {}), trial_dir, tmp_path / "logs" / "1.log")
    wait_until((trial_dir / "up").exists, TIMEOUT, "the trial to start")
    trial = int((trial_dir / "up").read_text())
    (server,) = launcher.server_pids()
    os.kill(server, signal.SIGKILL)
    outcome = outcome_of(runner, 1)
    assert outcome.state is TrialState.INTERRUPTED  # not its own doing: it runs again
    assert outcome.reason == f"{SERVER_DIED} (ended by signal SIGKILL)"
    # tied to its server by the parent-death signal, which may reach it after hypermax saw the
    # server's socket close
    wait_until(lambda: not pid_alive(trial), TIMEOUT, "the trial to die with its server")
    runner.submit(Proposal(2, {}, {}), tmp_path / "trials" / "2", tmp_path / "logs" / "2.log")
    wait_until((tmp_path / "trials" / "2" / "up").exists, TIMEOUT, "a trial after the crash")
    (replacement,) = launcher.server_pids()
    assert replacement != server
    assert psutil.Process(int((tmp_path / "trials" / "2" / "up").read_text())).ppid() == replacement
    runner.cancel(2, KillReason.INTERRUPT)
    assert outcome_of(runner, 2).state is TrialState.INTERRUPTED


def test_a_trial_runs_in_the_spare_forked_ahead_and_a_dead_spare_costs_one_trial_at_most(
    runner_for, objective, tmp_path
):
    runner, launcher = runner_for("inspect")
    assert run(runner, tmp_path, 1, x=1.0).state is TrialState.OK
    (server,) = launcher.server_pids()

    def the_spare() -> int | None:
        children = psutil.Process(server).children()
        return children[0].pid if len(children) == 1 else None

    spare = wait_until(the_spare, TIMEOUT, "the server's spare")
    assert run(runner, tmp_path, 2, x=2.0).state is TrialState.OK
    assert seen(tmp_path, 2)["pid"] == spare  # hypermax followed the process it ran in
    os.kill(wait_until(the_spare, TIMEOUT, "the next spare"), signal.SIGKILL)
    # the next trial may have gone to the dead spare (then it fails) or to a new one: it ends
    assert run(runner, tmp_path, 3, x=3.0).state in (TrialState.OK, TrialState.FAILED)
    assert run(runner, tmp_path, 4, x=4.0).state is TrialState.OK
    assert launcher.server_pids() == [server]  # a spare's death is not the server's


def test_a_hung_server_is_killed_when_a_trial_sent_to_its_spare_goes_unanswered(
    runner_for, objective, tmp_path, monkeypatch
):
    monkeypatch.setattr(preload_server, "FORK_TIMEOUT", 1.0)
    # the reader looks for an overdue request every OVERDUE_CHECK (1 s): the kill came 1 to 2 s
    # after the request; looked for every 0.1 s, it comes 1 to 1.1 s after it
    monkeypatch.setattr(preload_server, "OVERDUE_CHECK", 0.1)
    runner, launcher = runner_for("inspect")
    assert run(runner, tmp_path, 1, x=1.0).state is TrialState.OK
    (server,) = launcher.server_pids()
    wait_until(lambda: len(psutil.Process(server).children()) == 1, TIMEOUT, "the spare")
    os.kill(server, signal.SIGSTOP)  # hung: it reads no request and answers none
    try:
        lost = run(runner, tmp_path, 2, x=2.0)  # not a hang; not the trial's doing: it runs again
        assert lost.state is TrialState.INTERRUPTED
        assert lost.reason == f"{SERVER_DIED} (ended by signal SIGKILL)"
        assert not pid_alive(server)
    finally:
        if pid_alive(server):
            os.kill(server, signal.SIGKILL)
    assert run(runner, tmp_path, 3, x=3.0).state is TrialState.OK  # on a new server
    assert launcher.server_pids() != [server]


def test_a_module_that_cannot_be_imported_fails_each_trial_as_without_preload(runner_for, tmp_path):
    src = tmp_path / "broken.py"
    src.write_text("import no_such_module_here\n\ndef f(params):\n    return 0.0\n")
    runner, launcher = runner_for("f", src=src)
    outcome = run(runner, tmp_path, 1)
    assert outcome.state is TrialState.FAILED
    assert outcome.reason is not None
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in outcome.reason
    assert "Traceback" in (tmp_path / "logs" / "1.log").read_text()  # the trial's own log
    assert launcher.server_pids() == []
    (refusal,) = launcher.refusals()
    assert refusal.startswith("cannot preload the objective: ModuleNotFoundError")
    assert run(runner, tmp_path, 2).state is TrialState.FAILED  # no server is tried again
    assert len(launcher.refusals()) == 1


def test_a_module_whose_import_raised_without_a_message_is_named_by_its_type(runner_for, tmp_path):
    src = tmp_path / "interrupted.py"
    src.write_text("raise LookupError\n\ndef f(params):\n    return 0.0\n")
    runner, launcher = runner_for("f", src=src)
    assert run(runner, tmp_path, 1).reason == "LookupError"
    assert launcher.refusals() == ["cannot preload the objective: LookupError"]  # not ": "


def test_a_module_that_starts_a_thread_is_not_forked(runner_for, tmp_path):
    src = tmp_path / "threaded.py"
    src.write_text(
        "import os, threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n\n"
        "def f(params):\n"
        "    return {'loss': 1.0, 'ppid': os.getppid()}\n"
    )
    runner, launcher = runner_for("f", src=src)
    outcome = run(runner, tmp_path, 1)
    assert outcome.state is TrialState.OK and outcome.result is not None
    assert outcome.result["ppid"] == os.getpid()  # started fresh, by hypermax
    assert launcher.server_pids() == []
    (refusal,) = launcher.refusals()
    assert "the module started threads when imported (Thread-1" in refusal


def test_an_executable_starts_fresh(tmp_path, marker):
    function = FunctionSpec(
        type="executable",
        command=(sys.executable, "-c", "import os; print(os.getppid())"),
        env={MARKER_ENV: marker},
    )
    launcher = PreloadLauncher(str(tmp_path))
    runner = LocalRunner(function, tmp_path, launcher=launcher)
    try:
        outcome = run(runner, tmp_path, 1)
    finally:
        runner.close()
    assert outcome.state is TrialState.OK and outcome.result == {"loss": os.getpid()}
    assert launcher.server_pids() == []
    assert_none_alive(marker)


# -- the choice, and searches ---------------------------------------------------------------------
def _spec_doc(function: dict[str, Any], iterations: int = 3) -> dict[str, Any]:
    """A search by the default method: how the objective is imported and run is what counts."""
    return {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2, 3]}}},
        "function": function,
        "search": {"name": "s", "iterations": iterations, "seed": 1},
    }


@pytest.mark.parametrize(
    ("function", "launcher"),
    [
        ({"type": "python_function", "src": "objective.py", "name": "inspect"}, PreloadLauncher),
        (
            {"type": "python_function", "src": "objective.py", "name": "wait", "preload": False},
            SubprocessLauncher,
        ),
        ({"type": "executable", "command": ["true"]}, SubprocessLauncher),
    ],
)
def test_make_runner_preloads_functions_unless_told_not_to(tmp_path, objective, function, launcher):
    runner = make_runner(spec_from_dict(_spec_doc(function), tmp_path / "search.json"))
    try:
        assert isinstance(runner, LocalRunner)
        assert type(runner.host.launcher) is launcher
    finally:
        runner.close()


def test_preload_on_an_executable_is_refused(tmp_path, write_spec):
    spec = write_spec(_spec_doc({"type": "executable", "command": ["true"], "preload": True}))
    result = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        'search.json: function.preload: is only used by "type": "python_function"'
    )


@pytest.mark.parametrize(("preload", "imports"), [(True, 1), (False, 4)])
def test_a_search_imports_the_objective_once_with_preload(
    tmp_path, objective, write_spec, preload, imports
):
    function = {"type": "python_function", "src": "objective.py", "name": "inspect"}
    spec = write_spec(_spec_doc({**function, "preload": preload}, iterations=4))
    result = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    finished = finished_records(tmp_path / "results" / "s")
    assert len(finished) == 4 and {r["state"] for r in finished.values()} == {"ok"}
    assert len((tmp_path / "imports.log").read_text().split()) == imports


def test_a_changed_objective_is_picked_up_by_the_next_search(tmp_path, write_spec):
    src = tmp_path / "objective.py"
    src.write_text("def f(params):\n    return 1.0\n")
    function = {"type": "python_function", "src": "objective.py", "name": "f"}
    spec = write_spec(_spec_doc(function, iterations=2))
    assert run_cli(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    src.write_text("def f(params):\n    return 2.0\n")
    result = run_cli(str(spec), "--no-ui", "--iterations", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    losses = {i: r["loss"] for i, r in finished_records(tmp_path / "results" / "s").items()}
    assert losses == {1: 1.0, 2: 1.0, 3: 2.0, 4: 2.0}


def test_a_trials_time_and_time_limit_leave_out_the_servers_import(runner_for, tmp_path):
    """The first trial waits for the server to import the module; that wait is the search's,
    not the trial's: a slow import neither kills a quick trial for its time limit nor counts in
    its time (a ``time`` metric of the loss)."""
    src = tmp_path / "slow.py"
    src.write_text(
        "import time\ntime.sleep(0.8)  # a module that loads a dataset\n\n\n"
        "def f(params):\n    return params['x']\n"
    )
    runner, _ = runner_for("f", src=src, auto_kill_max_time=0.5)
    outcome = run(runner, tmp_path, 1, x=1.0)
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.wall_time < 0.5
