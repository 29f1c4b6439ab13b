"""Failures are data: every way a trial can misbehave ends it with a state and a one-line reason.

Each misbehaving trial runs through the real command line; one search runs many of them (one
point each), and the tests read what the journal recorded for each.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import (
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    by_param,
    kill_pid,
    marked,
    new_marker,
    pid_alive,
    run_hypermax,
    run_hypermax_measured,
    write_spec,
)

EXECUTABLES = [
    "abort",
    "segfault",
    "return_nan",
    "garbage",
    "exit_nonzero",
    "print_100mb",
    "print_100mb_one_line",
    "daemon",
    "short_peak",
]
FUNCTIONS = [
    "raise_error",
    "return_nan",
    "return_infinity",
    "return_text",
    "loss_is_text",
    "exit_without_result",
    "crash",
    "fine",
]


#: the executables' SIGTERM → SIGKILL grace: the daemon one leaves behind ignores SIGTERM, so
#: its cleanup takes at least this long, which the trial's recorded time must not include (the
#: trial itself takes well under a tenth of it)
EXECUTABLES_GRACE = 1.0


def _points_search(
    name: str,
    param: str,
    values: list[str],
    function: dict[str, Any],
    grace: float = 0.5,
    method: str = "tpe",
) -> dict:
    """Every trial is one of the points: the method proposes none (tpe, the default, is the
    cheapest to load; random loads hyperopt, whose memory the peak-RSS test expects)."""
    return {
        "hyperparameters": {"type": "object", "properties": {param: {"enum": values}}},
        "function": {"parallel": 2, "auto_kill_max_time": 30, "kill_grace": grace, **function},
        "search": {
            "name": name,
            "method": method,
            "iterations": len(values),
            "points": [{param: v} for v in values],
            # every trial is meant to fail: the search must go on through all of them
            "max_initial_failures": 0,
        },
    }


@pytest.fixture(scope="module")
def executables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One search over every misbehaving executable: its records, logs and hypermax's peak."""
    folder = tmp_path_factory.mktemp("executables")
    with new_marker() as marker:
        function = {
            "type": "executable",
            "command": [sys.executable, str(FAKES / "{fake}.py")],
            "env": {MARKER_ENV: marker},
        }
        search = _points_search("exe", "fake", EXECUTABLES, function, EXECUTABLES_GRACE, "random")
        spec = write_spec(folder, search)
        code, stderr, peak_mib = run_hypermax_measured(spec)
        results = folder / "results" / "exe"
        alive_after = marked(marker)
        yield {
            "code": code,
            "stderr": stderr,
            "peak_mib": peak_mib,
            "trials": by_param(results, "fake"),
            "folder": results,
            "alive_after": alive_after,
        }


@pytest.fixture(scope="module")
def functions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One search over every misbehaving ``python_function``."""
    folder = tmp_path_factory.mktemp("functions")
    with new_marker() as marker:
        function = {
            "type": "python_function",
            "src": str(FAKES / "functions.py"),
            "name": "dispatch",
            "env": {MARKER_ENV: marker},
        }
        spec = write_spec(folder, _points_search("fn", "kind", FUNCTIONS, function))
        proc = run_hypermax(spec)
        results = folder / "results" / "fn"
        yield {
            "proc": proc,
            "trials": by_param(results, "kind"),
            "folder": results,
            "alive_after": marked(marker),
        }


def _log(folder: Path, trial: dict[str, Any]) -> str:
    return (folder / "logs" / f"trial_{trial['id']}.log").read_text(errors="replace")


# -- executables ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fake", "reason"),
    [
        ("abort", r"ended by signal SIGABRT"),
        ("segfault", r"ended by signal SIGSEGV"),
        ("return_nan", r"loss is nan"),
        ("garbage", r"no result: nothing on stdout parses as a number or a JSON object"),
        ("exit_nonzero", r"exit code 3: error: the data set is missing"),
        ("print_100mb_one_line", r"no result: nothing on stdout parses .*"),
    ],
)
def test_a_misbehaving_executable_fails_with_a_reason(executables, fake, reason):
    trial = executables["trials"][fake]
    assert trial["state"] == "failed"
    assert trial["loss"] is None
    assert re.fullmatch(reason, trial["reason"]), trial["reason"]
    assert "\n" not in trial["reason"]


def test_the_search_goes_on_and_nothing_outlives_it(executables):
    assert executables["code"] == 0, executables["stderr"]  # two trials succeeded
    assert set(executables["trials"]) == set(EXECUTABLES)
    assert executables["alive_after"] == []


def test_100_mb_of_output_is_streamed_to_a_capped_log(executables):
    trial = executables["trials"]["print_100mb"]
    assert trial["state"] == "ok" and trial["loss"] == 0.125  # the last line, after 100 MiB
    log = executables["folder"] / "logs" / f"trial_{trial['id']}.log"
    assert 20 * 2**20 <= log.stat().st_size < 21 * 2**20
    assert "log capped at 20971520 bytes" in log.read_text(errors="replace")[-300:]
    # 200 MiB went through hypermax; none of it stayed (hyperopt and numpy alone take ~90 MiB)
    assert executables["peak_mib"] < 180, executables["peak_mib"]


def test_a_daemon_left_behind_by_a_good_trial_is_killed(executables):
    trial = executables["trials"]["daemon"]
    assert trial["state"] == "ok" and trial["loss"] == 0.25
    daemon = int((executables["folder"] / "trials" / str(trial["id"]) / "daemon").read_text())
    assert not pid_alive(daemon)
    log = _log(executables["folder"], trial)
    grace = f"{EXECUTABLES_GRACE:g}"
    assert f"[hypermax: the trial left processes running: SIGTERM to {daemon}; " in log
    assert f"[hypermax: 1 left after the {grace} s grace: SIGKILL to {daemon}]" in log
    # the trial's time stops when it returns, not after the cleanup (which took the grace)
    assert trial["time"] < EXECUTABLES_GRACE


def test_peak_rss_and_cpu_time_are_recorded_even_for_short_trials(executables):
    """CPU time comes from each trial's reaping; so does the peak of one that went above what
    it carried from hypermax's memory. Below that, the peak is what the watchdog's looks saw:
    nothing, for a trial over before the first look (which the kernel's counts of a process
    just started cannot fill: they read 0 for most of its first milliseconds), never the memory
    it carried of hypermax's."""
    trials = executables["trials"]
    for fake, trial in trials.items():
        assert trial["cpu_time"] > 0, fake
        if fake != "short_peak":
            assert 0 <= trial["peak_rss_mib"] < 40, (fake, trial["peak_rss_mib"])
    assert 150 < trials["short_peak"]["peak_rss_mib"] < 250


# -- python functions -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("raise_error", r"ValueError: bad params \{'kind': 'raise_error'\}"),
        ("return_nan", r"loss is nan"),
        ("return_infinity", r"loss is inf"),
        ("return_text", r"the result is not a number or an object: \"not a loss\""),
        ("loss_is_text", r'loss is not a number: "low"'),
        ("exit_without_result", r"no result: the trial's process ended without returning .*"),
        # the line that says what happened, not the last of the stack (its bootstrap's frame)
        ("crash", r"ended by signal SIGSEGV: Fatal Python error: Segmentation fault"),
    ],
)
def test_a_misbehaving_function_fails_with_a_reason(functions, kind, reason):
    trial = functions["trials"][kind]
    assert trial["state"] == "failed"
    assert trial["loss"] is None
    assert re.fullmatch(reason, trial["reason"]), trial["reason"]


def test_functions_search_goes_on(functions):
    assert functions["proc"].returncode == 0, functions["proc"].stderr
    assert functions["trials"]["fine"]["state"] == "ok"
    assert functions["alive_after"] == []


def test_a_raising_function_leaves_its_traceback_in_the_log(functions):
    log = _log(functions["folder"], functions["trials"]["raise_error"])
    assert "Traceback (most recent call last)" in log
    assert 'functions.py", line' in log and "ValueError: bad params" in log


def test_a_crashing_function_leaves_its_python_stack_in_the_log(functions):
    log = _log(functions["folder"], functions["trials"]["crash"])
    assert "Fatal Python error: Segmentation fault" in log
    assert 'functions.py", line' in log


# -- the trial's folder and environment ----------------------------------------------------
WHERE = """
import json, os, pathlib
folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
(folder / "plot.png").write_bytes(b"png")
print(json.dumps({"loss": 1.0, "cwd": os.getcwd(), "dir": str(folder),
                  "color": os.environ.get("COLOR"), "plot": "plot.png"}))
"""


@pytest.mark.parametrize("cwd", [None, "elsewhere"])
def test_each_trial_runs_in_its_own_folder_with_cwd_and_env(tmp_path, cwd):
    (tmp_path / "where.py").write_text(WHERE)
    (tmp_path / "elsewhere").mkdir()
    function: dict[str, Any] = {
        "type": "executable",
        "command": [sys.executable, str(tmp_path / "where.py")],
        "env": {"COLOR": "green"},
    }
    if cwd:
        function["cwd"] = cwd
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
            "function": function,
            "search": {"name": "where", "iterations": 2},
        },
    )
    proc = run_hypermax(spec)
    assert proc.returncode == 0, proc.stderr
    for trial in by_param(tmp_path / "results" / "where", "x").values():
        own = tmp_path / "results" / "where" / "trials" / str(trial["id"])
        assert trial["metadata"]["dir"] == str(own.resolve())
        expected_cwd = (tmp_path / cwd) if cwd else own
        assert trial["metadata"]["cwd"] == str(expected_cwd.resolve())
        assert trial["metadata"]["color"] == "green"
        assert trial["attachments"] == ["plot.png"]


def test_output_held_open_by_a_process_outside_the_tree_does_not_hang_the_runner(tmp_path):
    with new_marker() as marker:
        spec = write_spec(
            tmp_path,
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"constant": 1}}},
                "function": {
                    "type": "executable",
                    "command": [sys.executable, str(FAKES / "hold_stdout.py")],
                    "env": {MARKER_ENV: marker},
                },
                "search": {"name": "held", "iterations": 1},
            },
        )
        held = tmp_path / "results" / "held" / "trials" / "1" / "held"
        try:
            proc = run_hypermax(spec, timeout=30)
            trial = by_param(tmp_path / "results" / "held", "x")[1]
            assert proc.returncode == 0, proc.stderr
            assert trial["state"] == "ok" and trial["loss"] == 0.75
        finally:
            if held.exists():  # it escaped every way there is: this test ends it itself
                kill_pid(int(held.read_text()))
        assert_none_alive(marker)
