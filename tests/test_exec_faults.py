"""Trials that misbehave in ways the other watchdog and preload tests do not try: each test runs
the real command line on a small objective and checks the journal, the log and the processes."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from conftest import finished_records, journal_records, model_spec
from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    run_hypermax,
    start_hypermax,
    wait_until,
    write_spec,
)

#: a module that ends its own process while the preload server imports it (the first import
#: only: the sentinel file is gone after), as an extension that crashes at import would
DIES_IN_THE_SERVER = """
import os
from pathlib import Path

_ONCE = Path(__file__).with_name("die_once")
if _ONCE.exists():
    _ONCE.unlink()
    os._exit(3)


def train(params):
    return params["x"]
"""


def test_a_preload_server_that_exits_while_importing_leaves_every_trial_to_start_fresh(
    tmp_path: Path, marker: str
) -> None:
    (tmp_path / "die_once").touch()
    spec = model_spec(
        tmp_path,
        DIES_IN_THE_SERVER,
        {"name": "s", "iterations": 2},
        function={"env": {MARKER_ENV: marker}},
    )
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "die_once").exists()  # the server did import it, and died
    assert [r["state"] for r in finished_records(tmp_path / "results" / "s").values()] == [
        "ok",
        "ok",
    ]
    log = (tmp_path / "results" / "s" / "logs" / "hypermax.log").read_text()
    assert "cannot preload the objective: the server exited: exit code 3" in log
    assert_none_alive(marker)


#: a trial that names its parent (the preload server: it forked the trial) in ``up``, then waits
NAMES_ITS_SERVER = """
import os, time
from pathlib import Path


def train(params):
    up = Path(os.environ["HYPERMAX_TRIAL_DIR"]) / "up"
    up.with_suffix(".new").write_text(str(os.getppid()))
    os.replace(up.with_suffix(".new"), up)
    time.sleep(60)
"""


def test_a_trial_whose_preload_server_died_says_so(tmp_path: Path, marker: str) -> None:
    spec = model_spec(
        tmp_path,
        NAMES_ITS_SERVER,
        {"name": "s", "iterations": 1},
        function={"env": {MARKER_ENV: marker}},
    )
    search = start_hypermax(spec)
    up = tmp_path / "results" / "s" / "trials" / "1" / "up"
    try:
        wait_until(up.exists, 30, "the trial to start")
        os.kill(int(up.read_text()), signal.SIGKILL)
        search.communicate(timeout=30)
    finally:
        search.kill()
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["state"] == "failed"
    assert record["reason"] == (
        "the preload server died while the trial ran, and took the trial with it"
    )
    assert_none_alive(marker)


@pytest.mark.parametrize("named", ["from the spec's folder", "absolute"])
def test_an_executable_run_through_a_symlink_keeps_its_name(tmp_path: Path, named: str) -> None:
    """A virtual environment's ``bin/python`` is a symlink to the base interpreter, which finds
    the environment from the name it was started by: resolved, the trial runs outside it."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    base = Path(getattr(sys, "_base_executable", sys.executable))
    (venv / "pyvenv.cfg").write_text(f"home = {base.parent}\n")
    (venv / "bin" / "python").symlink_to(base)
    script = tmp_path / "train.py"
    script.write_text("import json, sys\nprint(json.dumps({'loss': 0.5, 'prefix': sys.prefix}))\n")
    program = "venv/bin/python" if named == "from the spec's folder" else str(venv / "bin/python")
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {"type": "executable", "command": [program, str(script)]},
            "search": {"name": "s", "iterations": 1},
        },
    )
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert Path(record["metadata"]["prefix"]) == venv


#: a function that prints a number, then ends its process without returning (a library that
#: calls ``os._exit`` to skip a slow teardown)
EXITS_WITHOUT_RETURNING = """
import os


def train(params):
    print(0.25, flush=True)
    os._exit(0)
"""


def test_a_function_that_never_returned_has_no_result_whatever_it_printed(tmp_path: Path) -> None:
    spec = model_spec(tmp_path, EXITS_WITHOUT_RETURNING, {"name": "s", "iterations": 1})
    run_hypermax(spec)
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["state"] == "failed"
    assert record["loss"] is None
    assert record["reason"] == (
        "no result: the trial's process ended without returning from the function"
    )


#: a function that silences what it calls (a noisy library) and reports from inside
REPORTS_WHILE_SILENCED = """
import contextlib, io
import hypermax


def train(params):
    with contextlib.redirect_stdout(io.StringIO()):
        print("noise")
        hypermax.report(1, loss=0.5)
    return 0.25
"""


def test_a_report_made_while_stdout_is_redirected_reaches_hypermax(tmp_path: Path) -> None:
    spec = model_spec(tmp_path, REPORTS_WHILE_SILENCED, {"name": "s", "iterations": 1})
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    reports = [
        r for r in journal_records(tmp_path / "results" / "s") if r["event"] == "trial_reported"
    ]
    assert [(r["step"], r["metrics"]) for r in reports] == [(1, {"loss": 0.5})]
    assert "noise" not in (tmp_path / "results" / "s" / "logs" / "trial_1.log").read_text()


#: 150 MiB of its own, then 3 forked workers that share it, copy-on-write (a multiprocessing
#: pool's with a dataset loaded first): their RSS counts it 4 times, the memory holds it once
FORKS_WORKERS_ON_ITS_DATA = """
import os, time


def train(params):
    data = bytearray(150 << 20)
    data[::4096] = b"x" * len(data[::4096])
    workers = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            time.sleep(1.0)  # long enough for the watchdog to weigh the tree several times
            os._exit(0)
        workers.append(pid)
    for pid in workers:
        os.waitpid(pid, 0)
    return 0.5
"""


def test_pages_a_trial_shares_with_its_forked_workers_count_once_against_the_ram_limit(
    tmp_path: Path,
) -> None:
    spec = model_spec(
        tmp_path,
        FORKS_WORKERS_ON_ITS_DATA,
        {"name": "s", "iterations": 1},
        function={"auto_kill_max_ram": 400},
    )
    done = run_hypermax(spec)
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["state"] == "ok", record["reason"]
    assert done.returncode == 0


def test_a_failed_trial_reason_holds_no_terminal_escape_sequences(tmp_path: Path) -> None:
    """A colouring logger's last line (and a title-setting OSC sequence) must not reach the
    journal, nor the terminal through the reason hypermax prints."""
    (tmp_path / "fail.py").write_text(
        "import os, sys\n"
        "os.write(2, b'\\x1b[31mValueError: bad shape\\x1b[0m\\x1b]0;title\\x07\\r\\n')\n"
        "sys.exit(3)\n"
    )
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "executable",
                "command": [sys.executable, str(tmp_path / "fail.py")],
            },
            "search": {"name": "s", "iterations": 1},
        },
    )
    done = run_hypermax(spec)
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["reason"] == "exit code 3: ValueError: bad shape"
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr


@pytest.mark.parametrize(
    ("first_line", "why"),
    [
        (b"#!/bin/sh\r\n", "its first line ends in a carriage return (Windows line endings)"),
        (b"#!/no/such/sh\n", "its interpreter /no/such/sh (its first line) cannot be found"),
        (b"echo 0.5\n", "it is a script without a first line naming its interpreter (#!/bin/sh)"),
    ],
)
def test_a_script_that_cannot_start_says_why(tmp_path: Path, first_line: bytes, why: str) -> None:
    script = tmp_path / "train.sh"
    script.write_bytes(first_line + b"echo 0.5\n")
    script.chmod(0o755)
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {"type": "executable", "command": [str(script)]},
            "search": {"name": "s", "iterations": 1},
        },
    )
    run_hypermax(spec)
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["reason"] == f"cannot start: {script}: {why}"


def test_a_function_whose_result_is_too_large_is_told_where_large_data_goes(
    tmp_path: Path,
) -> None:
    source = 'def train(params):\n    return {"loss": 0.1, "blob": "x" * (17 << 20)}\n'
    spec = model_spec(tmp_path, source, {"name": "s", "iterations": 1})
    run_hypermax(spec)
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert record["reason"] == (
        "the function returned 17 MiB (as JSON), over the 16 MiB a result may hold: write large"
        " data to a file in the trial's folder (HYPERMAX_TRIAL_DIR) and return its name"
    )


def test_a_function_that_removed_its_own_folder_keeps_its_result(tmp_path: Path) -> None:
    source = (
        "import os, shutil\n\n\n"
        "def train(params):\n"
        "    shutil.rmtree(os.environ['HYPERMAX_TRIAL_DIR'])  # its cwd: 'clean up everything'\n"
        "    return 0.5\n"
    )
    spec = model_spec(tmp_path, source, {"name": "s", "iterations": 1})
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    (record,) = finished_records(tmp_path / "results" / "s").values()
    assert (record["state"], record["loss"]) == ("ok", 0.5)
