"""What every runner does: the contract suite each runner's test module runs.

A runner's tests subclass :class:`RunnerContract` (in a module named ``test_*.py``) and give
:meth:`RunnerContract.make_runner`; every test here then runs against that runner::

    class TestLocalRunner(RunnerContract):
        def make_runner(self, function, folder):
            return LocalRunner(function, folder)

The trials are the fake programs of ``tests/fake_trials``; each test marks its trials' processes
(``HYPERMAX_TEST_MARKER``) and ends by checking that none of them is left.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from fake_trials.functions import PROGRAM_ENV
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, pid_alive, wait_until

from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Outcome, Proposal, Report, TrialState

#: how long any trial here may take to end (they take well under a second)
OUTCOME_TIMEOUT = 30.0
#: SIGTERM → SIGKILL grace of the trials that ignore SIGTERM: short, to keep the suite fast
GRACE = 0.3

MakeRunner = Callable[..., BaseRunner]


def executable(name: str, **settings: Any) -> dict[str, Any]:
    """``function`` settings that run the fake program ``name``."""
    return {
        "type": "executable",
        "command": (sys.executable, str(FAKES / f"{name}.py")),
        **settings,
    }


def python_function(name: str, **settings: Any) -> dict[str, Any]:
    """``function`` settings that call ``name`` of ``fake_trials/functions.py``."""
    return {"type": "python_function", "src": str(FAKES / "functions.py"), "name": name, **settings}


def stoppable(name: str, **settings: Any) -> dict[str, Any]:
    """``function`` settings that call ``name`` of ``fake_trials/stoppable.py``."""
    return {**python_function(name, **settings), "src": str(FAKES / "stoppable.py")}


class RunnerContract:
    """The tests every runner passes. Subclasses give :meth:`make_runner`.

    With ``programs_as_functions`` set, each fake program runs inside a ``python_function``
    trial (``functions.run_program``) instead of as an executable: what a runner that forks
    function trials from a preloaded server must pass too.
    """

    programs_as_functions = False

    #: whether :meth:`BaseRunner.process_ids` names a running trial's main process: False for a
    #: runner whose trials run on other machines (cluster workers), which gives None instead
    names_processes = True
    #: how the runner's live stats name the machine a trial runs on ("": this one)
    where = ""

    def make_runner(self, function: FunctionSpec, folder: Path) -> BaseRunner:
        """A fresh runner for trials of ``function``; relative paths start at ``folder``."""
        raise NotImplementedError

    # -- fixtures and helpers ---------------------------------------------------------------
    def program(self, name: str, **settings: Any) -> dict[str, Any]:
        """``function`` settings that run the fake program ``name`` (see the class)."""
        if not self.programs_as_functions:
            return executable(name, **settings)
        env = {PROGRAM_ENV: name, **settings.pop("env", {})}
        return python_function("run_program", env=env, **settings)

    @pytest.fixture
    def runner_for(self, tmp_path: Path, marker: str) -> Iterator[MakeRunner]:
        """runner_for(**function settings) → a runner whose trials carry this test's marker.

        Every runner made is closed at the end, and no process of its trials may be left.
        """
        made: list[BaseRunner] = []

        def make(**settings: Any) -> BaseRunner:
            env = {MARKER_ENV: marker, **settings.pop("env", {})}
            runner = self.make_runner(FunctionSpec(env=env, **settings), tmp_path)
            made.append(runner)
            return runner

        try:
            yield make
        finally:
            for runner in made:
                runner.close()
        assert_none_alive(marker)

    @staticmethod
    def submit(runner: BaseRunner, folder: Path, trial_id: int, **params: Any) -> Path:
        """Submit trial ``trial_id``; its folder."""
        trial_dir = folder / "trials" / str(trial_id)
        log = folder / "logs" / f"trial_{trial_id}.log"
        runner.submit(Proposal(trial_id, params, {}), trial_dir, log)
        return trial_dir

    @staticmethod
    def outcome(runner: BaseRunner, trial_id: int) -> tuple[Outcome, list[RunnerEvent]]:
        """Poll until trial ``trial_id`` ends: its Outcome and every event polled until then."""
        events: list[RunnerEvent] = []
        deadline = time.monotonic() + OUTCOME_TIMEOUT
        while time.monotonic() < deadline:
            events += runner.poll(0.5)
            for event in events:
                if isinstance(event, Outcome) and event.trial_id == trial_id:
                    return event, events
        raise AssertionError(f"no outcome for trial {trial_id} within {OUTCOME_TIMEOUT} s")

    @staticmethod
    def up(trial_dir: Path) -> list[int]:
        """Wait for the fake trial's ``up`` sentinel; the pids it names."""
        sentinel = trial_dir / "up"
        wait_until(sentinel.exists, OUTCOME_TIMEOUT, f"{sentinel} to appear")
        return [int(pid) for pid in sentinel.read_text().split()]

    @staticmethod
    def seen_using_memory(runner: BaseRunner, trial_id: int) -> bool:
        """Whether the runner has seen the memory of running trial ``trial_id``."""
        live = runner.live().get(trial_id)
        return live is not None and live.rss_mib > 0

    @staticmethod
    def log(folder: Path, trial_id: int) -> str:
        return (folder / "logs" / f"trial_{trial_id}.log").read_text(errors="replace")

    # -- a trial that ends well -------------------------------------------------------------
    def test_an_executable_ends_ok_with_its_result_reports_and_files(self, runner_for, tmp_path):
        go = tmp_path / "go"
        runner = runner_for(**self.program("good", env={"GO_FILE": str(go)}))
        before = time.time()
        self.submit(runner, tmp_path, 1)
        # it ends once the runner has looked at its memory: one that ends before the first look
        # (which a loaded machine may hold back) has no peak to tell, as its reaping gives none
        # below the peak the kernel carries into it from the process that started it
        wait_until(lambda: self.seen_using_memory(runner, 1), OUTCOME_TIMEOUT, "a look at it")
        go.write_text("")
        outcome, events = self.outcome(runner, 1)
        assert outcome.state is TrialState.OK, outcome.reason
        assert outcome.result == {"loss": 0.25, "plot": "plot.png"}
        assert outcome.attachments == ("plot.png",)
        assert outcome.exit_code == 0 and outcome.reason is None
        assert outcome.ended_at is not None and before <= outcome.ended_at <= time.time()
        assert outcome.wall_time > 0 and outcome.peak_rss_mib > 0 and outcome.cpu_time > 0
        assert events.index(Report(1, 1, {"loss": 0.5})) < events.index(outcome)

    def test_reports_of_a_function_arrive_in_order_before_its_outcome(self, runner_for, tmp_path):
        runner = runner_for(**python_function("report_three"))
        self.submit(runner, tmp_path, 7, x=1)
        outcome, events = self.outcome(runner, 7)
        assert outcome.state is TrialState.OK, outcome.reason
        assert outcome.result == {"loss": 1.0 / 3}
        reports = [(e.trial_id, e.step, e.metrics) for e in events if isinstance(e, Report)]
        assert reports == [(7, 1, {"loss": 1.0}), (7, 2, {"loss": 0.5}), (7, 3, {"loss": 1.0 / 3})]
        assert events[-1] is outcome

    def test_what_a_good_trial_leaves_running_is_killed_and_noted(self, runner_for, tmp_path):
        runner = runner_for(**self.program("daemon", kill_grace=GRACE))
        trial_dir = self.submit(runner, tmp_path, 1)
        outcome, _ = self.outcome(runner, 1)
        assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.25}
        daemon = int((trial_dir / "daemon").read_text())
        assert not pid_alive(daemon)
        log = self.log(tmp_path, 1)
        assert f"[hypermax: the trial left processes running: SIGTERM to {daemon}; " in log
        assert f"SIGKILL to {daemon}]" in log  # it ignores SIGTERM

    def test_a_trial_that_cannot_start_fails_with_a_reason(self, runner_for, tmp_path):
        missing = str(tmp_path / "no-such-program")
        runner = runner_for(type="executable", command=(missing,))
        self.submit(runner, tmp_path, 1)  # no exception: a failure is data
        outcome, _ = self.outcome(runner, 1)
        assert outcome.state is TrialState.FAILED
        assert outcome.reason is not None and outcome.reason.startswith("cannot start: ")
        assert missing in outcome.reason
        assert outcome.ended_at is not None
        assert runner.running() == 0

    # -- stopping ---------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("reason", "state", "text"),
        [
            (KillReason.INTERRUPT, TrialState.INTERRUPTED, "interrupted"),
            (KillReason.EARLY_STOP, TrialState.STOPPED, "stopped early"),
        ],
    )
    def test_cancel_ends_the_trial_in_its_state(self, runner_for, tmp_path, reason, state, text):
        # a function stopped early that reports no more gets SIGTERM after the grace: a short one
        runner = runner_for(**self.program("sleep_forever", kill_grace=GRACE))
        (pid,) = self.up(self.submit(runner, tmp_path, 1))
        runner.cancel(1, reason)
        outcome, _ = self.outcome(runner, 1)
        assert (outcome.state, outcome.kill_reason, outcome.reason) == (state, reason, text)
        assert outcome.exit_code == -signal.SIGTERM
        assert outcome.ended_at is not None
        assert not pid_alive(pid)

    def test_close_stops_running_trials_and_returns_their_outcomes(self, runner_for, tmp_path):
        runner = runner_for(**self.program("sleep_forever"))
        pids = [self.up(self.submit(runner, tmp_path, i))[0] for i in (1, 2)]
        outcomes = runner.close()
        assert sorted(o.trial_id for o in outcomes) == [1, 2]
        assert {o.state for o in outcomes} == {TrialState.INTERRUPTED}
        assert not any(pid_alive(pid) for pid in pids)
        assert runner.running() == 0 and runner.live() == {}

    def test_a_trial_that_ignores_sigterm_and_forks_dies_whole(self, runner_for, tmp_path):
        runner = runner_for(**self.program("stubborn", kill_grace=GRACE))
        main, child = self.up(self.submit(runner, tmp_path, 1))
        runner.cancel(1, KillReason.INTERRUPT)
        outcome, _ = self.outcome(runner, 1)
        assert outcome.state is TrialState.INTERRUPTED
        assert outcome.exit_code == -signal.SIGKILL
        assert outcome.wall_time >= GRACE  # SIGTERM did nothing: SIGKILL came after the grace
        assert not pid_alive(main) and not pid_alive(child)
        log = self.log(tmp_path, 1)
        assert (
            f"[hypermax: stopping the trial (interrupt): SIGTERM to {main}, {child}; "
            f"SIGKILL after {GRACE:g} s]"
        ) in log
        assert f"[hypermax: 2 left after the {GRACE:g} s grace: SIGKILL to {main}, {child}]" in log

    # -- early stopping ---------------------------------------------------------------------
    @pytest.mark.parametrize("via", ["reporter", "hypermax.report"])
    def test_a_function_stopped_early_ends_itself_at_its_next_report(
        self, runner_for, tmp_path, via
    ):
        runner = runner_for(**stoppable("report_until_stopped"))
        trial_dir = self.submit(runner, tmp_path, 1, via=via)
        (pid,) = self.up(trial_dir)
        runner.cancel(1, KillReason.EARLY_STOP)
        outcome, events = self.outcome(runner, 1)
        assert (outcome.state, outcome.kill_reason) == (TrialState.STOPPED, KillReason.EARLY_STOP)
        assert outcome.exit_code == 0  # no signal ended it: it returned from the bootstrap
        last = max(e.step for e in events if isinstance(e, Report))
        assert int((trial_dir / "finally").read_text()) == last + 1  # that report raised
        log = self.log(tmp_path, 1)
        assert f"[hypermax: stopped early: SIGUSR1 to {pid}, to stop at its next report; " in log
        assert "SIGTERM" not in log and "SIGKILL" not in log

    def test_a_function_stopped_early_that_reports_no_more_goes_down_the_ladder(
        self, runner_for, tmp_path
    ):
        runner = runner_for(**stoppable("report_once_then_compute", kill_grace=GRACE))
        (pid,) = self.up(self.submit(runner, tmp_path, 1))
        runner.cancel(1, KillReason.EARLY_STOP)
        outcome, _ = self.outcome(runner, 1)
        assert (outcome.state, outcome.kill_reason) == (TrialState.STOPPED, KillReason.EARLY_STOP)
        assert outcome.exit_code == -signal.SIGTERM
        assert f"s of the stop: SIGTERM to {pid}; SIGKILL after {GRACE:g} s]" in self.log(
            tmp_path, 1
        )
        assert not pid_alive(pid)

    # -- limits -----------------------------------------------------------------------------
    def test_a_time_limit_kills(self, runner_for, tmp_path):
        runner = runner_for(**self.program("sleep_forever", auto_kill_max_time=0.3))
        self.submit(runner, tmp_path, 1)
        outcome, _ = self.outcome(runner, 1)
        assert outcome.state is TrialState.KILLED
        assert outcome.kill_reason is KillReason.TIME
        assert outcome.kill_value is not None and outcome.kill_value > 0.3
        assert outcome.wall_time > 0.3
        assert outcome.reason == f"time limit: ran {outcome.kill_value:.2f} s, limit 0.3 s"
        assert "[hypermax: killed: time limit: ran " in self.log(tmp_path, 1)

    def test_a_memory_limit_kills_the_whole_tree(self, runner_for, tmp_path):
        runner = runner_for(**self.program("memory_grandchild", auto_kill_max_ram=200))
        trial_dir = self.submit(runner, tmp_path, 1)
        outcome, _ = self.outcome(runner, 1)
        assert outcome.state is TrialState.KILLED
        assert outcome.kill_reason is KillReason.RAM
        assert outcome.kill_value is not None and outcome.kill_value > 200
        assert outcome.reason is not None and outcome.reason.endswith("limit 200 MiB")
        assert outcome.peak_rss_mib > 200
        assert not pid_alive(int((trial_dir / "eater").read_text()))

    # -- what a running trial looks like ----------------------------------------------------
    def test_live_and_process_ids_name_the_running_trial(self, runner_for, tmp_path):
        runner = runner_for(**self.program("sleep_forever"))
        (pid,) = self.up(self.submit(runner, tmp_path, 3))
        ids = runner.process_ids(3)
        if self.names_processes:
            assert ids is not None and ids[0] == pid
            assert ids[1] == pytest.approx(psutil.Process(pid).create_time(), abs=0.01)
        else:
            assert ids is None
        # its "up" may come before the runner heard that it started (a Dask worker's event)
        looked = lambda: 3 in runner.live() and runner.live()[3].rss_mib > 0  # noqa: E731
        wait_until(looked, OUTCOME_TIMEOUT, "a look at the tree")
        live = runner.live()
        assert list(live) == [3] and runner.running() == 1
        assert live[3].trial_id == 3 and live[3].elapsed > 0 and live[3].processes == 1
        assert live[3].where.startswith(self.where) and bool(live[3].where) == bool(self.where)
        runner.cancel(3, KillReason.INTERRUPT)
        self.outcome(runner, 3)
        assert runner.live() == {} and runner.process_ids(3) is None and runner.running() == 0
