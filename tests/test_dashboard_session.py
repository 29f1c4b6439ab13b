"""The dashboard at run time, in-process: a fake driver in the worker thread, urwid on a pty.

The fake driver plays the user too: it writes keys to the terminal or signals the process at the
point of the search where a person would, so nothing here sleeps to wait for the UI.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import signal
import struct
import sys
import termios
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urwid
from fake_trials.helpers import drain_terminal
from test_dashboard_state import trial

from hypermax import events as ev
from hypermax.driver import SearchOutcome
from hypermax.trial import TrialState
from hypermax.ui import held_output, view
from hypermax.ui.console import ConsoleReporter
from hypermax.ui.dashboard import DashboardSession, run_dashboard
from hypermax.ui.reporter import DashboardReporter, DriverDone
from hypermax.ui.terminal import TerminalScreen


class Terminal:
    """A pseudo-terminal of a given size; what urwid writes is kept in ``output``."""

    def __init__(self, cols: int = 100, rows: int = 30) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.modes = termios.tcgetattr(slave)
        self.slave_in = os.fdopen(slave, "rb", buffering=0)
        self.slave_out = os.fdopen(os.dup(slave), "w", encoding="utf-8")
        self.output = bytearray()
        self._reader = threading.Thread(
            target=drain_terminal, args=(self.master, self.output, threading.Event()), daemon=True
        )
        self._reader.start()

    def screen(self) -> urwid.display.raw.Screen:
        return urwid.display.raw.Screen(input=self.slave_in, output=self.slave_out)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait_for(self, text: str, timeout: float = 10.0) -> None:
        """Poll what was drawn until ``text`` shows (bounded)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            assert time.monotonic() < deadline, f"{text!r} never showed on the terminal"
            time.sleep(0.01)

    def restored(self) -> bool:
        return termios.tcgetattr(self.slave_in.fileno()) == self.modes

    def close(self) -> None:
        self.slave_out.close()
        self.slave_in.close()
        # the reader sees EIO once no slave end is open; join it before the master's number
        # can be reused by the next terminal
        self._reader.join(5)
        os.close(self.master)


class FakeDriver:
    """A SearchControl for the dashboard; ``script(driver)`` is its search."""

    def __init__(self, tmp_path: Path, script: Callable[[FakeDriver], SearchOutcome]) -> None:
        self.reporters: list[Any] = []
        self.requests: queue.Queue[str] = queue.Queue()
        self.path = tmp_path
        self.script = script
        self.thread: threading.Thread | None = None

    def request(self, command: str) -> None:
        self.requests.put(command)

    def subscribe(self, reporter: Any) -> None:
        self.reporters.append(reporter)

    def log_path(self, trial_id: int) -> Path:
        return self.path / f"trial_{trial_id}.log"

    def run(self) -> SearchOutcome:
        self.thread = threading.current_thread()
        return self.script(self)

    def emit(self, event: Any) -> None:
        for reporter in list(self.reporters):
            reporter.handle(event)

    def wait_for(self, command: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.requests.get(timeout=0.1) == command:
                    return True
            except queue.Empty:
                continue
        return False

    def start_search(self, trials: int = 3) -> None:
        self.emit(ev.SearchStarted("fake", "random", 10, 2, self.path))
        best = None
        for i in range(1, trials + 1):
            self.emit(ev.TrialStarted(trial(i)))
            done = trial(i, state=TrialState.OK, loss=1.0 / i)
            best = done
            self.emit(ev.TrialFinished(done, best, i))

    def end(self, interrupted: bool = False, done: int = 3) -> SearchOutcome:
        reason = "interrupted" if interrupted else "iterations done"
        self.emit(ev.SearchFinished(None, done, reason, interrupted))
        return SearchOutcome(None, done, reason, interrupted, ())


@pytest.fixture
def terminal():
    term = Terminal()
    yield term
    term.close()


def test_the_search_runs_in_a_worker_thread_and_q_leaves_after_it_ended(tmp_path, terminal):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")  # the user, once the screen says the search ended
        return outcome

    driver = FakeDriver(tmp_path, search)
    outcome = run_dashboard(driver, screen=terminal.screen())
    assert outcome.reason == "iterations done" and not outcome.interrupted
    assert driver.thread is not None and driver.thread is not threading.main_thread()
    assert isinstance(driver.reporters[0], DashboardReporter)
    assert terminal.restored()
    assert b"fake" in terminal.output  # the dashboard was drawn on the terminal


def test_once_the_search_ended_the_screen_is_drawn_only_on_a_key(tmp_path, terminal):
    """The clock went on ticking after the end, each tick a draw of the whole screen while
    the dashboard waited for q: once the search ended only a key (or a resize) draws."""
    draws: list[int] = []
    screen = terminal.screen()
    draw_screen = screen.draw_screen

    def counted(*args: Any, **kwargs: Any) -> Any:
        draws.append(1)
        return draw_screen(*args, **kwargs)

    screen.draw_screen = counted  # type: ignore[method-assign]
    after_end: list[int] = []

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        outcome = driver.end()
        terminal.wait_for("search ended")
        before = len(draws)
        time.sleep(0.3)  # 60 ticks of the clock: nothing to draw in them
        after_end.append(len(draws) - before)
        terminal.type(b"?")  # a key draws at once
        terminal.wait_for("this help")
        terminal.type(b"?q")
        return outcome

    DashboardSession(FakeDriver(tmp_path, search), screen, tick=0.005).run()
    assert after_end[0] <= 1  # the tick under way as the search ended, at most
    assert terminal.restored()


def test_redraws_that_cost_much_come_less_often_and_the_end_shows_at_once(tmp_path, terminal):
    """A redraw of a search of 50,000 trials took half a second, and came 10 times a second
    as trials ended: the UI thread held the interpreter the search needed. Here each redraw
    costs 100 s (of a fake CPU clock): after the first, the trials that end wait, the end not."""
    spent = iter(range(0, 10**6, 100))
    session: list[DashboardSession] = []

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.emit(ev.SearchStarted("fake", "random", 10, 2, driver.path))
        terminal.wait_for("0/10")
        for i in range(1, 6):  # a trial each 0.15 s: once each 0.1 s redraw, 5 redraws more
            driver.emit(ev.TrialStarted(trial(i)))
            driver.emit(ev.TrialFinished(trial(i, state=TrialState.OK, loss=1.0 / i), None, i))
            time.sleep(0.15)
        redrawn = session[0].redraws
        outcome = driver.end(done=5)
        terminal.wait_for("search ended")  # at once, not 400 s after the last redraw
        assert redrawn <= 2  # the first, and perhaps a tick's
        terminal.type(b"q")
        return outcome

    driver = FakeDriver(tmp_path, search)
    session.append(DashboardSession(driver, terminal.screen()))
    session[0].cost_clock = lambda: next(spent)
    session[0].run()
    assert b"5/10" in terminal.output  # drawn with the end
    assert terminal.restored()


def test_what_the_search_prints_waits_until_the_terminal_is_back(tmp_path, terminal, capsys):
    """A plugin optimizer's print, made while the dashboard ran, went over its screen."""
    during: list[tuple[str, str]] = []

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        print("the plugin says hello")
        print("and warns", file=sys.stderr)
        during.append(capsys.readouterr())
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")
        return outcome

    run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert during == [("", "")]
    out, err = capsys.readouterr()
    assert err == "and warns\n"
    # then the closing lines, which the dashboard leaves once the terminal is back
    assert out.splitlines() == [
        "the plugin says hello",
        "hypermax: search ended (iterations done); 3 trials done",
        "no trial produced a loss",
    ]
    assert terminal.restored()


def test_q_then_y_interrupts_the_search_and_leaves_once_it_stopped(tmp_path, terminal):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        terminal.wait_for("3/10")
        terminal.type(b"q")
        terminal.wait_for("Quit the search now?")
        terminal.type(b"y")
        assert driver.wait_for("interrupt"), "the dashboard never asked to interrupt"
        driver.emit(ev.TrialFinished(trial(4, state=TrialState.INTERRUPTED), None, 3))
        return driver.end(interrupted=True)

    driver = FakeDriver(tmp_path, search)
    outcome = run_dashboard(driver, screen=terminal.screen())
    assert outcome.interrupted
    assert terminal.restored()


def test_q_then_another_key_keeps_the_search_going(tmp_path, terminal):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        terminal.wait_for("3/10")
        terminal.type(b"q")
        terminal.wait_for("Quit the search now?")
        terminal.type(b"n")
        terminal.type(b"p")  # reaches the driver only if the confirmation was dismissed
        assert driver.wait_for("toggle_pause")
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")
        return outcome

    driver = FakeDriver(tmp_path, search)
    outcome = run_dashboard(driver, screen=terminal.screen())
    assert not outcome.interrupted


def test_ctrl_c_signal_interrupts_the_search(tmp_path, terminal):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        os.kill(os.getpid(), signal.SIGINT)
        assert driver.wait_for("interrupt"), "SIGINT did not reach the driver"
        return driver.end(interrupted=True)

    previous = signal.getsignal(signal.SIGINT)
    outcome = run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert outcome.interrupted
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored


def test_a_driver_error_is_raised_after_the_terminal_is_restored(tmp_path, terminal):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        raise RuntimeError("optimizer exploded")

    with pytest.raises(RuntimeError, match="optimizer exploded"):
        run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert terminal.restored()


def test_repeated_render_errors_hand_over_to_the_console(tmp_path, terminal, monkeypatch, capsys):
    def broken(self: Any, size: Any, focus: bool = False) -> Any:
        raise ValueError("cannot draw")

    monkeypatch.setattr(view.DashboardView, "render", broken)

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        reporter = driver.reporters[0]
        deadline = time.monotonic() + 10
        i = 10
        while not reporter.forwarding and time.monotonic() < deadline:
            i += 1  # each finished trial makes the dashboard draw again
            driver.emit(ev.TrialFinished(trial(i, state=TrialState.OK, loss=0.5), None, i))
            time.sleep(0.05)
        assert reporter.forwarding, "the console never took over"
        driver.emit(ev.TrialFinished(trial(99, state=TrialState.OK, loss=0.25), None, 42))
        return driver.end(done=42)

    outcome = run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert outcome.done == 42
    captured = capsys.readouterr()
    assert "the dashboard stopped" in captured.err
    assert "trial 99" in captured.out  # the console reported what came after
    assert "search ended" in captured.out
    assert terminal.restored()


def test_a_screen_that_cannot_start_falls_back_to_the_console(tmp_path, capsys):
    class NoTerminal(urwid.display.raw.Screen):
        def _start(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("not a terminal")

    term = Terminal()

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        return driver.end()

    try:
        screen = NoTerminal(input=term.slave_in, output=term.slave_out)
        outcome = run_dashboard(FakeDriver(tmp_path, search), screen=screen)
    finally:
        term.close()
    assert outcome.reason == "iterations done"
    captured = capsys.readouterr()
    assert "not a terminal" in captured.err
    assert "hypermax: fake: random" in captured.out  # the console saw the search from its start


def test_reporter_wakes_once_per_burst_and_drains_everything():
    read_end, write_end = os.pipe()
    reporter = DashboardReporter()
    reporter.connect(write_end)
    for i in range(1000):
        reporter.handle(ev.Message(str(i)))
    assert os.read(read_end, 100) == b"!"  # one wake-up for the whole burst
    drained = reporter.drain()
    assert [e.text for e in drained] == [str(i) for i in range(1000)]
    reporter.handle(ev.Message("next"))
    assert os.read(read_end, 100) == b"!"  # after a drain the next event wakes the UI again
    assert reporter.wakeups == 2
    os.close(read_end)
    os.close(write_end)


def test_reporter_never_blocks_on_a_full_pipe():
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    while True:  # fill the pipe
        try:
            os.write(write_end, b"x" * 4096)
        except BlockingIOError:
            break
    reporter = DashboardReporter()
    reporter.connect(write_end)
    reporter.handle(ev.Message("still queued"))
    assert [e.text for e in reporter.drain()] == ["still queued"]
    os.close(read_end)
    os.close(write_end)


def test_forwarding_hands_queued_and_later_events_over_in_order(capsys):
    reporter = DashboardReporter()
    reporter.handle(ev.Message("one"))
    reporter.handle(DriverDone(None, None))
    console = ConsoleReporter()
    left = reporter.forward_to(console)
    assert [type(e).__name__ for e in left] == ["Message", "DriverDone"]
    reporter.handle(ev.Message("two"))
    assert capsys.readouterr().out == "hypermax: two\n"
    assert reporter.forwarding


@pytest.mark.timeout(10)
def test_a_broken_wake_pipe_is_logged_once_without_deadlock():
    read_end, write_end = os.pipe()
    os.close(read_end)
    reporter = DashboardReporter()
    reporter.connect(write_end)
    collect = held_output.CollectLogs(reporter)  # logs come back to the reporter as Messages
    with held_output.logs_to(collect):
        reporter.handle(ev.Message("first"))
        reporter.handle(ev.Message("dropped"))
    assert len(collect.lines) == 1 and "cannot wake the dashboard" in collect.lines[0]
    os.close(write_end)


def test_warnings_show_in_the_status_line_and_on_stderr_afterwards(tmp_path, terminal, capsys):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        logging.getLogger("hypermax").warning("reporter Foo failed on TrialFinished")
        terminal.wait_for("reporter Foo failed")
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")
        return outcome

    run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert "hypermax: warning: reporter Foo failed on TrialFinished" in capsys.readouterr().err


def test_a_python_warning_in_the_search_shows_as_a_line_and_leaves_the_screen_whole(
    tmp_path, terminal, capsys
):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        warnings.warn("overflow encountered in square", RuntimeWarning, stacklevel=1)
        terminal.wait_for("RuntimeWarning: overflow encountered in square")  # the status line
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")
        return outcome

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        shown = warnings.showwarning
        run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
        assert warnings.showwarning is shown  # as it was again
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1  # nothing written over the screen while it ran; one line once it was left
    assert err[0].startswith(
        "hypermax: warning: RuntimeWarning: overflow encountered in square "
        "(tests/test_dashboard_session.py:"
    )


def test_a_warning_of_several_lines_is_one_line_on_stderr_afterwards(tmp_path, terminal, capsys):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        logging.getLogger("hypermax").warning("preload: ImportError: first\nsecond")
        terminal.wait_for("first\\nsecond")  # the status line
        outcome = driver.end()
        terminal.wait_for("search ended")
        terminal.type(b"q")
        return outcome

    run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    err = capsys.readouterr().err.splitlines()
    assert err == ["hypermax: warning: preload: ImportError: first\\nsecond"]


def test_without_a_terminal_the_console_reports_from_the_start(tmp_path, capsys):
    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        return driver.end()

    outcome = run_dashboard(FakeDriver(tmp_path, search))  # pytest's stdin and stdout: no tty
    assert outcome.reason == "iterations done"
    captured = capsys.readouterr()
    assert "no dashboard (the input is not a terminal)" in captured.err
    assert "hypermax: fake: random" in captured.out
    assert "search ended" in captured.out


def test_one_ctrl_c_interrupts_once_and_a_second_hurries_the_trials(tmp_path, terminal):
    """One signal is one interrupt: a second would kill the trials without their grace."""

    def search(driver: FakeDriver) -> SearchOutcome:
        driver.start_search()
        os.kill(os.getpid(), signal.SIGINT)
        terminal.wait_for("Ctrl-C again")  # the view took it in
        asked = []
        while not driver.requests.empty():
            asked.append(driver.requests.get())
        assert asked == ["interrupt"]
        os.kill(os.getpid(), signal.SIGINT)
        assert driver.wait_for("interrupt"), "the second Ctrl-C did not reach the driver"
        return driver.end(interrupted=True)

    outcome = run_dashboard(FakeDriver(tmp_path, search), screen=terminal.screen())
    assert outcome.interrupted


def test_a_terminal_that_tells_no_size_is_drawn_at_80_by_24(tmp_path, monkeypatch):
    """A terminal of 0 by 0 (a serial console, a container's before it was sized) showed a blank
    screen all along: nobody saw that the search ended, nor how to leave."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    term = Terminal(cols=0, rows=0)
    try:

        def search(driver: FakeDriver) -> SearchOutcome:
            driver.start_search()
            outcome = driver.end()
            term.wait_for("search ended")
            term.type(b"q")
            return outcome

        screen = TerminalScreen(input=term.slave_in, output=term.slave_out)
        assert screen.get_cols_rows() == (80, 24)
        monkeypatch.setenv("COLUMNS", "100")
        monkeypatch.setenv("LINES", "x")
        assert screen.get_cols_rows() == (100, 24)
        outcome = run_dashboard(FakeDriver(tmp_path, search), screen=screen)
        assert outcome.reason == "iterations done"
        assert term.restored()
    finally:
        term.close()
