"""A closed terminal (SIGHUP) stops a search as SIGTERM does, unless hypermax runs under nohup.

hypermax runs here as the session leader of a real pseudo-terminal: closing the terminal's
master end makes the kernel hang it up and send SIGHUP, as when a terminal window or an ssh
connection closes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import psutil
import pytest
from fake_trials.helpers import (
    assert_none_alive,
    at_default_signals,
    drain_terminal,
    fake_search,
    finished,
    started,
    wait_until,
    write_spec,
)


class Session:
    """``hypermax`` started in a new session whose controlling terminal is a fresh pty."""

    def __init__(self, argv: list[str], cwd: Path, ignore_hangup: bool = False) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

        def take_the_terminal() -> None:  # in the child, before exec
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            at_default_signals()  # not those the suite's own process may ignore (nohup pytest)
            if ignore_hangup:  # what nohup does
                signal.signal(signal.SIGHUP, signal.SIG_IGN)

        env = {**os.environ, "TERM": "xterm-256color"}
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            preexec_fn=take_the_terminal,
        )
        os.close(slave)
        self.output = bytearray()
        self._closing = threading.Event()
        self._reader = threading.Thread(
            target=drain_terminal, args=(self.master, self.output, self._closing), daemon=True
        )
        self._reader.start()

    def hang_up(self) -> None:
        """Close the terminal: the kernel sends SIGHUP to its session leader, hypermax.

        The reader stops first: a read in progress would hold the master open."""
        self._closing.set()
        self._reader.join(5)
        os.close(self.master)
        self.master = -1

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self.process.kill()
            if self.master >= 0:
                self.hang_up()

    def end(self) -> None:
        """Kill what the session still runs (a test that failed midway: a hypermax that never
        heard its hangup would otherwise search on, unwatched, after the suite)."""
        if self.process.poll() is None:  # not reaped: its pid is still its own
            leader = psutil.Process(self.process.pid)
            left = [leader, *leader.children(recursive=True)]
            for process in left:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
            psutil.wait_procs(left, timeout=10)
            self.process.wait(10)
        if self.master >= 0:
            self.hang_up()


@pytest.fixture
def session_in(tmp_path):
    """Start a :class:`Session` in ``tmp_path``; whatever it still runs is killed at the end."""
    made: list[Session] = []

    def start(argv: list[str], ignore_hangup: bool = False) -> Session:
        made.append(Session(argv, tmp_path, ignore_hangup))
        return made[-1]

    yield start
    for session in made:
        session.end()


@pytest.mark.parametrize("ui", ["--no-ui", "dashboard"])
def test_a_closed_terminal_stops_the_running_trials_and_records_them_interrupted(
    tmp_path, marker, ui, session_in
):
    spec = write_spec(
        tmp_path, fake_search("note_sigterm", marker, "hup", 4, parallel=2, kill_grace=30)
    )
    argv = [sys.executable, "-m", "hypermax", "run", str(spec)]
    session = session_in([*argv, "--no-ui"] if ui == "--no-ui" else argv)
    results = tmp_path / "results" / "hup"

    def both_up() -> bool:
        ids = sorted(started(results))
        return len(ids) == 2 and all((results / "trials" / str(i) / "up").exists() for i in ids)

    wait_until(both_up, 30, "two trials to start")
    if ui == "dashboard":
        wait_until(lambda: b"2 running" in session.output, 30, "the dashboard to show them")
    session.hang_up()
    assert session.wait(30) == 130  # without a handler: killed by SIGHUP (-1)
    ended = finished(results)
    assert set(ended) == set(started(results)) == {1, 2}
    assert all(record["state"] == "interrupted" for record in ended.values())
    for trial_id in ended:  # stopped down their kill ladders, not killed with hypermax
        assert (results / "trials" / str(trial_id) / "sigterm").exists()
    assert_none_alive(marker)


def test_under_nohup_a_closed_terminal_does_not_stop_the_search(tmp_path, marker, session_in):
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "hup", 4, go=tmp_path / "go"))
    argv = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    session = session_in(argv, ignore_hangup=True)
    results = tmp_path / "results" / "hup"
    first = results / "trials" / "1"
    wait_until(lambda: (first / "up").exists(), 30, "the first trial to start")
    session.hang_up()
    os.kill(session.process.pid, signal.SIGHUP)  # also when it comes from elsewhere
    (tmp_path / "go").write_text("")  # the trials end once it exists
    assert session.wait(60) == 0
    assert [record["state"] for record in finished(results).values()] == ["ok"] * 4
    assert_none_alive(marker)


#: a session leader that runs hypermax (its stderr to a file) in the terminal's foreground and
#: outlives the terminal, as a shell does until it passes SIGHUP on to its jobs
LEADER = """
import signal, subprocess, sys
with open(sys.argv[1], "w") as err:
    child = subprocess.Popen(sys.argv[2:], stderr=err)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
sys.exit(child.wait())
"""


def test_a_terminal_closed_before_its_sighup_comes_leaves_the_dashboard_for_dev_null(
    tmp_path, marker, session_in
):
    spec = write_spec(
        tmp_path, fake_search("note_sigterm", marker, "hup", 4, parallel=2, kill_grace=30)
    )
    err = tmp_path / "hypermax.err"
    hypermax = [sys.executable, "-m", "hypermax", "run", str(spec)]
    session = session_in([sys.executable, "-c", LEADER, str(err), *hypermax])
    results = tmp_path / "results" / "hup"
    wait_until(lambda: b"2 running" in session.output, 30, "the dashboard to show two trials")
    session.hang_up()  # the dashboard's input ends; SIGHUP reaches only the leader, which waits
    wait_until(lambda: "dashboard stopped" in err.read_text(), 30, "the dashboard to stop")
    (child,) = psutil.Process(session.process.pid).children()
    child.send_signal(signal.SIGHUP)  # as the shell passes it on
    assert session.wait(30) == 130
    assert "unexpected error" not in err.read_text()
    ended = finished(results)
    assert set(ended) == set(started(results)) == {1, 2}
    assert all(record["state"] == "interrupted" for record in ended.values())
    assert_none_alive(marker)
