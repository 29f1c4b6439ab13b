"""The driver in-process, with a fake runner and a fake optimizer: the loop's own logic.

Everything else is real: the spec, the space, the journal and the results folder. The fake
runner ends trials only when the test (or its default policy) says so, so each check sees the
exact order of asks, launches, tells and journal records.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES

from hypermax import events as ev
from hypermax.driver import Driver
from hypermax.events import Command
from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.journal import Journal
from hypermax.journal_records import read_records
from hypermax.journal_replay import JournalState, replay
from hypermax.optimizers.base import EXHAUSTED, WAIT, BaseOptimizer, NoProposal
from hypermax.results import ResultsFolder
from hypermax.space import Space
from hypermax.spec import ClusterSpec, Spec, spec_from_dict
from hypermax.trial import KillReason, Outcome, Proposal, Report, Trial, TrialState

CANCELLED = {
    KillReason.INTERRUPT: TrialState.INTERRUPTED,
    KillReason.EARLY_STOP: TrialState.STOPPED,
}


class FakeRunner(BaseRunner):
    """Runs nothing. Each poll first calls ``on_poll(runner)``, then, if nothing is queued,
    ends the oldest running trial with ``{"loss": x}`` (unless ``auto`` is off)."""

    def __init__(self, on_poll: Callable[[FakeRunner], None] | None = None, auto: bool = True):
        self.running: dict[int, Proposal] = {}
        self.submitted: list[int] = []
        self.cancelled: list[tuple[int, KillReason]] = []
        self.queued: list[RunnerEvent] = []
        self.most_running = 0
        self.polls = 0
        self.closed = False
        self.on_poll = on_poll
        self.auto = auto

    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        self.running[proposal.trial_id] = proposal
        self.submitted.append(proposal.trial_id)
        self.most_running = max(self.most_running, len(self.running))

    def poll(self, timeout: float) -> list[RunnerEvent]:
        self.polls += 1
        if self.on_poll is not None:
            self.on_poll(self)
        if not self.queued and self.running and self.auto:
            self.end(min(self.running))
        events, self.queued = self.queued, []
        return events

    def end(self, trial_id: int, state: TrialState = TrialState.OK, **result: Any) -> None:
        proposal = self.running.pop(trial_id)
        outcome_result = (
            (result or {"loss": float(proposal.params["x"])}) if state is TrialState.OK else None
        )
        self.queued.append(Outcome(trial_id, state, result=outcome_result, wall_time=1.0))

    def report(self, trial_id: int, step: int, **metrics: float) -> None:
        self.queued.append(Report(trial_id, step, metrics))

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        self.cancelled.append((trial_id, reason))
        if trial_id in self.running:
            self.end(trial_id, CANCELLED[reason])

    def close(self) -> list[Outcome]:
        self.closed = True
        for trial_id in list(self.running):
            self.end(trial_id, TrialState.INTERRUPTED)
        outcomes = [e for e in self.queued if isinstance(e, Outcome)]
        self.queued = [e for e in self.queued if not isinstance(e, Outcome)]
        return outcomes


class FakeOptimizer(BaseOptimizer):
    """Proposes x = 1, 2, 3, ... (or what ``script(optimizer, trial_id)`` answers) and keeps a
    log of every call."""

    def __init__(self, space: Space, script: Callable[..., Any] | None = None) -> None:
        super().__init__(space, seed=0)
        self.script = script
        self.calls: list[tuple[str, Any]] = []
        self.told: list[Trial] = []
        self.pending_ids: set[int] = set()
        self.proposed = 0

    def ask(self, trial_id: int) -> Proposal | NoProposal:
        self.calls.append(("ask", trial_id))
        if self.script is not None:
            answer = self.script(self, trial_id)
            if isinstance(answer, NoProposal):
                self.calls.append((answer.value, trial_id))
                return answer
        self.proposed += 1
        self.pending_ids.add(trial_id)
        return self.propose(trial_id, {"x": self.proposed})

    def tell(self, trial: Trial) -> None:
        self.calls.append(("tell", trial.id))
        self.pending_ids.discard(trial.id)
        self.told.append(trial)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        self.pending_ids.add(trial_id)


SPACE = {"type": "object", "properties": {"x": {"type": "integer", "min": 0, "max": 1000}}}


def make_spec(tmp_path: Path, iterations: int = 5, parallel: int = 1, **search: Any) -> Spec:
    doc = {
        "hyperparameters": SPACE,
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "quadratic.py"),
            "name": "train",
            "parallel": parallel,
        },
        "search": {"name": "fake", "iterations": iterations, **search},
        "results": {"directory": str(tmp_path / "results")},
    }
    return spec_from_dict(doc, tmp_path / "search.json")


class Search:
    """A driver over the fakes, with a real journal and results folder, and its events."""

    def __init__(
        self,
        tmp_path: Path,
        runner: FakeRunner | None = None,
        script: Callable[..., Any] | None = None,
        history: JournalState | None = None,
        cluster: ClusterSpec | None = None,
        **spec: Any,
    ) -> None:
        self.spec = replace(make_spec(tmp_path, **spec), cluster=cluster)
        self.space = Space.from_spec(self.spec)
        self.folder = ResultsFolder(self.spec.results_folder)
        self.folder.create()
        self.journal = Journal(self.folder.journal)
        self.runner = runner or FakeRunner()
        self.optimizer = FakeOptimizer(self.space, script)
        self.events: list[ev.Event] = []
        self.driver = Driver(
            self.spec,
            self.space,
            self.optimizer,
            self.runner,
            self.journal,
            self.folder,
            history=history,
        )
        self.driver.subscribe(self)

    def handle(self, event: ev.Event) -> None:
        self.events.append(event)

    def run(self) -> ev.SearchOutcome:
        try:
            return self.driver.run()
        finally:
            self.journal.close()

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.folder.journal)


def test_trials_run_in_id_order_and_each_is_journaled_before_and_after(tmp_path):
    search = Search(tmp_path, iterations=4)
    outcome = search.run()
    assert outcome.done == 4 and outcome.reason == "iterations done" and not outcome.interrupted
    assert [(r["event"], r["id"]) for r in search.records()] == [
        (event, i) for i in range(1, 5) for event in ("trial_started", "trial_finished")
    ]
    assert search.optimizer.calls == [(call, i) for i in range(1, 5) for call in ("ask", "tell")]
    assert [t.loss for t in search.optimizer.told] == [1.0, 2.0, 3.0, 4.0]
    assert outcome.best is not None and outcome.best.id == 1
    assert search.runner.closed


def test_a_free_slot_is_refilled_before_the_runner_is_polled_again(tmp_path):
    seen: list[tuple[int, int]] = []

    def watch(runner: FakeRunner) -> None:
        seen.append((len(runner.running), len(runner.submitted)))

    search = Search(tmp_path, FakeRunner(watch), iterations=7, parallel=3)
    assert search.run().done == 7
    # (running, submitted) at each poll: every slot busy until fewer trials are left than slots;
    # the last poll is the one after the runner closed
    assert seen == [(3, 3), (3, 4), (3, 5), (3, 6), (3, 7), (2, 7), (1, 7), (0, 7)]
    assert search.runner.submitted == list(range(1, 8))


def test_pause_launches_nothing_until_resumed(tmp_path):
    polls_while_paused: list[int] = []

    def steer(runner: FakeRunner) -> None:
        if runner.polls == 1:
            search.driver.request(Command.PAUSE)
        elif 2 <= runner.polls <= 5:
            polls_while_paused.append(len(runner.submitted))
        elif runner.polls == 6:
            search.driver.request(Command.TOGGLE_PAUSE)

    search = Search(tmp_path, FakeRunner(steer), iterations=4)
    assert search.run().done == 4
    # the first trial ended at poll 1; nothing new started while paused
    assert polls_while_paused == [1, 1, 1, 1]
    assert search.runner.submitted == [1, 2, 3, 4]
    paused = [e.paused for e in search.events if isinstance(e, ev.Paused)]
    assert paused == [True, False]


def test_the_time_paused_does_not_count_towards_the_search_timeout(tmp_path):
    """Paused over lunch, a search goes on when resumed: its timeout counts its running time."""

    def steer(runner: FakeRunner) -> None:
        if runner.polls == 1:
            search.driver.request(Command.PAUSE)
        elif 2 <= runner.polls <= 5:
            time.sleep(0.15)  # paused for longer than the timeout, in all
        elif runner.polls == 6:
            search.driver.request(Command.RESUME)

    search = Search(tmp_path, FakeRunner(steer), iterations=4, timeout=0.5)
    outcome = search.run()
    assert (outcome.reason, outcome.done) == ("iterations done", 4)


def test_interrupt_cancels_the_running_trials_and_they_are_not_told(tmp_path):
    def steer(runner: FakeRunner) -> None:
        if runner.polls == 1:
            runner.end(1)
        elif runner.polls == 2:
            search.driver.request(Command.INTERRUPT)

    search = Search(tmp_path, FakeRunner(steer, auto=False), iterations=10, parallel=2)
    outcome = search.run()
    assert outcome.interrupted and outcome.reason == "interrupted"
    assert search.runner.cancelled == [(2, KillReason.INTERRUPT), (3, KillReason.INTERRUPT)]
    assert [t.id for t in search.optimizer.told] == [1]
    states = {t.id: t.state for t in outcome.trials}
    assert states == {1: TrialState.OK, 2: TrialState.INTERRUPTED, 3: TrialState.INTERRUPTED}
    assert outcome.done == 1


@pytest.mark.parametrize("command", [Command.INTERRUPT, Command.PAUSE])
def test_a_trial_whose_ask_an_interrupt_or_a_pause_came_during_does_not_start(tmp_path, command):
    """A slow plugin's ask held Ctrl-C until it answered; then its trial started, only to be
    killed and journaled interrupted (or, paused, it started all the same)."""

    def slow_ask(optimizer: FakeOptimizer, trial_id: int) -> Any:
        if trial_id == 2 and optimizer.proposed == 1:
            search.driver.request(command)  # as Ctrl-C or the dashboard's p does, meanwhile
        return None

    paused_with: list[int] = []

    def steer(runner: FakeRunner) -> None:
        if command is Command.PAUSE and runner.polls == 3:
            paused_with.extend(runner.submitted)
            search.driver.request(Command.RESUME)

    search = Search(tmp_path, FakeRunner(steer), script=slow_ask, iterations=3)
    outcome = search.run()
    started = [r["id"] for r in search.records() if r["event"] == "trial_started"]
    if command is Command.INTERRUPT:
        assert outcome.interrupted and search.runner.submitted == [1] and started == [1]
    else:
        assert paused_with == [1]
        assert outcome.done == 3 and search.runner.submitted == [1, 2, 3] == started
        assert ("ask", 2) in search.optimizer.calls
        assert [name for name, _ in search.optimizer.calls].count("ask") == 3  # 2 runs later


def test_an_exhausted_optimizer_ends_the_search_with_reason_exhausted(tmp_path):
    def three_then_none(optimizer: FakeOptimizer, trial_id: int) -> Any:
        return EXHAUSTED if optimizer.proposed >= 3 else None

    search = Search(tmp_path, script=three_then_none, iterations=10, parallel=2)
    outcome = search.run()
    assert outcome.reason == "exhausted" and outcome.done == 3
    assert [name for name, _ in search.optimizer.calls].count("ask") == 4  # never again after
    finished = [e for e in search.events if isinstance(e, ev.SearchFinished)]
    assert finished[0].reason == "exhausted"


def test_wait_is_asked_again_only_after_a_trial_ends(tmp_path):
    """A generation-like method: one trial at a time although three slots are free."""

    def one_at_a_time(optimizer: FakeOptimizer, trial_id: int) -> Any:
        return WAIT if optimizer.pending_ids else None

    search = Search(tmp_path, script=one_at_a_time, iterations=5, parallel=3)
    outcome = search.run()
    assert outcome.done == 5 and outcome.reason == "iterations done"
    assert search.runner.most_running == 1
    assert search.runner.submitted == [1, 2, 3, 4, 5]  # a WAIT gives the trial id back
    calls = [name for name, _ in search.optimizer.calls if name != "ask"]
    # after each WAIT the next call is a tell, never another ask: no busy loop
    assert calls == ["wait", "tell"] * 4 + ["tell"]


def test_wait_with_nothing_running_ends_the_search_as_exhausted(tmp_path):
    search = Search(tmp_path, script=lambda optimizer, trial_id: WAIT, iterations=5)
    outcome = search.run()
    assert outcome.reason == "exhausted" and outcome.done == 0
    assert search.runner.submitted == []
    # said, since "exhausted" alone read as if the optimizer had answered EXHAUSTED
    assert [e.text for e in search.events if isinstance(e, ev.Message)] == [
        "search.method tpe answered WAIT with no trial running, which nothing can change: "
        "the search ends"
    ]


def test_a_resumed_history_is_told_at_once_and_unfinished_trials_run_first(tmp_path):
    first = Search(tmp_path, iterations=3)
    first.run()
    records = read_records(first.folder.journal)
    # trial 2 was running at a crash: drop its end
    records = [r for r in records if not (r["event"] == "trial_finished" and r["id"] == 2)]
    history = replay(records)
    (tmp_path / "again").mkdir()
    search = Search(tmp_path / "again", history=history, iterations=5)
    outcome = search.run()
    assert [t.id for t in search.optimizer.told[:2]] == [1, 3]  # the batch, before any ask
    assert search.optimizer.calls[:2] == [("tell", 1), ("tell", 3)]
    assert search.runner.submitted == [2, 4, 5]
    assert search.optimizer.calls[2] == ("tell", 2)  # the resumed trial ran with its params
    assert {t.id for t in outcome.trials} == {1, 2, 3, 4, 5} and outcome.done == 5


def test_reports_are_journaled_and_a_stopped_trial_gets_the_loss_of_its_last(tmp_path):
    def steer(runner: FakeRunner) -> None:
        if runner.polls == 1:
            runner.report(1, 0, loss=5.0)
            runner.report(1, 1, loss=4.0)
        elif runner.polls == 2:
            runner.cancel(1, KillReason.EARLY_STOP)

    search = Search(tmp_path, FakeRunner(steer, auto=False), iterations=1)
    outcome = search.run()
    (trial,) = outcome.trials
    assert trial.state is TrialState.STOPPED and trial.loss == 4.0
    assert search.optimizer.told == [trial]
    reported = [r for r in search.records() if r["event"] == "trial_reported"]
    assert [(r["step"], r["metrics"]) for r in reported] == [(0, {"loss": 5.0}), (1, {"loss": 4.0})]


MEDIAN = {"policy": "median", "min_trials": 1, "grace_steps": 0}


def report_once(losses: dict[int, float]) -> Callable[[FakeRunner], None]:
    """A runner policy: each trial reports step 1 with its loss in ``losses``, then ends."""
    reported: set[int] = set()

    def steer(runner: FakeRunner) -> None:
        for trial_id in list(runner.running):
            if trial_id not in reported:
                reported.add(trial_id)
                runner.report(trial_id, 1, loss=losses[trial_id])

    return steer


def test_early_stopping_cancels_a_trial_worse_than_the_median_and_records_where(tmp_path):
    runner = FakeRunner(report_once({1: 1.0, 2: 5.0, 3: 0.5}))
    search = Search(tmp_path, runner, iterations=3, early_stopping=MEDIAN)
    outcome = search.run()
    assert runner.cancelled == [(2, KillReason.EARLY_STOP)]
    trials = {t.id: t for t in outcome.trials}
    stopped = trials[2]
    assert (stopped.state, stopped.loss, stopped.step) == (TrialState.STOPPED, 5.0, 1)
    assert stopped.reason == "stopped at step 1: loss 5 worse than 1 (median of 1 at step 1)"
    assert trials[1].state is TrialState.OK and trials[3].state is TrialState.OK
    assert stopped in search.optimizer.told
    record = next(r for r in search.records() if r["event"] == "trial_finished" and r["id"] == 2)
    assert (record["state"], record["step"], record["reason"]) == ("stopped", 1, stopped.reason)
    standings = [e.standing for e in search.events if isinstance(e, ev.TrialReported)]
    assert [(s.trial_id, s.stop, s.bar) for s in standings if s is not None] == [
        (1, False, None),
        (2, True, 1.0),
        (3, False, 3.0),  # the median of 1.0 and 5.0
    ]


class LosingRunner(FakeRunner):
    """Loses each trial it is asked to stop early on the way (its Dask worker, or its preload
    server, died): the trial comes back interrupted."""

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        if reason is not KillReason.EARLY_STOP or trial_id not in self.running:
            super().cancel(trial_id, reason)
            return
        self.cancelled.append((trial_id, reason))
        self.running.pop(trial_id)
        lost = Outcome(trial_id, TrialState.INTERRUPTED, reason="lost with its preload server")
        self.queued.append(lost)


def test_a_trial_lost_on_its_way_to_an_early_stop_is_stopped_not_run_again(tmp_path):
    runner = LosingRunner(report_once({1: 1.0, 2: 5.0, 3: 0.5}))
    search = Search(tmp_path, runner, iterations=3, early_stopping=MEDIAN)
    outcome = search.run()
    assert runner.submitted == [1, 2, 3]  # before: trial 2 again, from its start
    stopped = {t.id: t for t in outcome.trials}[2]
    assert (stopped.state, stopped.loss, stopped.step) == (TrialState.STOPPED, 5.0, 1)
    assert stopped.reason == "stopped at step 1: loss 5 worse than 1 (median of 1 at step 1)"
    assert stopped.kill_reason == KillReason.EARLY_STOP.value
    assert stopped in search.optimizer.told


def test_a_resumed_search_judges_against_the_reports_of_its_finished_trials(tmp_path):
    first = Search(tmp_path, FakeRunner(report_once({1: 1.0})), iterations=1, early_stopping=MEDIAN)
    first.run()
    history = replay(read_records(first.folder.journal))
    (tmp_path / "again").mkdir()
    runner = FakeRunner(report_once({2: 5.0}))
    again = Search(tmp_path / "again", runner, history=history, iterations=2, early_stopping=MEDIAN)
    outcome = again.run()
    assert runner.cancelled == [(2, KillReason.EARLY_STOP)]  # trial 1's report is the median
    assert [t.state for t in outcome.trials] == [TrialState.OK, TrialState.STOPPED]


def test_timeout_stops_launching_and_cancels_what_runs(tmp_path):
    search = Search(tmp_path, FakeRunner(auto=False), iterations=10, timeout=0.05)
    outcome = search.run()
    assert outcome.reason == "timeout of 0.05 s" and outcome.done == 0
    assert search.runner.cancelled == [(1, KillReason.INTERRUPT)]
    assert [t.state for t in outcome.trials] == [TrialState.INTERRUPTED]


@pytest.mark.parametrize("threshold, done", [(2.5, 1), (0.5, 4)])
def test_a_loss_threshold_stops_the_search_once_reached(tmp_path, threshold, done):
    search = Search(tmp_path, iterations=4, loss_threshold=threshold)
    outcome = search.run()
    assert outcome.done == done


# -- a free slot never waits ---------------------------------------------------------------------
class AheadOptimizer(FakeOptimizer):
    """A fake whose proposals do not depend on results (as random search's)."""

    proposals_use_results = False


def ahead_search(tmp_path: Path, runner: FakeRunner | None = None, **spec: Any) -> Search:
    search = Search(tmp_path, runner, **spec)
    search.optimizer = AheadOptimizer(search.space)
    search.driver.optimizer = search.optimizer
    return search


def test_proposals_that_do_not_use_results_are_asked_ahead_one_per_slot(tmp_path):
    search = ahead_search(tmp_path, iterations=4)
    outcome = search.run()
    assert outcome.done == 4
    # the next trial's ask comes before the running trial's tell, and none past the budget
    assert search.optimizer.calls == [
        ("ask", 1),
        ("ask", 2),
        ("tell", 1),
        ("ask", 3),
        ("tell", 2),
        ("ask", 4),
        ("tell", 3),
        ("tell", 4),
    ]
    assert search.runner.submitted == [1, 2, 3, 4]
    started = [r["params"]["x"] for r in search.records() if r["event"] == "trial_started"]
    assert started == [1, 2, 3, 4]


def test_proposals_that_use_results_are_asked_after_the_tell(tmp_path):
    seen: list[list[tuple[str, int]]] = []
    search = Search(tmp_path, FakeRunner(lambda runner: seen.append(list(calls))), iterations=3)
    calls = search.optimizer.calls
    search.run()
    assert seen[0] == [("ask", 1)]  # nothing asked ahead while trial 1 runs
    assert calls == [("ask", 1), ("tell", 1), ("ask", 2), ("tell", 2), ("ask", 3), ("tell", 3)]


def test_an_ask_ahead_that_raises_raises_when_its_slot_frees(tmp_path):
    def script(optimizer: FakeOptimizer, trial_id: int) -> Any:
        if trial_id == 3:
            raise RuntimeError("diverged")
        return None

    search = ahead_search(tmp_path, iterations=5)
    search.optimizer.script = script
    with pytest.raises(RuntimeError, match="diverged"):
        search.run()
    finished = {r["id"]: r["state"] for r in search.records() if r["event"] == "trial_finished"}
    assert finished == {1: "ok", 2: "ok"}  # trial 2 ran to its end before the error surfaced


def test_a_tell_that_raises_keeps_the_trial_it_was_told_and_the_running_ones(tmp_path):
    """A plugin whose tell raises ends the search; the trial it was told, which finished, is
    journaled with its loss, and the one still running is recorded interrupted."""

    def broken_tell(trial: Trial) -> None:
        raise RuntimeError("tell broke")

    search = Search(tmp_path, iterations=5, parallel=2)
    search.optimizer.tell = broken_tell  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="tell broke"):
        search.run()
    finished = {r["id"]: r["state"] for r in search.records() if r["event"] == "trial_finished"}
    assert finished == {1: "ok", 2: "interrupted"}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names fds through /proc")
def test_a_turn_journals_what_ended_then_what_started_and_never_waits_for_the_disk(
    tmp_path, monkeypatch
):
    fsyncs: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        fsyncs.append((threading.current_thread().name, os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    writes: list[int] = []
    real_append = Journal.append_many

    def append_many(journal, records, wait_for_disk=True):
        writes.extend([len(records)] if records else [])
        real_append(journal, records, wait_for_disk)

    monkeypatch.setattr(Journal, "append_many", append_many)
    search = Search(tmp_path, iterations=3)
    search.run()
    assert [(r["event"], r["id"]) for r in search.records()] == [
        ("trial_started", 1),
        ("trial_finished", 1),
        ("trial_started", 2),
        ("trial_finished", 2),
        ("trial_started", 3),
        ("trial_finished", 3),
    ]
    journal = str(search.folder.journal.resolve())
    threads = [name for name, path in fsyncs if path == journal]
    assert threads and set(threads) == {"hypermax-journal"}  # never the driver's thread
    # a turn's records go in one write: start 1; end 1 + start 2; end 2 + start 3; end 3
    assert writes == [1, 2, 2, 1]
    # at most one sync per write, and the one that closing the journal makes
    assert len(threads) <= len(writes) + 1


def test_the_best_and_the_count_follow_the_trials_as_they_end(tmp_path):
    losses = iter([5.0, 2.0, 7.0, 2.0, 1.0])

    def end(runner: FakeRunner) -> None:
        for trial_id in list(runner.running):
            runner.end(trial_id, loss=next(losses))

    search = Search(tmp_path, FakeRunner(end, auto=False), iterations=5)
    outcome = search.run()
    finished = [e for e in search.events if isinstance(e, ev.TrialFinished)]
    assert [(e.done, e.best.id if e.best else None) for e in finished] == [
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 2),  # a tie keeps the earlier trial
        (5, 5),
    ]
    assert outcome.best is not None and outcome.best.id == 5 and outcome.done == 5


def test_the_driver_holds_the_metadata_of_the_best_trial_only(tmp_path):
    """Every trial that ended was held whole, by the search and by an optimizer that keeps its
    trials (auto): 30 trials returning 10 MB beside their loss held 300 MB; the journal has it,
    and best.json needs the best's only."""

    def end_with_blob(runner: FakeRunner) -> None:
        if runner.running:
            trial_id = min(runner.running)
            runner.end(trial_id, loss=float(trial_id), blob=str(trial_id) * 1000)

    search = Search(tmp_path, FakeRunner(end_with_blob, auto=False), iterations=3)
    outcome = search.run()
    assert [t.metadata for t in search.optimizer.told] == [{}, {}, {}]
    assert [t.loss for t in search.optimizer.told] == [1.0, 2.0, 3.0]
    assert {t.id: t.metadata for t in outcome.trials} == {1: {"blob": "1" * 1000}, 2: {}, 3: {}}
    assert outcome.metadata_in_journal == {2, 3}
    journaled = [r["metadata"] for r in search.records() if r["event"] == "trial_finished"]
    assert journaled == [{"blob": str(i) * 1000} for i in (1, 2, 3)]
