"""A search whose first trials all fail stops early, says why and where the details are."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import finished_records, model_spec, run_cli_here

from hypermax.stopping import common_failure, failing_start_reason
from hypermax.trial import Trial, TrialState

NO_LOSS = "def train(params):\n    return {'accuracy': params['x']}\n"
RAISES = "def train(params):\n    raise ValueError(f'bad x {params[\"x\"] > 2}')\n"
WORKS = "def train(params):\n    return params['x']\n"
MISSING_LOSS = (
    'the result has no "loss" (it returned "accuracy"); to use one of those, set search.metric '
    "and search.direction, or add a metrics section "
    '(hypermax.optimize: metrics="accuracy" or "accuracy:max")'
)


def _search(folder: Path, source: str, iterations: int = 20, **search: Any) -> Path:
    """A search of ``source`` by the default method (what the trials fail on is not x)."""
    return model_spec(folder, source, {"name": "broken", "iterations": iterations, **search})


def test_the_first_five_failures_end_the_search_with_the_reason_and_a_log(tmp_path: Path) -> None:
    proc = run_cli_here(str(_search(tmp_path, NO_LOSS)), "--no-ui", cwd=tmp_path)
    folder = tmp_path / "results" / "broken"
    assert proc.returncode == 1
    assert len(finished_records(folder)) == 5
    assert "hypermax: search ended (none of the first 5 trials produced a loss); " in proc.stdout
    assert proc.stderr.splitlines()[-1] == (
        f"hypermax: every trial failed: {MISSING_LOSS}; details in {folder}/logs/trial_5.log"
    )
    # the trial printed nothing; its log still says why it failed
    log = (folder / "logs" / "trial_5.log").read_text()
    assert log.strip() == f"[hypermax: trial 5 failed: {MISSING_LOSS}]"


@pytest.mark.parametrize(("limit", "finished"), [(2, 2), (0, 7)])
def test_how_many_failures_end_it_is_configurable(
    tmp_path: Path, limit: int, finished: int
) -> None:
    spec = _search(tmp_path, RAISES, iterations=7, max_initial_failures=limit)
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 1
    assert len(finished_records(tmp_path / "results" / "broken")) == finished
    assert "every trial failed: ValueError: bad x False; details in " in proc.stderr


def test_the_most_common_reason_is_named_when_they_differ(tmp_path: Path) -> None:
    source = (
        "import os\n"
        "def train(params):\n"
        "    if os.environ['HYPERMAX_TRIAL_ID'] == '2':\n"
        "        raise KeyError('lr')\n"
        "    return {'accuracy': 1}\n"
    )
    proc = run_cli_here(str(_search(tmp_path, source, iterations=4)), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 1
    folder = tmp_path / "results" / "broken"
    assert proc.stderr.splitlines()[-1] == (
        f"hypermax: every trial failed, 3 of the 4 with: {MISSING_LOSS}; details in "
        f"{folder}/logs/trial_4.log"
    )


def test_a_fixed_function_resumes_without_being_stopped_by_the_old_failures(
    tmp_path: Path,
) -> None:
    spec = _search(tmp_path, NO_LOSS, iterations=8)
    assert run_cli_here(str(spec), "--no-ui", cwd=tmp_path).returncode == 1
    (tmp_path / "model.py").write_text(WORKS)
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    states = [r["state"] for r in finished_records(tmp_path / "results" / "broken").values()]
    assert states == ["failed"] * 5 + ["ok"] * 3


def _trial(trial_id: int, state: TrialState, loss: float | None = None, reason: str = "") -> Trial:
    return Trial(trial_id, {}, {}, state=state, loss=loss, reason=reason or None)


def test_the_rule_only_fires_when_no_trial_ever_produced_a_loss() -> None:
    assert failing_start_reason(5, 5, any_loss=False) == (
        "none of the first 5 trials produced a loss"
    )
    assert failing_start_reason(4, 5, any_loss=False) is None
    assert failing_start_reason(50, 5, any_loss=True) is None
    assert failing_start_reason(50, 0, any_loss=False) is None


def test_the_common_failure_counts_trials_without_a_loss() -> None:
    trials = [
        _trial(1, TrialState.FAILED, reason="ValueError: x"),
        _trial(2, TrialState.KILLED, reason="time limit"),
        _trial(3, TrialState.FAILED, reason="ValueError: x"),
        _trial(4, TrialState.KILLED, loss=1.0, reason="time limit"),  # auto_kill_loss
        _trial(5, TrialState.INTERRUPTED),
        _trial(6, TrialState.OK, loss=0.5),
    ]
    reason, sharing, failed = common_failure(trials) or ("", [], 0)
    assert (reason, [t.id for t in sharing], failed) == ("ValueError: x", [1, 3], 3)
    assert common_failure(trials[3:]) is None


def test_failures_no_two_alike_are_named_by_the_first() -> None:
    from hypermax.commands import failure_text

    reasons = {1: "ValueError: bad x", 2: "KeyError: 'y'", 3: "TypeError: z"}
    trials = [_trial(i, TrialState.FAILED, reason=reason) for i, reason in reasons.items()]
    assert failure_text(trials, None) == (
        "every trial failed, no two of the 3 alike; the first: ValueError: bad x; "
        "details in the log of trial 1"
    )
    assert failure_text(trials[:1], None) == (
        "every trial failed: ValueError: bad x; details in the log of trial 1"
    )


def test_failures_that_differ_only_in_numbers_are_one_reason_named_by_the_last() -> None:
    from hypermax.commands import failure_text

    trials = [
        _trial(1, TrialState.KILLED, reason="time limit: ran 0.01 s, limit 0.001 s"),
        _trial(2, TrialState.FAILED, reason="exit code 1: KeyError: 'y'"),
        _trial(3, TrialState.KILLED, reason="time limit: ran 0.09 s, limit 0.001 s"),
        _trial(4, TrialState.KILLED, reason="time limit: ran 1e-05 s, limit 0.001 s"),
    ]
    assert failure_text(trials, None) == (
        "every trial failed or was killed, 3 of the 4 with: time limit: ran 1e-05 s, limit "
        "0.001 s; details in the log of trial 4"
    )


def test_a_search_whose_every_trial_was_killed_says_they_were_killed_not_failed(
    tmp_path: Path,
) -> None:
    """A trial killed at its time limit (without ``auto_kill_loss``) did not fail: the search's
    last line said ``every trial failed: time limit: ...``, and its end reason that the first
    trials failed."""
    from conftest import FAKES

    spec = _search(tmp_path, "", iterations=2, max_initial_failures=2)
    command = [sys.executable, str(FAKES / "sleep_forever.py")]
    function = {"type": "executable", "command": command, "auto_kill_max_time": 0.2}
    spec.write_text(json.dumps({**json.loads(spec.read_text()), "function": function}))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 1
    assert "search ended (none of the first 2 trials produced a loss)" in proc.stdout
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("hypermax: every trial was killed: time limit: ran "), last


def test_a_python_that_cannot_start_is_named_by_its_error_not_its_empty_stack(tmp_path):
    home = {"PYTHONHOME": str(tmp_path / "no-python-here")}  # as a wrong PYTHONHOME leaves it
    spec = model_spec(tmp_path, WORKS, {"name": "broken", "iterations": 1}, function={"env": home})
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 1
    (trial,) = finished_records(tmp_path / "results" / "broken").values()
    # before: "exit code 1: <no Python frame>", the last line of the fatal error's stack dump
    assert trial["reason"] == "exit code 1: ModuleNotFoundError: No module named 'encodings'"
