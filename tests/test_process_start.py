"""Processes hypermax starts while a search runs: no Ctrl-Z stops one half-started, which left
hypermax unable to stop for its shell; a short helper's leftovers are killed with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
from fake_trials.helpers import FAKES, pid_alive, wait_until

from hypermax.execution.process_start import run_briefly

#: how many times Ctrl-Z comes as one of the program's processes starts
ROUNDS = 8


def _starting_child(parent: int) -> int | None:
    """A child of ``parent`` that has not run its ``exec`` yet (it still runs Python)."""
    for pid in psutil.pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                text = stat.read()
        except OSError:
            continue
        name, fields = text[text.index(b"(") + 1 : text.rindex(b")")], text.rsplit(b")", 1)[1]
        if int(fields.split()[1]) == parent and name != b"true":
            return pid
    return None


def _stopped_half_started(parent: int) -> int | None:
    """A child of ``parent`` stopped before its ``exec``: what left the parent unable to stop."""
    child = _starting_child(parent)
    return child if child is not None and psutil.Process(child).status() == "stopped" else None


def test_ctrl_z_as_processes_start_stops_the_program_and_its_shell_gets_it_back(
    tmp_path: Path,
) -> None:
    ready = tmp_path / "ready"
    program = subprocess.Popen(  # a process group of its own, as a shell's job control makes it
        [sys.executable, str(FAKES / "starts_under_ctrl_z.py"), str(ready)],
        process_group=0,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(ready.exists, 30, "the starts to begin")
        for _ in range(ROUNDS):
            deadline = time.monotonic() + 30
            while _starting_child(program.pid) is None:  # no pause: a start takes milliseconds
                assert time.monotonic() < deadline, "no start seen"
            os.killpg(program.pid, signal.SIGTSTP)  # the terminal's Ctrl-Z: to its group

            def stopped_or_stuck() -> str | None:
                pid, status = os.waitpid(program.pid, os.WUNTRACED | os.WNOHANG)
                if pid and os.WIFSTOPPED(status):
                    return "stopped"
                return "stuck" if _stopped_half_started(program.pid) else None

            assert wait_until(stopped_or_stuck, 30, "the program to stop") == "stopped"
            os.killpg(program.pid, signal.SIGCONT)  # fg
            os.waitpid(program.pid, os.WCONTINUED)
    finally:
        os.killpg(program.pid, signal.SIGKILL)
        program.wait()


def _leaving_a_child(held: Path, then: str) -> str:
    """Python code that prints ``started``, forks a child of its group that holds its output for
    two minutes, writes the child's pid to ``held``, then runs ``then``."""
    return textwrap.dedent(
        f"""
        import os, time
        print("started", flush=True)
        if (pid := os.fork()) == 0:
            time.sleep(120)
            os._exit(0)
        with open({str(held)!r}, "w") as out:
            out.write(str(pid))
        {then}
        """
    )


def test_a_short_helper_is_done_when_it_ends_and_what_it_left_holding_its_output_is_killed(
    tmp_path: Path,
) -> None:
    held = tmp_path / "held"
    ran = run_briefly([sys.executable, "-c", _leaving_a_child(held, "pass")], 60)
    assert ran.exit_code == 0  # it ended: not waited for until its time ran out
    assert ran.output == b"started\n"
    wait_until(lambda: not pid_alive(int(held.read_text())), 10, "what it left to be killed")


def test_a_short_helper_out_of_time_is_killed_with_its_children(tmp_path: Path) -> None:
    held = tmp_path / "held"
    ran = run_briefly([sys.executable, "-c", _leaving_a_child(held, "time.sleep(120)")], 3)
    assert ran.exit_code is None
    assert ran.output == b"started\n"
    wait_until(lambda: not pid_alive(int(held.read_text())), 10, "its child to be killed")
