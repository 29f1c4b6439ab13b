"""Early stopping end to end, through the real command line: trials that report every epoch,
bad configurations stopped after their first epoch, good ones run to the end, and a search
killed in the middle that, resumed, stops the trials the uninterrupted one stops.

The trials are ``objectives/epochs.py`` (loss ``x + 1/epoch``, 12 epochs), run on fixed points
so that every run proposes the same configurations in the same order. An executable trial's
epochs take 0.1 s: a bad one is judged at its first report and has 1.1 s of epochs left to be
stopped in. A python_function trial waits for the verdict on each report, so its epochs need
not last: 0.01 s.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES, finished_records, journal_records, run_cli_here
from fake_trials.helpers import start_hypermax, wait_until

from hypermax.execution.reports import STOP_FILE, STOPPED_FILE, VERDICTS_FILE
from hypermax.execution.trial_files import RESULT_FILE

SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
EPOCHS = 12
#: with min_trials 2: trial 3 is judged against trials 1 and 2 first, and so on
XS = [0.1, 0.2, 0.9, 0.05, 0.8, 0.3]
#: at step 1, each x's loss (x + 1) against the median of the earlier trials' (see the docstrings)
STOPPED_MEDIAN = {3: (1.9, 1.15, 2), 5: (1.8, 1.15, 4), 6: (1.3, 1.2, 5)}


def _search(name: str, early_stopping: dict[str, Any], xs: list[float], **more: Any) -> dict:
    return {
        "name": name,
        "seed": 1,  # every trial is one of the points: the method (the default) proposes none
        "iterations": len(xs),
        "points": [{"x": x} for x in xs],
        "early_stopping": early_stopping,
        **more,
    }


def _python_spec(name: str, env: dict[str, str] | None = None, **function: Any) -> dict[str, Any]:
    return {
        "hyperparameters": SPACE,
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "epochs.py"),
            "name": "train",
            "env": {"EPOCH_SECONDS": "0.01", **(env or {})},
            **function,
        },
        "search": _search(name, {"policy": "median", "min_trials": 2}, XS),
    }


def _states(folder: Path) -> dict[int, tuple[str, str | None]]:
    return {i: (r["state"], r["reason"]) for i, r in sorted(finished_records(folder).items())}


MedianSearch = Callable[[bool], tuple[Path, subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def median_search(tmp_path_factory: pytest.TempPathFactory) -> MedianSearch:
    """median_search(preload) → (results folder, finished hypermax process) of the search of
    :func:`_python_spec`, run once per ``preload`` in this module; the tests only read it."""
    runs: dict[bool, tuple[Path, subprocess.CompletedProcess[str]]] = {}

    def run(preload: bool) -> tuple[Path, subprocess.CompletedProcess[str]]:
        if preload not in runs:
            root = tmp_path_factory.mktemp(f"median-preload-{preload}".lower())
            doc = _python_spec("median", preload=preload)
            doc["results"] = {"directory": str(root / "results")}
            (root / "search.json").write_text(json.dumps(doc))
            proc = run_cli_here(str(root / "search.json"), "--no-ui", cwd=root)
            runs[preload] = (root / "results" / "median", proc)
        return runs[preload]

    return run


@pytest.mark.parametrize("preload", [True, False])
def test_a_python_function_worse_than_the_median_stops_at_the_report_judged(
    tmp_path, median_search, preload
):
    """Stopped trials end themselves: their ``finally`` ran, no signal killed them; the report
    that got a trial stopped raised in it, so it began no further epoch (forked from the
    preloaded server or started afresh alike)."""
    folder, proc = median_search(preload)
    assert proc.returncode == 0, proc.stderr
    finished = finished_records(folder)
    for trial_id, record in finished.items():
        began = int((folder / "trials" / str(trial_id) / "cleaned_up").read_text())
        if trial_id not in STOPPED_MEDIAN:
            assert (record["state"], record["step"], began) == ("ok", EPOCHS, EPOCHS)
            continue
        loss, median, others = STOPPED_MEDIAN[trial_id]
        assert record["state"] == "stopped" and record["exit_code"] == 0
        assert record["reason"] == (
            f"stopped at step 1: loss {loss:g} worse than {median:g} (median of {others} at step 1)"
        )
        assert record["step"] == 1 and began == 1
        assert record["loss"] == XS[trial_id - 1] + 1 / record["step"]
        assert not (folder / "trials" / str(trial_id) / RESULT_FILE).exists()
        assert "SIGTERM" not in (folder / "logs" / f"trial_{trial_id}.log").read_text()
    assert "trial 3  stopped      loss 1.9 " in proc.stdout

    show = run_cli_here("show", str(folder), cwd=tmp_path)
    assert "6 trials (3 ok, 3 stopped)" in show.stdout
    row = next(line.split() for line in show.stdout.splitlines() if line.split()[:1] == ["3"])
    assert row[2] == f"stopped@{finished[3]['step']}"
    exported_csv = run_cli_here("export", str(folder), cwd=tmp_path).stdout
    rows = list(csv.DictReader(exported_csv.splitlines()))
    assert [(r["state"], int(r["step"])) for r in rows] == [
        (finished[i]["state"], finished[i]["step"]) for i in sorted(finished)
    ]
    exported = json.loads(
        run_cli_here("export", str(folder), "--format", "json", cwd=tmp_path).stdout
    )
    steps = [d["step"] for d in exported["trials"]]
    assert steps == [finished[i]["step"] for i in sorted(finished)]


@pytest.mark.parametrize("preload", [True, False])
def test_trials_leave_none_of_early_stoppings_files_in_their_folders(median_search, preload):
    """Every trial left the count of its verdicts (``.hypermax_verdicts``), and a stopped one
    the stop's files (``.hypermax_stop``, ``.hypermax_stopped``), in the folder it works in,
    once nothing read them any more."""
    folder, proc = median_search(preload)
    assert proc.returncode == 0, proc.stderr
    for trial_id in finished_records(folder):
        left = {p.name for p in (folder / "trials" / str(trial_id)).iterdir()}
        assert left & {STOP_FILE, STOPPED_FILE, VERDICTS_FILE} == set(), trial_id


def test_an_executable_is_stopped_by_asha_with_direction_max(tmp_path, write_spec):
    """Accuracy is maximised: the rungs keep the trials with the highest accuracy."""
    xs = [0.1, 0.2, 0.9, 0.05, 0.8, 0.3, 0.01, 0.6]
    asha = {"policy": "asha", "min_trials": 2, "eta": 2, "min_steps": 1, "max_steps": EPOCHS}
    search = _search("asha", asha, xs, metric="accuracy", direction="max")
    command = [sys.executable, str(OBJECTIVES / "epochs.py")]
    # an epoch of 50 ms: the SIGTERM of a stop lands long before a trial's last epoch
    function = {"type": "executable", "command": command, "env": {"EPOCH_SECONDS": "0.05"}}
    spec = write_spec({"hyperparameters": SPACE, "function": function, "search": search})
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    finished = finished_records(tmp_path / "results" / "asha")
    stopped = {i for i, r in finished.items() if r["state"] == "stopped"}
    # at rung 1 (loss = x): trial 3 is outside the best 1 of 3, 5 the best 2 of 5 (0.05, 0.1),
    # 6 the best 3 of 6 (0.05, 0.1, 0.2), 8 the best 4 of 8 (0.01, 0.05, 0.1, 0.2)
    assert stopped == {3, 5, 6, 8}
    for trial_id, record in finished.items():
        if trial_id in stopped:
            assert record["exit_code"] == -15 and 1 <= record["step"] < EPOCHS  # SIGTERM
            assert record["reason"].startswith("stopped at step 1: loss ")
            assert record["loss"] == -record["metrics"]["accuracy"]  # of its last report
        else:
            assert (record["state"], record["step"]) == ("ok", EPOCHS)
    best = min(finished.values(), key=lambda r: r["loss"])
    assert best["id"] == 7 and best["loss"] == -(1.0 - (0.01 + 1 / EPOCHS))


def test_a_search_killed_in_the_middle_stops_the_same_trials_once_resumed(
    tmp_path, write_spec, median_search
):
    """Trial 4 holds at its second epoch while hypermax is SIGKILLed; the resumed search reruns
    it and then judges trials 5 and 6 against all the curves, the journaled ones included. The
    reference is the same search run straight through (preloaded, as the default is)."""
    straight, reference = median_search(True)
    assert reference.returncode == 0, reference.stderr

    hold = tmp_path / "hold"
    held_env = {"EPOCHS_HOLD": str(hold), "EPOCHS_HOLD_TRIAL": "4"}
    spec = write_spec(_python_spec("killed", env=held_env), "killed.json")
    folder = tmp_path / "results" / "killed"
    hold.write_text("")
    proc = start_hypermax(spec)
    try:
        wait_until((folder / "trials" / "4" / "held").exists, 60, "trial 4 to hold")
    finally:
        proc.kill()
        proc.wait()
    assert sorted(finished_records(folder)) == [1, 2, 3]
    hold.unlink()

    resumed = run_cli_here("resume", str(folder), "--no-ui", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming killed: 3 of 6 trials done" in resumed.stdout
    started = [r["id"] for r in journal_records(folder) if r["event"] == "trial_started"]
    assert started == [1, 2, 3, 4, 4, 5, 6]
    expected = _states(straight)
    assert [i for i, (state, _) in expected.items() if state == "stopped"] == [3, 5, 6]
    assert _states(folder) == expected


@pytest.mark.parametrize(
    ("iterations", "warm_start", "said"), [(5, False, True), (6, False, False), (5, True, True)]
)
def test_validate_says_when_early_stopping_can_stop_no_trial(
    tmp_path, write_spec, iterations, warm_start, said
):
    search: dict[str, Any] = {
        "iterations": iterations,
        "early_stopping": {"policy": "asha", "max_steps": 9},  # min_trials 5 by default
    }
    if warm_start:  # its trials come without reports: they reached no step, and do not count
        (tmp_path / "earlier.csv").write_text("trial,state,loss,x\n1,ok,0.5,0.1\n")
        search["warm_start"] = "earlier.csv"
    spec = write_spec(
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {"type": "python_function", "src": "objective.py", "name": "f"},
            "search": search,
        }
    )
    (tmp_path / "objective.py").write_text("def f(params):\n    return params['x']\n")
    done = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    imported = " (a warm start's trials, imported without reports, reach none)"
    notice = (
        "search.json: search.early_stopping.min_trials: a trial is stopped at a step once 5 "
        f"other trials reached it{imported if warm_start else ''}, and the search runs 5 "
        "trials: none will be stopped (lower min_trials below 5)"
    )
    assert (notice in done.stderr + done.stdout) is said


def test_a_search_of_one_trial_is_not_told_to_lower_min_trials_below_its_least(tmp_path):
    """With one iteration, no min_trials (1 at least) lets a trial be stopped: the notice told
    to lower it, and counted "1 other trials" in "1 trials"."""
    from hypermax.spec import spec_from_dict

    doc = {
        "hyperparameters": SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"iterations": 1, "early_stopping": {"policy": "median", "min_trials": 1}},
    }
    assert spec_from_dict(doc, tmp_path / "search.json").notices == (
        f"{tmp_path}/search.json: search.early_stopping.min_trials: a trial is stopped at a "
        "step once 1 other trial reached it, and the search runs 1 trial: none will be stopped "
        "(run more iterations)",
    )


@pytest.mark.parametrize(
    ("early_stopping", "said"),
    [
        (
            {"policy": "asha", "max_steps": 27},
            "asha, rungs at steps 3, 9 (max_steps 27): the best 1/3 at a rung goes on, once 5 "
            "other trials reached it",
        ),
        (
            {"policy": "asha", "eta": 4, "min_trials": 2},
            "asha, rungs at steps 1, 4, 16, 64, ... (no max_steps): the best 1/4 at a rung goes "
            "on, once 2 other trials reached it",
        ),
        (
            {"policy": "median", "grace_steps": 2, "min_trials": 1},
            "median, at each step from 2 on (grace_steps): a trial worse than the median of the "
            "others stops, once 1 other trial reached the step",
        ),
    ],
)
def test_validate_says_where_early_stopping_judges(tmp_path, write_spec, early_stopping, said):
    """ASHA's rungs are derived from min_steps, eta and max_steps: validate prints them, as it
    prints a grid's size, so that a spec's rungs are seen before a search runs."""
    spec = write_spec(
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {"type": "python_function", "src": "objective.py", "name": "f"},
            "search": {"iterations": 20, "early_stopping": early_stopping},
        }
    )
    (tmp_path / "objective.py").write_text("def f(params):\n    return params['x']\n")
    done = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [f"early stopping: {said}"]
