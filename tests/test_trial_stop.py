"""Stopping one trial early (``TrialRun.stop(EARLY_STOP)``, what any runner's cancel calls):
when the trial returned first, when it swallows the stop, when another stop hurries it."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_trials.helpers import MARKER_ENV, assert_none_alive, wait_until
from runner_contract import stoppable

from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.preload import PreloadLauncher
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.execution.verdicts import STOP_WAIT_CAP_SECONDS, stop_wait
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Proposal, TrialState

#: what a trial may take to start and report its first step here (it takes well under a second)
UP_TIMEOUT = 30.0


@pytest.fixture
def host() -> Iterator[TrialHost]:
    host = TrialHost(Limits())
    yield host
    host.close()


@pytest.fixture
def preloaded_host(tmp_path: Path) -> Iterator[TrialHost]:
    """A host whose trials are forked from a preload server (their small result comes over a
    socket, not in a file)."""
    host = TrialHost(Limits(), PreloadLauncher(str(tmp_path)))
    yield host
    host.close()


def start(host: TrialHost, folder: Path, marker: str, name: str, **settings) -> TrialRun:
    """Start ``name`` of ``fake_trials/stoppable.py``; return once it reported step 1."""
    function = FunctionSpec(env={MARKER_ENV: marker}, **stoppable(name, **settings))
    trial_dir = folder / "trials" / "1"
    plan = TrialPlan(function, folder, Proposal(1, {}, {}), trial_dir, folder / "trial_1.log")
    run = TrialRun(host, plan)
    assert run.start()
    wait_until((trial_dir / "up").exists, UP_TIMEOUT, "the trial's first report")
    return run


def test_a_function_that_returned_before_its_next_report_ran_to_its_end(host, tmp_path, marker):
    run = start(host, tmp_path, marker, "report_once_then_return_on_go")
    run.stop(KillReason.EARLY_STOP)
    (run.trial_dir / "go").write_text("")
    outcome = run.finish()
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.25}
    assert outcome.exit_code == 0
    assert_none_alive(marker)


def test_a_forked_function_that_returned_before_its_next_report_ran_to_its_end(
    preloaded_host, tmp_path, marker
):
    run = start(preloaded_host, tmp_path, marker, "report_once_then_return_on_go")
    run.stop(KillReason.EARLY_STOP)
    (run.trial_dir / "go").write_text("")
    outcome = run.finish()
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.25}
    assert not (run.trial_dir / ".hypermax_result.json").exists()  # it was sent


def test_a_function_that_swallows_the_stop_is_stopped_and_its_return_value_dropped(
    host, tmp_path, marker
):
    run = start(host, tmp_path, marker, "swallow_the_stop")
    run.stop(KillReason.EARLY_STOP)
    outcome = run.finish()
    assert outcome.state is TrialState.STOPPED and outcome.result is None
    assert outcome.exit_code == 0
    assert not (run.trial_dir / ".hypermax_result.json").exists()


def test_a_limit_or_an_interrupt_during_the_wait_runs_the_kill_ladder_at_once(
    host, tmp_path, marker
):
    """With a long grace the trial would have minutes to reach a report; an interrupt (Ctrl-C)
    does not wait for that. The trial stays stopped: that came first."""
    run = start(host, tmp_path, marker, "report_once_then_compute", kill_grace=600)
    run.stop(KillReason.EARLY_STOP)
    run.stop(KillReason.INTERRUPT)
    outcome = run.finish()
    assert (outcome.state, outcome.kill_reason) == (TrialState.STOPPED, KillReason.EARLY_STOP)
    assert outcome.exit_code == -signal.SIGTERM
    assert outcome.wall_time < STOP_WAIT_CAP_SECONDS  # it did not wait for the report
    log = (tmp_path / "trial_1.log").read_text()
    assert "the kill ladder in 60 s unless it ends]" in log
    assert "[hypermax: stopping the trial (interrupt): SIGTERM to " in log
    assert_none_alive(marker)


def test_the_time_a_stopped_trial_spends_paused_does_not_count_towards_its_wait(
    host, tmp_path, marker
):
    """Ctrl-Z pauses the trials: a trial asked to stop has its wait for its next report in
    its own running time, as its time limit is."""
    # 0.6 s: room, on a loaded machine, to reach the next report once continued
    run = start(host, tmp_path, marker, "report_again_on_go", kill_grace=0.6)
    run.stop(KillReason.EARLY_STOP)  # the kill ladder in 0.6 s of its time unless it ends
    assert run.pause()
    time.sleep(0.9)  # paused for longer than that
    (run.trial_dir / "go").write_text("")  # it reaches its next report at once when continued
    run.unpause()
    outcome = run.finish()
    assert (outcome.state, outcome.exit_code) == (TrialState.STOPPED, 0)  # TrialStopped
    assert "not ended within" not in (tmp_path / "trial_1.log").read_text()
    assert_none_alive(marker)


def test_the_time_a_trial_spends_paused_does_not_count_towards_its_kill_grace(
    host, tmp_path, marker
):
    """Ctrl-Z during the grace between SIGTERM and SIGKILL: the trial, cleaning up, has the
    rest of its grace once continued, not SIGKILL the moment the search goes on."""
    run = start(host, tmp_path, marker, "clean_up_on_go_after_sigterm", kill_grace=0.5)
    run.stop(KillReason.INTERRUPT)  # SIGTERM; SIGKILL after 0.5 s of its time
    wait_until((run.trial_dir / "sigterm").exists, UP_TIMEOUT, "the trial's SIGTERM")
    assert run.pause()
    time.sleep(0.7)  # paused for longer than the grace
    (run.trial_dir / "go").write_text("")  # it ends its clean-up at once when continued
    run.unpause()
    outcome = run.finish()
    assert (run.trial_dir / "finally").exists() and outcome.exit_code != -signal.SIGKILL
    assert "SIGKILL to" not in (tmp_path / "trial_1.log").read_text()
    assert_none_alive(marker)


def test_a_trial_stopped_at_a_report_has_its_kill_grace_to_save_a_checkpoint(
    host, tmp_path, marker
):
    """The wait for its next report (its kill_grace here, its reports being quick) ran from the
    stop: a ``finally`` that saves a checkpoint once the report raised was cut by SIGTERM when
    that wait ran out. It now has its kill_grace from then on."""
    run = start(host, tmp_path, marker, "checkpoint_until_done", kill_grace=0.5)
    run.stop(KillReason.EARLY_STOP)  # its next report raises at once: its finally begins
    log = tmp_path / "trial_1.log"
    ended = ("after the stop", "not ended within")  # the wait's end; before: the kill ladder
    wait_until(lambda: any(e in log.read_text() for e in ended), UP_TIMEOUT, "the wait's end")
    (run.trial_dir / "done").write_text("")  # the checkpoint is saved, past the wait
    outcome = run.finish()
    assert (outcome.state, outcome.exit_code) == (TrialState.STOPPED, 0), log.read_text()
    assert (run.trial_dir / "finally").exists()
    assert "the kill ladder in 0.5 s unless it ends]" in log.read_text()
    assert_none_alive(marker)


@pytest.mark.parametrize("way", ["fork", "spawn"])
def test_a_trial_that_reports_from_a_worker_process_is_stopped_there(host, tmp_path, marker, way):
    """The stop's signal goes to the trial's main process: a worker that did the reporting
    (a multiprocessing pool's) went on training and reporting until the kill ladder."""
    function = FunctionSpec(
        env={MARKER_ENV: marker}, **stoppable("report_from_a_worker", kill_grace=600)
    )
    trial_dir = tmp_path / "trials" / "1"
    proposal = Proposal(1, {"start": way}, {})
    plan = TrialPlan(function, tmp_path, proposal, trial_dir, tmp_path / "trial_1.log")
    run = TrialRun(host, plan)
    assert run.start()
    wait_until((trial_dir / "up").exists, UP_TIMEOUT, "the worker's first report")
    run.stop(KillReason.EARLY_STOP)
    outcome = run.finish()
    log = (tmp_path / "trial_1.log").read_text()
    assert (outcome.state, outcome.exit_code) == (TrialState.STOPPED, 0), log
    assert (trial_dir / "worker_stopped").exists()
    assert "not ended within" not in log, log  # no kill ladder: it ended at the stop
    assert_none_alive(marker)


def test_a_stop_after_the_trial_ended_changes_nothing(host, tmp_path, marker):
    run = start(host, tmp_path, marker, "report_once_then_return_on_go")
    (run.trial_dir / "go").write_text("")
    outcome = run.finish()
    run.stop(KillReason.EARLY_STOP)  # a report judged after the trial ended: no error, no signal
    assert outcome.state is TrialState.OK
    assert "stopped early" not in (tmp_path / "trial_1.log").read_text()


@pytest.mark.parametrize(
    ("gap", "grace", "wait"),
    [(0.1, 2.0, 2.0), (5.0, 2.0, 10.0), (45.0, 2.0, STOP_WAIT_CAP_SECONDS), (0.0, 0.0, 0.0)],
)
def test_the_wait_for_the_next_report_is_twice_the_longest_gap_within_bounds(gap, grace, wait):
    assert stop_wait(gap, grace) == wait
