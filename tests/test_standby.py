"""A trial held on standby starts the moment the process of a running trial ends, before that
trial's outcome is built: the slot does not wait for its bookkeeping."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import Launched, Outcome, Proposal, TrialState

FAKE = Path(__file__).parent / "fake_trials"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("GO_FILE", str(tmp_path / "go"))
    command = (sys.executable, str(FAKE / "wait_for_go.py"))
    runner = LocalRunner(FunctionSpec(type="executable", command=command), tmp_path)
    yield runner
    runner.close()


def _paths(folder: Path, trial_id: int) -> tuple[Path, Path]:
    return folder / "trials" / str(trial_id), folder / "logs" / f"trial_{trial_id}.log"


def _events(runner: LocalRunner, until: int) -> list[Launched | Outcome]:
    """Starts and outcomes, until the outcome of trial ``until``."""
    seen: list[Launched | Outcome] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen += [e for e in runner.poll(0.5) if isinstance(e, Launched | Outcome)]
        if any(isinstance(e, Outcome) and e.trial_id == until for e in seen):
            return seen
    raise AssertionError(f"no outcome of trial {until}: {seen}")


def _random_search(tmp_path: Path, objective: str, **search: object) -> Path:
    """Write ``objective.py`` and a spec of a random search over ``x`` in [0, 1] (``search``:
    its search section's other keys); the spec's path."""
    (tmp_path / "objective.py").write_text(objective)
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {"type": "python_function", "src": "objective.py", "name": "f"},
        "search": {"name": "s", "method": "random", **search},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    return tmp_path / "search.json"


def _journal(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "results" / "s" / "trials.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _wait_up(trial_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while not (trial_dir / "up").exists():
        assert time.monotonic() < deadline, "the trial never started"
        time.sleep(0.01)


def test_a_held_trial_starts_when_the_running_one_ends_before_its_outcome(runner, tmp_path):
    runner.submit(Proposal(1, {}, {}), *_paths(tmp_path, 1))
    assert runner.standby(Proposal(2, {}, {}), *_paths(tmp_path, 2))
    _wait_up(_paths(tmp_path, 1)[0])
    assert not (_paths(tmp_path, 2)[0] / "up").exists()  # held: not started yet
    (tmp_path / "go").write_text("")
    events = _events(runner, until=2)
    kinds = [(type(e).__name__, e.trial_id) for e in events]
    assert kinds == [("Launched", 2), ("Outcome", 1), ("Outcome", 2)]
    launched = events[0]
    assert isinstance(launched, Launched) and launched.process_ids is not None
    assert all(e.state is TrialState.OK for e in events if isinstance(e, Outcome))


def test_a_held_trial_is_said_to_start_while_the_ended_one_kills_what_it_left(
    tmp_path, monkeypatch
):
    """The start of a trial held on standby waits to be said with the Outcome of the trial
    whose end started it, but not while that trial's end waits for a kill."""
    monkeypatch.setenv("GO_FILE", str(tmp_path / "go"))
    command = (sys.executable, str(FAKE / "leave_stubborn_child.py"))
    function = FunctionSpec(type="executable", command=command, kill_grace=600)
    runner = LocalRunner(function, tmp_path)
    child = None
    try:
        runner.submit(Proposal(1, {"leave": 1}, {}), *_paths(tmp_path, 1))
        assert runner.standby(Proposal(2, {"leave": 0}, {}), *_paths(tmp_path, 2))
        _wait_up(_paths(tmp_path, 1)[0])
        child = int((_paths(tmp_path, 1)[0] / "child").read_text())
        (tmp_path / "go").write_text("")
        seen: list[Launched | Outcome] = []
        deadline = time.monotonic() + 60
        while not any(isinstance(e, Launched) for e in seen):
            assert time.monotonic() < deadline, "the held trial's start was never said"
            seen += [e for e in runner.poll(0.5) if isinstance(e, Launched | Outcome)]
        # trial 1's child ignores SIGTERM: its kill ladder waits out its grace, trial 2 runs
        assert [(type(e).__name__, e.trial_id) for e in seen] == [("Launched", 2)]
        os.kill(child, signal.SIGKILL)
        child = None
        events = seen + _events(runner, until=1)
        assert ("Outcome", 1) in [(type(e).__name__, e.trial_id) for e in events]
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        runner.close()


def test_a_withdrawn_trial_does_not_start_and_runs_later_from_its_files(runner, tmp_path):
    runner.submit(Proposal(1, {}, {}), *_paths(tmp_path, 1))
    assert runner.standby(Proposal(2, {"x": 1}, {}), *_paths(tmp_path, 2))
    assert runner.withdraw() == [2]
    assert runner.withdraw() == []
    (tmp_path / "go").write_text("")
    assert [(type(e).__name__, e.trial_id) for e in _events(runner, until=1)] == [("Outcome", 1)]
    assert not (_paths(tmp_path, 2)[0] / "up").exists()
    params = _paths(tmp_path, 2)[0] / ".hypermax_params.json"
    made = params.stat().st_ino  # prepared when it was held
    runner.submit(Proposal(2, {"x": 1}, {}), *_paths(tmp_path, 2))
    (outcome,) = [e for e in _events(runner, until=2) if isinstance(e, Outcome)]
    assert outcome.state is TrialState.OK and params.stat().st_ino == made


def test_a_held_trial_never_started_leaves_nothing_after_close(runner, tmp_path):
    runner.submit(Proposal(1, {}, {}), *_paths(tmp_path, 1))
    assert runner.standby(Proposal(2, {}, {}), *_paths(tmp_path, 2))
    assert _paths(tmp_path, 2)[0].exists()
    outcomes = runner.close()
    assert [(type(o).__name__, o.trial_id) for o in outcomes] == [("Outcome", 1)]
    assert not _paths(tmp_path, 2)[0].exists() and not _paths(tmp_path, 2)[1].exists()


# each trial ends once the next one's files are made (asked ahead, then held at once): a
# trial that ended first would leave nothing to hold
WAITS_FOR_THE_NEXT = """import os, pathlib, time

def f(params):
    n = int(os.environ["HYPERMAX_TRIAL_ID"])
    folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"]).parent
    while n < 6 and not (folder / str(n + 1) / ".hypermax_params.json").exists():
        time.sleep(0.005)
    return params["x"] ** 2
"""


def test_a_random_search_journals_each_next_start_before_the_end_before_it(tmp_path):
    """At parallel 1, the trial held on standby starts as the running trial's process ends, so
    its start is journaled before that trial's end: trial 3, held as trial 2 starts (the first
    trial's loss comes first), before its files are made, which trial 2 waits for. (Trials 4
    on were asked ahead and prepared while trial 3 was held: each is held in its turn, if the
    driver gets to it before the trial before it, which returns as soon as it sees the files,
    ends.) The search still runs exactly its iterations, and leaves no folder of a trial that
    did not run."""
    from hypermax.cli import main

    spec = _random_search(tmp_path, WAITS_FOR_THE_NEXT, iterations=6, seed=3)
    assert main(["run", str(spec), "--no-ui"]) == 0
    folder = tmp_path / "results" / "s"
    journal = _journal(tmp_path)
    order = [
        (r["event"], r["id"]) for r in journal if r["event"] in ("trial_started", "trial_finished")
    ]
    assert order.index(("trial_started", 3)) < order.index(("trial_finished", 2)), order
    finished = [r for r in journal if r["event"] == "trial_finished"]
    assert sorted(r["id"] for r in finished) == [1, 2, 3, 4, 5, 6]
    assert all(r["state"] == "ok" for r in finished)
    assert sorted(int(p.name) for p in (folder / "trials").iterdir()) == [1, 2, 3, 4, 5, 6]


def test_a_search_with_a_loss_threshold_holds_no_trial_that_would_only_be_stopped(tmp_path):
    """The trial that reaches the threshold ends the search: a trial held on standby would
    have started as its process ended, only to be stopped, interrupted."""
    from hypermax.cli import main

    square = "def f(params):\n    return params['x'] ** 2\n"
    spec = _random_search(tmp_path, square, iterations=40, seed=5, loss_threshold=0.01)
    assert main(["run", str(spec), "--no-ui"]) == 0
    records = _journal(tmp_path)
    finished = [r for r in records if r["event"] == "trial_finished"]
    assert {r["state"] for r in finished} == {"ok"}
    reached = min(r["id"] for r in finished if r["loss"] <= 0.01)
    assert 2 < reached < 40  # a few trials ran, then one reached the threshold
    assert max(r["id"] for r in records if r["event"] == "trial_started") == reached


HANGS_AFTER_THE_FIRST = """import os, pathlib, time

def f(params):
    if os.environ["HYPERMAX_TRIAL_ID"] != "1":
        (pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"]) / "up").write_text("")
        while True:
            time.sleep(0.05)
    return params["x"]
"""


def test_an_interrupted_search_starts_no_trial_held_on_standby(tmp_path):
    """Ctrl-C while trial 2 runs and trial 3 is held: trial 2 is interrupted, and trial 3,
    which its end would have started, never starts (no start in the journal, no folder)."""
    import signal
    import subprocess

    from fake_trials.helpers import at_default_signals

    spec = _random_search(tmp_path, HANGS_AFTER_THE_FIRST, iterations=5, seed=1)
    command = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    search = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=at_default_signals,
    )
    folder = tmp_path / "results" / "s"
    try:
        _wait_up(folder / "trials" / "2")
        search.send_signal(signal.SIGINT)
        assert search.wait(timeout=60) == 130, search.stderr.read() if search.stderr else ""
    finally:
        if search.poll() is None:
            search.kill()
            search.wait()
    journal = _journal(tmp_path)
    started = {r["id"] for r in journal if r["event"] == "trial_started"}
    states = {r["id"]: r["state"] for r in journal if r["event"] == "trial_finished"}
    assert started == {1, 2} and states == {1: "ok", 2: "interrupted"}
    assert sorted(p.name for p in (folder / "trials").iterdir()) == ["1", "2"]


REPORTS_AT_ONCE = """import hypermax

def f(params):
    hypermax.report(1, loss=params["x"])
    return params["x"]
"""


def test_the_reports_of_a_trial_held_on_standby_come_after_its_start(tmp_path):
    """A held trial that reports at once: its reports reach the driver after its start, not
    before it (where they were dropped, as reports of a trial it did not know to run)."""
    from hypermax.cli import main

    spec = _random_search(tmp_path, REPORTS_AT_ONCE, iterations=100, seed=2)
    spec.write_text(spec.read_text().replace('"name": "f"', '"name": "f", "parallel": 2'))
    assert main(["run", str(spec), "--no-ui"]) == 0
    journal = _journal(tmp_path)
    reported = {r["id"] for r in journal if r["event"] == "trial_reported"}
    assert reported == set(range(1, 101))
