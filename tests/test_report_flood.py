"""A trial that reports thousands of times a second does not hold the driver: the runner hands
its reports back in batches, so that between two the driver applies its stop rules (a search's
timeout), its controls (Ctrl-C) and its journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import fake, wait_until

from hypermax.execution.local import POLL_BATCH, LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, Report, TrialState


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[LocalRunner]:
    runner = LocalRunner(FunctionSpec(type="executable", command=fake("report_flood")), tmp_path)
    yield runner
    runner.close()


def test_a_backlog_of_reports_comes_back_in_batches_in_order(runner, tmp_path):
    runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "trial_1.log")
    wait_until(lambda: runner.running() == 0, 30, "the trial to end")  # its reports are queued
    batches = []
    while not batches or not isinstance(batches[-1][-1], Outcome):
        batches.append(runner.poll(5))
    assert max(len(batch) for batch in batches) == POLL_BATCH
    events = [event for batch in batches for event in batch]
    assert [e.step for e in events if isinstance(e, Report)] == list(range(1, 2001))
    assert events[-1].state is TrialState.OK and events[-1].result == {"loss": 0.5}
