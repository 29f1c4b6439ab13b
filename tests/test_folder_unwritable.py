"""A results folder in which no trial's files can be made any more (made immutable or
read-only while the search runs): the search stops as for a journal it can no longer write,
rather than record every remaining trial as failed, and resumes once it can be written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import fake_function_spec, run_hypermax_here

from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.trial import TrialState


def _can_freeze(folder: Path) -> bool:
    """Whether ``chattr +i`` works here (root, on a file system that has the flag)."""
    probe = folder / "probe"
    probe.mkdir()
    try:
        done = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False)
    except OSError:
        return False
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
    probe.rmdir()
    return done.returncode == 0


def test_a_folder_no_trial_can_be_made_in_stops_the_search_and_resumes(tmp_path):
    """(A log that cannot be made is dropped, and its trial runs: see README.)"""
    if not _can_freeze(tmp_path):
        pytest.skip("chattr +i does not work here")
    spec = fake_function_spec(
        tmp_path,
        "freeze_folder.py",
        "freeze",
        {"name": "s", "iterations": 6, "method": "random"},
        env={"FREEZE_PART": "trials"},
    )
    doc = json.loads(spec.read_text())
    doc["results"]["directory"] = "results"  # named as given, as a full disk names it
    spec.write_text(json.dumps(doc))
    folder, part = tmp_path / "results" / "s", "trials"
    try:
        done = run_hypermax_here(spec)
    finally:
        subprocess.run(["chattr", "-i", str(folder / part)], check=False)
    # it was: every trial after trial 2 (or 3, prepared ahead) "failed", "cannot prepare the
    # trial's files: [Errno 1] Operation not permitted", and the search ended with exit 0
    assert (done.returncode, done.stderr) == (
        2,
        "results/s/trials: cannot be written: Operation not permitted\n",
    )
    trials = replay(read_records(folder / "trials.jsonl")).trials.values()
    assert {t.state for t in trials} == {TrialState.OK}
    assert 2 <= len(trials) < 6
    resumed = run_hypermax_here(spec)
    assert resumed.returncode == 0, resumed.stderr
    trials = replay(read_records(folder / "trials.jsonl")).trials.values()
    assert [t.state for t in trials] == [TrialState.OK] * 6


def test_a_file_in_place_of_the_trials_folder_stops_the_search_in_one_line(tmp_path):
    spec = fake_function_spec(
        tmp_path,
        "freeze_folder.py",
        "trials_to_file",
        {"name": "s", "iterations": 6, "method": "random"},
    )
    folder = tmp_path / "results" / "s"
    done = run_hypermax_here(spec)
    # it was: trial 3, held to start, "not started: no space left on device", then
    # "unexpected error: NotADirectoryError" as the search closed, exit 1
    assert (done.returncode, done.stderr) == (
        2,
        f"{folder / 'trials'}: cannot be written: Not a directory\n",
    )
    trials = replay(read_records(folder / "trials.jsonl")).trials
    assert [trials[i].state for i in (1, 2)] == [TrialState.OK] * 2
    assert all(t.state is TrialState.INTERRUPTED for i, t in trials.items() if i > 2)


def test_logs_that_cannot_be_made_are_said_once_and_the_trials_run(tmp_path):
    if not _can_freeze(tmp_path):
        pytest.skip("chattr +i does not work here")
    spec = fake_function_spec(
        tmp_path,
        "freeze_folder.py",
        "freeze",
        {"name": "s", "iterations": 6, "method": "random"},
        env={"FREEZE_PART": "logs"},
    )
    logs = tmp_path / "results" / "s" / "logs"
    try:
        done = run_hypermax_here(spec)
    finally:
        subprocess.run(["chattr", "-i", str(logs)], check=False)
    assert done.returncode == 0, done.stderr
    # it said nothing: the logs of trials 3 to 6 (or 4 to 6, made ahead) were silently not there
    said = [line for line in done.stdout.splitlines() if "trial logs" in line]
    assert said == [
        f"hypermax: cannot write trial logs in {logs}: Operation not permitted; "
        "trials run without them"
    ]
    trials = replay(read_records(logs.parent / "trials.jsonl")).trials.values()
    assert [t.state for t in trials] == [TrialState.OK] * 6
