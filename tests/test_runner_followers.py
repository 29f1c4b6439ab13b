"""The local runner keeps its follower threads for the next trials instead of one per trial."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState


def _followers() -> int:
    return sum(t.name == "hypermax-follower" for t in threading.enumerate())


def _outcomes(runner: LocalRunner, count: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + 60
    while len(outcomes) < count and time.monotonic() < deadline:
        outcomes += [e for e in runner.poll(0.5) if isinstance(e, Outcome)]
    return outcomes


def test_trials_one_after_another_share_one_follower_and_two_at_once_two(tmp_path: Path):
    function = FunctionSpec(type="executable", command=(sys.executable, "-c", "print(0.5)"))
    runner = LocalRunner(function, tmp_path)
    before = _followers()
    try:
        for trial_id in range(1, 6):
            trial = Proposal(trial_id, {}, {})
            runner.submit(trial, tmp_path / str(trial_id), tmp_path / f"{trial_id}.log")
            (outcome,) = _outcomes(runner, 1)
            assert outcome.trial_id == trial_id and outcome.state is TrialState.OK
        assert _followers() == before + 1
        for trial_id in (6, 7):
            trial = Proposal(trial_id, {}, {})
            runner.submit(trial, tmp_path / str(trial_id), tmp_path / f"{trial_id}.log")
        outcomes = _outcomes(runner, 2)
        assert sorted(o.trial_id for o in outcomes) == [6, 7]
        assert all(o.state is TrialState.OK for o in outcomes)
        assert _followers() <= before + 2
    finally:
        runner.close()
    assert _followers() == before
