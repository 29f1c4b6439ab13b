"""One trial run to its end on its own (``run_trial``, what a cluster task calls); attachments."""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import re
import signal
import threading
from pathlib import Path

import pytest
from fake_trials.helpers import MARKER_ENV, assert_none_alive, wait_until
from runner_contract import executable, python_function, stoppable

from hypermax.execution import trial_run
from hypermax.execution.host import TrialHost, shared_host
from hypermax.execution.limits import Limits
from hypermax.execution.outcome import attachments
from hypermax.execution.output_pump import OutputPump, Stream
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun, run_trial
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Outcome, Proposal, Report, TrialState


def _function(marker: str, settings: dict) -> FunctionSpec:
    return FunctionSpec(env={MARKER_ENV: marker}, **settings)


def _run(function: FunctionSpec, folder: Path, trial_id: int = 1, **kwargs) -> Outcome:
    trial_dir = folder / "trials" / str(trial_id)
    log = folder / "logs" / f"trial_{trial_id}.log"
    plan = TrialPlan(function, folder, Proposal(trial_id, {"x": 1}, {}), trial_dir, log)
    return run_trial(plan, **kwargs)


def test_run_trial_runs_a_function_to_its_outcome_and_hands_on_its_reports(tmp_path, marker):
    reports: list[Report] = []
    outcome = _run(
        _function(marker, python_function("report_three")), tmp_path, 4, on_report=reports.append
    )
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 1.0 / 3}
    assert outcome.trial_id == 4 and outcome.ended_at is not None
    assert [(r.trial_id, r.step) for r in reports] == [(4, 1), (4, 2), (4, 3)]
    assert_none_alive(marker)


def test_run_trial_holds_the_trial_to_its_limits(tmp_path, marker):
    function = _function(marker, executable("sleep_forever", auto_kill_max_time=0.3))
    outcome = _run(function, tmp_path)
    assert outcome.state is TrialState.KILLED and outcome.kill_reason is KillReason.TIME
    assert_none_alive(marker)


def test_run_trial_returns_a_failed_outcome_when_the_trial_cannot_start(tmp_path):
    function = FunctionSpec(type="executable", command=(str(tmp_path / "missing"),))
    outcome = _run(function, tmp_path)
    assert outcome.state is TrialState.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("cannot start: ")


def test_a_plan_travels_whole_to_another_process(tmp_path):
    """What a cluster task receives: the plan, pickled."""
    function = FunctionSpec(**python_function("report_three", env={"A": "1"}, kill_grace=0.5))
    plan = TrialPlan(function, tmp_path, Proposal(2, {"x": [1, 2]}, {"x": 0}), tmp_path, tmp_path)
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_the_shared_host_serves_every_trial_with_the_same_limits():
    limits = Limits(max_time=12.5)
    assert shared_host(limits) is shared_host(Limits(max_time=12.5))
    assert shared_host(limits) is not shared_host(Limits(max_time=13.5))


def test_two_searches_may_run_trials_with_the_same_id_on_one_host(tmp_path, marker):
    """Trial 1 of one search and trial 1 of another are two trials to the host's watchdog."""
    host = TrialHost(Limits(max_time=0.5))
    outcomes: dict[str, Outcome] = {}

    def run(name: str) -> None:
        function = _function(marker, executable(name, auto_kill_max_time=0.5))
        outcomes[name] = _run(function, tmp_path / name, host=host)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("sleep_forever", "good")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    host.close()
    assert outcomes["good"].state is TrialState.OK
    assert outcomes["sleep_forever"].kill_reason is KillReason.TIME
    assert_none_alive(marker)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("plot.png", True),
        ("sub/curve.csv", True),
        ("missing.png", False),
        ("../outside.txt", False),
        ("sub", False),  # a folder, not a file
        ("x" * 5000, False),
        ("bad\0path", False),
    ],
)
def test_attachments_are_files_inside_the_trial_folder(tmp_path, value, kept):
    trial_dir = tmp_path / "trial"
    (trial_dir / "sub").mkdir(parents=True)
    (trial_dir / "plot.png").write_bytes(b"png")
    (trial_dir / "sub" / "curve.csv").write_text("1,2")
    (tmp_path / "outside.txt").write_text("no")
    assert attachments(trial_dir, {"loss": 1.0, "file": value}) == ((value,) if kept else ())


def test_an_absolute_path_inside_the_trial_folder_is_kept_relative(tmp_path):
    (tmp_path / "plot.png").write_bytes(b"png")
    result = {"plot": str(tmp_path / "plot.png"), "n": 3, "nested": {"plot": "plot.png"}}
    assert attachments(tmp_path, result) == ("plot.png",)


@pytest.mark.parametrize(
    ("settings", "hold", "eat", "last_step"),
    [
        # killed at its time limit, it grows past its RAM limit during the grace: SIGKILL at once
        ({"auto_kill_max_time": 0.3}, 0, 64, r"0\.\d\d s into the 5 s grace, memory limit: "),
        # killed at its RAM limit, it grows past what it held then: SIGKILL at once
        ({}, 60, 64, r"0\.\d\d s into the 5 s grace, memory limit: .* MiB more than when it "),
        # killed at its RAM limit, it holds what it held then: it is given its grace
        ({"kill_grace": 0.3}, 60, 0, r"after the 0\.3 s grace: "),
    ],
)
def test_a_trial_being_killed_is_held_to_its_ram_limit(
    tmp_path, marker, settings, hold, eat, last_step
):
    """A trial that ignores SIGTERM and eats memory during its grace gets SIGKILL at once."""
    function = FunctionSpec(
        env={MARKER_ENV: marker, "HOLD_MIB": str(hold), "EAT_MIB": str(eat)},
        **executable("eat_on_sigterm", auto_kill_max_ram=40, **{"kill_grace": 5, **settings}),
    )
    host = TrialHost(Limits.of(function))
    try:
        outcome = _run(function, tmp_path, host=host)
    finally:
        host.close()
    assert outcome.state is TrialState.KILLED, outcome.reason
    log = (tmp_path / "logs" / "trial_1.log").read_text()
    assert re.search(f"1 left {last_step}", log), log
    assert outcome.exit_code == -signal.SIGKILL
    assert_none_alive(marker)


def test_a_trial_asked_to_stop_that_breaks_its_ram_limit_keeps_what_it_held_in_its_grace(
    tmp_path, marker
):
    """Stopped early, it is over its RAM limit before its next report: its kill ladder begins
    at once, and, as for a trial killed at that limit, it may keep what it held then through
    its grace (it does not grow): SIGKILL after the grace, not at once."""
    function = FunctionSpec(
        env={MARKER_ENV: marker},
        **stoppable("eat_on_go_ignoring_sigterm", auto_kill_max_ram=40, kill_grace=0.3),
    )
    trial_dir, log = tmp_path / "trials" / "1", tmp_path / "logs" / "trial_1.log"
    plan = TrialPlan(function, tmp_path, Proposal(1, {"mib": 60}, {}), trial_dir, log)
    host = TrialHost(Limits.of(function))
    read = threading.Event()  # hypermax read its first report: it knows the pace of its reports
    try:
        run = TrialRun(host, plan, on_report=lambda _: read.set())
        assert run.start()
        assert read.wait(30), "its first report"
        run.stop(KillReason.EARLY_STOP)  # it waits 1.2 s for its next report: never reached
        (trial_dir / "go").touch()
        outcome = run.finish()
    finally:
        host.close()
    assert outcome.state is TrialState.STOPPED, outcome.reason
    text = log.read_text()
    assert "stopping the trial (ram): SIGTERM to " in text, text
    assert "1 left after the 0.3 s grace: SIGKILL to " in text, text
    assert_none_alive(marker)


def test_an_executable_that_ended_as_early_stopping_stopped_it_keeps_its_result(
    tmp_path, marker, monkeypatch
):
    """Early stopping's decision came while the executable still ran, and it exited (its result
    printed, exit 0) before the SIGTERM could reach it: it ran to its end, and is ok with its
    result, not ``stopped`` with it thrown away. (Staged: the trial has ended, but the look
    that stopping takes first still saw it running, as when it ends just after that look.)"""
    from hypermax.execution import procfs

    host = TrialHost(Limits())
    try:
        function = _function(marker, executable("good"))
        trial_dir, log = tmp_path / "trials" / "1", tmp_path / "trial_1.log"
        plan = TrialPlan(function, tmp_path, Proposal(1, {"x": 1}, {}), trial_dir, log)
        run = TrialRun(host, plan)
        assert run.start()
        wait_until(lambda: run.tree is not None, 30, "the trial to be watched")
        root = run.tree.root
        wait_until(lambda: not procfs.is_alive(root.pid, root.start), 30, "the trial's exit")
        monkeypatch.setattr(run.control, "_live_root", lambda: root)  # it looked alive a moment ago
        run.stop(KillReason.EARLY_STOP)
        outcome = run.finish()
    finally:
        host.close()
    assert outcome.state is TrialState.OK, outcome
    assert outcome.result == {"loss": 0.25, "plot": "plot.png"}
    assert outcome.exit_code == 0 and outcome.kill_reason is None
    assert_none_alive(marker)


def _open_files() -> set[tuple[int, int]]:
    """The files (device, inode) this process holds a file descriptor of."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own, closed by now
            info = os.stat(f"/proc/self/fd/{fd}")
            held.add((info.st_dev, info.st_ino))
    return held


def _file_of(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


@pytest.mark.parametrize("step", ["guardian", "pump"])
def test_a_trial_that_cannot_be_watched_once_started_is_killed_and_fails(
    tmp_path, marker, monkeypatch: pytest.MonkeyPatch, step: str
):
    """No file descriptor left (``ulimit -n``) for a step after the trial's process started
    (here that step raises the OSError it would raise then): before the trial is followed (the
    guardian cannot start), or after (its pipes cannot go to the output pump). The trial, which
    would sleep forever, is killed; its pipes are closed; the other trials' output goes on."""
    host = TrialHost(Limits())
    try:
        files: set[tuple[int, int]] = set()
        make = trial_run.TrialPipes.make

        def recorded() -> trial_run.TrialPipes:
            pipes = make()
            files.update(_file_of(fd) for fd in (pipes.stdout, pipes.stderr))
            return pipes

        def no_fd_left(*args: object) -> None:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

        monkeypatch.setattr(trial_run.TrialPipes, "make", recorded)
        if step == "guardian":
            monkeypatch.setattr(host.guardian, "start", no_fd_left)
        else:
            monkeypatch.setattr(host, "carry", no_fd_left)
        function = _function(marker, executable("sleep_forever"))
        lost = tmp_path / "lost"
        plan = TrialPlan(function, lost, Proposal(2, {"x": 1}, {}), lost / "2", lost / "2.log")
        run = TrialRun(host, plan)
        assert not run.start() and run.process_ids() is not None
        outcome = run.finish()
        monkeypatch.undo()
        assert outcome.state is TrialState.FAILED
        assert outcome.reason == (
            f"hypermax lost track of the trial: OSError: [Errno 24] {os.strerror(errno.EMFILE)}"
        )
        assert "SIGKILL" in (lost / "2.log").read_text()
        assert_none_alive(marker)
        assert len(files) == 2 and not files & _open_files()
        after = _run(_function(marker, executable("good")), tmp_path / "after", 3, host=host)
        assert after.state is TrialState.OK and after.result == {"loss": 0.25, "plot": "plot.png"}
    finally:
        host.close()


def test_the_output_pump_asked_about_a_pipe_it_never_carried_carries_the_others(tmp_path):
    """A cut or catch-up of a stream never handed to the pump (a trial whose start failed half
    way) is told it ended, its pipe left to its owner; one it cannot watch (epoll refuses a
    regular file) ends, closed; the pump goes on with the others."""
    pump = OutputPump()
    stranger_read, stranger_write = os.pipe()
    read, write = os.pipe()
    got: list[bytes] = []
    try:
        stranger = Stream(stranger_read, got.append)
        pump.cut(stranger)
        pump.catch_up(stranger)
        assert stranger.ended.wait(10) and stranger.caught_up.wait(10)
        unwatchable = Stream(os.open(tmp_path / "file", os.O_RDONLY | os.O_CREAT), got.append)
        file = _file_of(unwatchable.fd)
        pump.add(unwatchable)
        assert unwatchable.ended.wait(10)
        assert file not in _open_files()
        stream = Stream(read, got.append)
        pump.add(stream)
        os.write(write, b"still read")
        os.close(write)
        assert stream.ended.wait(10)
        assert got == [b"still read"]
        os.fstat(stranger_read)  # still open: not the pump's to close
    finally:
        pump.close()
        os.close(stranger_read)
        os.close(stranger_write)
