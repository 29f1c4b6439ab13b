"""The kill ladder: SIGTERM, the grace, SIGKILL, each step noted; one ladder per trial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fake_trials.helpers import (
    AS_A_USER,
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    at_default_signals,
    fake,
    finished,
    pid_alive,
    wait_until,
    write_spec,
)

from hypermax.execution import watchdog
from hypermax.execution.kill import Ladder, kill_ladder


def _start(
    name: str, folder: Path, marker: str
) -> tuple[subprocess.Popen[bytes], watchdog.Watchdog]:
    """Start a fake trial in a session of its own, its signals at their default action as
    hypermax starts a trial, wait for its ``up``, watch its tree."""
    env = {**os.environ, MARKER_ENV: marker, "HYPERMAX_TRIAL_DIR": str(folder)}
    proc = subprocess.Popen(
        fake(name), env=env, start_new_session=True, preexec_fn=at_default_signals
    )
    wait_until((folder / "up").exists, 10, f"{name} to start")
    dog = watchdog.Watchdog()
    dog.watch(1, proc.pid, "no-token")
    return proc, dog


def test_grace_zero_goes_straight_to_sigkill(tmp_path, marker):
    proc, dog = _start("sleep_forever", tmp_path, marker)
    notes: list[str] = []
    assert kill_ladder(lambda: dog.members(1), 0.0, notes.append, "guardian") == []
    assert proc.wait(5) == -signal.SIGKILL
    assert notes == [f"guardian: SIGKILL to {proc.pid} (no grace)"]


def test_a_tree_that_obeys_sigterm_is_not_sigkilled(tmp_path, marker):
    proc, dog = _start("sleep_forever", tmp_path, marker)
    notes: list[str] = []
    assert kill_ladder(lambda: dog.members(1), 5.0, notes.append) == []
    assert proc.wait(5) == -signal.SIGTERM
    assert notes[0] == f"SIGTERM to {proc.pid}; SIGKILL after 5 s"
    assert notes[1].startswith("all ended ") and notes[1].endswith(" s after SIGTERM")
    assert len(notes) == 2


def signals_sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """From now on, each signal sent by ``os.kill`` or ``os.killpg`` is noted (``"process"`` or
    ``"group"``, the pid or group, the signal) in the list returned, and then sent as asked."""
    sent: list[tuple[str, int, int]] = []
    real_kill, real_killpg = os.kill, os.killpg

    def kill(pid: int, sig: int) -> None:
        sent.append(("process", pid, sig))
        real_kill(pid, sig)

    def killpg(pgid: int, sig: int) -> None:
        sent.append(("group", pgid, sig))
        real_killpg(pgid, sig)

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(os, "killpg", killpg)
    return sent


def test_a_trial_that_leads_its_group_gets_the_sigterm_once(tmp_path, marker, monkeypatch):
    """Its group's signal and then its own: a second SIGTERM came as its handler (print the
    result, exit 0) was ending it, the handler gone, and killed it. Every signal reaches it
    as sent; the test only counts those meant for it."""
    proc, dog = _start("result_on_sigterm", tmp_path, marker)
    sent = signals_sent(monkeypatch)
    assert kill_ladder(lambda: dog.members(1), 5.0, lambda _: None) == []
    assert proc.wait(5) == 0
    assert [s for s in sent if s[1:] == (proc.pid, signal.SIGTERM)] == [
        ("group", proc.pid, signal.SIGTERM)
    ]


def test_a_process_started_between_the_look_and_the_group_signal_gets_the_sigterm_once(
    tmp_path, marker, monkeypatch
):
    """The trial starts a process after the ladder read its tree and before its group's
    SIGTERM, which reaches it: found at the next look, it is no newcomer to give it again.
    Every signal reaches its process as sent; the test only counts those meant for it."""
    proc, dog = _start("fork_on_sigusr1", tmp_path, marker)
    real_kill = os.kill
    looks: list[int] = []

    def find() -> list:
        members = dog.members(1)
        if not looks:  # the tree is read: the trial starts a process before the signal
            real_kill(proc.pid, signal.SIGUSR1)
            wait_until((tmp_path / "child").exists, 10, "the trial's new process")
        looks.append(len(members))
        return members

    sent = signals_sent(monkeypatch)
    notes: list[str] = []
    assert kill_ladder(find, 0.5, notes.append) == []
    child = int((tmp_path / "child").read_text())
    assert proc.wait(5) == -signal.SIGTERM
    to_child = [("group", proc.pid), ("process", child)]  # it is in the trial's group
    assert [s for s in sent if s[:2] in to_child and s[2] == signal.SIGTERM] == [
        ("group", proc.pid, signal.SIGTERM)
    ]
    assert notes[1] == f"1 left after the 0.5 s grace: SIGKILL to {child}", notes
    assert not pid_alive(child)
    assert_none_alive(marker)


def test_a_process_started_by_the_sigterm_gets_its_own_and_the_others_no_second_one(
    tmp_path, marker, monkeypatch
):
    """A newcomer in the trial's group, which the step's signal did not reach (its handler
    started it), gets the signal on its own: a second group signal gave every other process of
    the group a second SIGTERM."""
    proc, dog = _start("fork_on_sigterm", tmp_path, marker)
    sent = signals_sent(monkeypatch)
    assert kill_ladder(lambda: dog.members(1), 0.5, lambda _: None) == []
    child = int((tmp_path / "child").read_text())
    assert [s for s in sent if s[2] == signal.SIGTERM] == [
        ("group", proc.pid, signal.SIGTERM),
        ("process", child, signal.SIGTERM),
    ]
    assert proc.wait(5) == -signal.SIGKILL and not pid_alive(child)
    assert_none_alive(marker)


def test_a_process_that_appears_during_the_grace_is_caught(tmp_path, marker):
    proc, dog = _start("fork_on_sigterm", tmp_path, marker)
    notes: list[str] = []
    assert kill_ladder(lambda: dog.members(1), 1.0, notes.append) == []
    child = int((tmp_path / "child").read_text())
    assert notes[0] == f"SIGTERM to {proc.pid}; SIGKILL after 1 s"
    assert notes[1] == f"SIGTERM to {child}, which appeared meanwhile"
    assert notes[2] == f"2 left after the 1 s grace: SIGKILL to {proc.pid}, {child}"
    assert proc.wait(5) == -signal.SIGKILL and not pid_alive(child)
    assert_none_alive(marker)


def test_a_trial_has_one_ladder_whoever_asks(tmp_path, marker):
    """A cancel and the end of the trial's main process both ask: one ladder runs."""
    proc, dog = _start("ignore_sigterm", tmp_path, marker)
    notes: list[str] = []
    ladder = Ladder(lambda: dog.members(1), 0.3, notes.append)
    assert not ladder.begun
    ladder.start("cancel")
    ladder.start("cancel again")
    assert ladder.begun
    assert ladder.run("the main process ended") == []  # waits for the one under way
    assert not pid_alive(proc.pid) and proc.wait(5) == -signal.SIGKILL
    assert notes == [
        f"cancel: SIGTERM to {proc.pid}; SIGKILL after 0.3 s",
        f"1 left after the 0.3 s grace: SIGKILL to {proc.pid}",
    ]


def test_nothing_to_kill_notes_nothing():
    notes: list[str] = []
    assert kill_ladder(list, 1.0, notes.append, "label") == []
    assert notes == []


@pytest.mark.skipif(AS_A_USER is None, reason="needs setpriv, run as root")
def test_a_trial_that_made_its_folder_unreadable_is_killed_at_its_time_limit(tmp_path, marker):
    """Before the kill, whether the function had returned is read from its folder: the
    OSError there stopped the kill, and the trial ran on past its limit, for ever."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
            "function": {
                "type": "python_function",
                "src": str(FAKES / "functions.py"),
                "name": "lock_own_folder",
                "auto_kill_max_time": 0.2,
                "env": {MARKER_ENV: marker},
            },
            "search": {"name": "s", "method": "grid"},
        },
    )
    argv = [*(AS_A_USER or []), sys.executable, "-m", "hypermax", str(spec), "--no-ui"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # no trial produced a loss
    (trial,) = finished(tmp_path / "results" / "s").values()
    assert (trial["state"], trial["kill_reason"]) == ("killed", "time")
    assert_none_alive(marker)
