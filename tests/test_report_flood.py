"""A trial that reports thousands of times a second does not hold the driver: the runner hands
its reports back in batches, so that between two the driver applies its stop rules (a search's
timeout), its controls (Ctrl-C) and its journal; and a backlog of them stays bounded: past
``MAX_QUEUED_REPORTS`` the trial's stdout is read no faster than they are taken in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import fake, wait_until

from hypermax.execution import local
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


def test_a_trial_that_reports_faster_than_its_reports_are_taken_in_waits_for_them(
    tmp_path, monkeypatch
):
    # the runner queues a bounded number of reports; past it, the trial's stdout is read no
    # faster than poll takes them in: the trial's writes wait, and no report is lost
    monkeypatch.setattr(local, "MAX_QUEUED_REPORTS", 100)
    done = tmp_path / "done"
    command = [*fake("report_flood"), "20000", str(done)]
    runner = LocalRunner(FunctionSpec(type="executable", command=command), tmp_path)
    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "trial_1.log")
        deadline = time.monotonic() + 1.0  # nobody polls: it cannot write all its reports
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not done.exists() and runner.running() == 1
        events = []
        while not events or not isinstance(events[-1], Outcome):
            events.extend(runner.poll(5))
    finally:
        runner.close()
    assert [e.step for e in events if isinstance(e, Report)] == list(range(1, 20001))
    assert events[-1].state is TrialState.OK and events[-1].result == {"loss": 0.5}


def test_a_trial_whose_reports_wait_ends_at_once_its_output_read_to_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "MAX_QUEUED_REPORTS", 100)
    log = tmp_path / "trial_1.log"
    command = [*fake("report_flood"), "10000000"]
    runner = LocalRunner(FunctionSpec(type="executable", command=command), tmp_path)
    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", log)
        wait_until(lambda: log.stat().st_size > 5_000, 10, "the queue to fill up")
    finally:
        began = time.monotonic()
        outcome = runner.close()[-1]
    assert time.monotonic() - began < 1.5  # not the 2 s the output may take to end
    assert outcome.state is TrialState.INTERRUPTED
    assert "outside its tree" not in log.read_text()
