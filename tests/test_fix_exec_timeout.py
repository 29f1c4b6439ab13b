"""A search's ``timeout`` keeps the work of the trials it cuts short: one that reported is
recorded ``stopped`` with the loss and step of its last report (as early stopping records it),
and the journal, ``show``, ``export`` and a resume all take it so; one that never reported is
``interrupted`` and runs again."""

from __future__ import annotations

import csv
from pathlib import Path

from test_driver import FakeRunner, Search

from hypermax.events import Command
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.show import summary_lines
from hypermax.trial import KillReason, TrialState


def _reports_then_hangs(runner: FakeRunner) -> None:
    """Trial 1 reports steps 1 and 2 once, then neither trial ever ends on its own."""
    if 1 in runner.running and not runner.queued and not getattr(runner, "reported", False):
        runner.reported = True  # type: ignore[attr-defined]
        runner.report(1, 1, loss=0.5)
        runner.report(1, 2, loss=0.3)


def test_a_timeout_records_a_trial_that_reported_as_stopped_with_its_last_loss(tmp_path: Path):
    runner = FakeRunner(_reports_then_hangs, auto=False)
    search = Search(
        tmp_path, runner, iterations=10, parallel=2, timeout=1
    )  # a second: time for the first turns
    outcome = search.run()

    assert outcome.reason == "timeout of 1 s"
    assert sorted(runner.cancelled) == [(1, KillReason.INTERRUPT), (2, KillReason.INTERRUPT)]
    stopped, interrupted = sorted(outcome.trials, key=lambda t: t.id)
    assert (stopped.state, stopped.loss, stopped.step) == (TrialState.STOPPED, 0.3, 2)
    assert stopped.reason == "stopped at step 2: timeout of 1 s"
    assert (interrupted.state, interrupted.loss, interrupted.step) == (
        TrialState.INTERRUPTED,
        None,
        None,
    )
    assert [t.id for t in search.optimizer.told] == [1]  # the optimizer learns from it
    assert outcome.done == 1 and outcome.best is not None and outcome.best.id == 1

    finished = {r["id"]: r for r in search.records() if r["event"] == "trial_finished"}
    assert (finished[1]["state"], finished[1]["loss"], finished[1]["step"]) == ("stopped", 0.3, 2)
    assert finished[2]["state"] == "interrupted"

    history = replay(read_records(search.folder.journal))
    shown = "\n".join(summary_lines(search.folder.path, list(history.trials.values()), {}, 5))
    assert "1 interrupted, 1 stopped" in shown and "stopped@2" in shown
    with (search.folder.path / "results.csv").open() as f:
        rows = {row["trial"]: row for row in csv.DictReader(f)}
    assert (rows["1"]["state"], rows["1"]["loss"], rows["1"]["step"]) == ("stopped", "0.3", "2")
    assert rows["2"]["state"] == "interrupted"

    (tmp_path / "again").mkdir()
    again = Search(tmp_path / "again", FakeRunner(), history=history, iterations=2)
    resumed = again.run()
    assert again.runner.submitted == [2]  # the stopped trial is done; the interrupted runs again
    assert [t.id for t in again.optimizer.told] == [1, 2]
    assert {t.id: t.state for t in resumed.trials} == {1: TrialState.STOPPED, 2: TrialState.OK}


def test_a_loss_threshold_reached_records_a_trial_that_reported_as_stopped(tmp_path: Path):
    """Trial 1 reports, then trial 2 ends under the threshold: the search ends, and trial 1,
    cut short, keeps its report as ``stopped``."""

    def steer(runner: FakeRunner) -> None:
        if {1, 2} <= set(runner.running) and not getattr(runner, "reported", False):
            runner.reported = True  # type: ignore[attr-defined]
            runner.report(1, 4, loss=0.7)
            runner.end(2, loss=0.05)

    search = Search(
        tmp_path, FakeRunner(steer, auto=False), iterations=10, parallel=2, loss_threshold=0.1
    )
    outcome = search.run()
    assert outcome.reason == "loss threshold 0.1 reached"
    cut = {t.id: t for t in outcome.trials}[1]
    assert (cut.state, cut.loss, cut.step) == (TrialState.STOPPED, 0.7, 4)
    assert cut.reason == "stopped at step 4: loss threshold 0.1 reached"


class _Lingering(FakeRunner):
    """Records a stop but ends the trial only when told, as a trial in its kill grace does."""

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        self.cancelled.append((trial_id, reason))


def test_a_ctrl_c_while_a_cut_trial_stops_keeps_the_rule_that_cut_it(tmp_path: Path):
    """The loss threshold cuts trial 1 short; Ctrl-C comes while it ends: it is still
    ``stopped`` by the threshold, not by the interrupt."""
    search: Search

    def steer(runner: FakeRunner) -> None:
        if {1, 2} <= set(runner.running) and not runner.cancelled:
            runner.report(1, 4, loss=0.7)
            runner.end(2, loss=0.05)
        elif runner.cancelled and len(runner.cancelled) == 1:
            search.driver.request(Command.INTERRUPT)
        elif len(runner.cancelled) > 1 and 1 in runner.running:
            runner.end(1, TrialState.INTERRUPTED)

    search = Search(
        tmp_path, _Lingering(steer, auto=False), iterations=10, parallel=2, loss_threshold=0.1
    )
    outcome = search.run()
    cut = {t.id: t for t in outcome.trials}[1]
    assert (cut.state, cut.loss, cut.step) == (TrialState.STOPPED, 0.7, 4)
    assert cut.reason == "stopped at step 4: loss threshold 0.1 reached"
