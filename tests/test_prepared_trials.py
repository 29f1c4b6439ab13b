"""Trials whose files are made ahead, while other trials run: a prepared trial runs from them,
and one that never runs leaves nothing behind — not in the results folder, not for a resume."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from hypermax.execution.launch import SubprocessLauncher
from hypermax.execution.local import LocalRunner
from hypermax.execution.trial_files import PARAMS_FILE, RESULT_FILE
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState

SQUARE = "def f(params):\n    return params['x'] ** 2\n"


@pytest.fixture
def runner(tmp_path):
    (tmp_path / "objective.py").write_text(SQUARE)
    function = FunctionSpec(type="python_function", src="objective.py", name="f")
    runner = LocalRunner(function, tmp_path, launcher=SubprocessLauncher())
    yield runner
    runner.close()


def _paths(folder: Path, trial_id: int) -> tuple[Path, Path]:
    return folder / "trials" / str(trial_id), folder / "logs" / f"trial_{trial_id}.log"


def _outcome(runner: LocalRunner) -> Outcome:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        outcomes = [e for e in runner.poll(0.5) if isinstance(e, Outcome)]
        if outcomes:
            return outcomes[0]
    raise AssertionError("no outcome")


def test_a_prepared_trial_runs_from_the_files_made_ahead(runner, tmp_path):
    trial_dir, log = _paths(tmp_path, 1)
    proposal = Proposal(1, {"x": 3.0}, {})
    runner.prepare(proposal, trial_dir, log)
    assert json.loads((trial_dir / PARAMS_FILE).read_text()) == {"x": 3.0}
    assert log.exists()
    made = (trial_dir / PARAMS_FILE).stat().st_ino, log.stat().st_ino
    runner.submit(proposal, trial_dir, log)
    outcome = _outcome(runner)
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 9.0}
    assert ((trial_dir / PARAMS_FILE).stat().st_ino, log.stat().st_ino) == made  # not made again


def test_a_prepared_trial_never_submitted_is_removed_by_close(runner, tmp_path):
    trial_dir, log = _paths(tmp_path, 1)
    runner.prepare(Proposal(1, {"x": 3.0}, {}), trial_dir, log)
    assert trial_dir.exists() and log.exists()
    runner.close()
    assert not trial_dir.exists() and not log.exists()
    assert (tmp_path / "trials").exists()  # only what the trial had made of its own


def test_a_submit_with_other_params_than_prepared_runs_those(runner, tmp_path):
    trial_dir, log = _paths(tmp_path, 1)
    runner.prepare(Proposal(1, {"x": 3.0}, {}), trial_dir, log)
    runner.submit(Proposal(1, {"x": 2.0}, {}), trial_dir, log)
    assert _outcome(runner).result == {"loss": 4.0}
    assert json.loads((trial_dir / PARAMS_FILE).read_text()) == {"x": 2.0}


def test_a_trial_whose_folder_is_there_is_not_prepared_and_runs_as_before(runner, tmp_path):
    """A folder left by an earlier run (a trial run again, a crash) is never touched ahead,
    so that closing the runner cannot remove what the earlier run left."""
    trial_dir, log = _paths(tmp_path, 1)
    trial_dir.mkdir(parents=True)
    (trial_dir / RESULT_FILE).write_text('{"loss": 99.0}')
    (trial_dir / "kept.txt").write_text("from the earlier run")
    proposal = Proposal(1, {"x": 3.0}, {})
    runner.prepare(proposal, trial_dir, log)
    assert not (trial_dir / PARAMS_FILE).exists() and not log.exists()
    runner.submit(proposal, trial_dir, log)
    assert _outcome(runner).result == {"loss": 9.0}  # the earlier result was cleared
    assert (trial_dir / "kept.txt").exists()


def test_a_search_stopped_early_leaves_no_folder_of_a_trial_asked_ahead(tmp_path):
    """random is asked ahead, so the trial after the one that reached the threshold was
    prepared: it did not run, and neither the results folder nor the resume sees it."""
    (tmp_path / "objective.py").write_text(SQUARE)
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {"type": "python_function", "src": "objective.py", "name": "f"},
        "search": {"name": "s", "method": "random", "iterations": 50, "seed": 3},
        "results": {"directory": str(tmp_path / "results")},
    }
    spec["search"]["loss_threshold"] = 0.5  # most first trials reach it
    (tmp_path / "search.json").write_text(json.dumps(spec))
    command = [sys.executable, "-m", "hypermax", "run", str(tmp_path / "search.json"), "--no-ui"]
    import subprocess

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "s"
    journal = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    ran = {r["id"] for r in journal if r["event"] == "trial_started"}
    assert 0 < len(ran) < 50
    assert {int(p.name) for p in (folder / "trials").iterdir()} == ran
    assert {p.name for p in (folder / "logs").glob("trial_*.log")} == {
        f"trial_{i}.log" for i in ran
    }


def test_a_search_prepares_each_trial_it_asks_ahead_once_before_it_runs(tmp_path, monkeypatch):
    """random search is asked one proposal ahead: every trial after the first was prepared,
    once, while the one before it ran (from trial 3 on, as it was held on standby)."""
    import hypermax
    from hypermax.execution.trial_run import TrialRun

    prepared: list[int] = []
    original = TrialRun.prepare

    def noting(self):
        prepared.append(self.trial_id)
        made = original(self)
        assert made and (self.trial_dir / PARAMS_FILE).exists()  # before the trial's start
        return made

    monkeypatch.setattr(TrialRun, "prepare", noting)
    (tmp_path / "objective.py").write_text(SQUARE)
    monkeypatch.chdir(tmp_path)
    result = hypermax.optimize(
        "objective:f",
        space={"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}},
        iterations=6,
        method="random",
        seed=1,
        results_dir=str(tmp_path / "results"),
    )
    assert len(result.trials) == 6
    assert prepared == [2, 3, 4, 5, 6]
