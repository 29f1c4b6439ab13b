"""The terminal dashboard: urwid owns the main thread, the driver runs in a worker thread.

The driver's events reach the UI through :class:`DashboardReporter`: a queue plus a one-byte
wake-up on ``loop.watch_pipe``, written only when no wake-up is pending, so a burst of events
costs one wake-up, one drain and one redraw. Keys steer the search through
:meth:`hypermax.events.SearchControl.request`; Ctrl-C, SIGTERM and SIGHUP interrupt it. If the
UI cannot start or keeps failing to draw, the plain console reporter takes over and the search
goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import urwid

from hypermax import analysis
from hypermax import events as ev
from hypermax.interrupts import (
    CANNOT_STOP_NOTE,
    can_stop,
    leave_terminal,
    signals_to,
    stop_this_process,
    terminal_fds,
)
from hypermax.ui.console import closing_lines
from hypermax.ui.fallback import fall_back_to_console
from hypermax.ui.guard import MAX_RENDER_FAILURES, DashboardBroken, Guard
from hypermax.ui.held_output import CollectLogs, HeldOutput, logs_to
from hypermax.ui.reporter import DashboardReporter, DriverDone
from hypermax.ui.state import DashboardState
from hypermax.ui.terminal import TerminalScreen
from hypermax.ui.view import Actions, DashboardView
from hypermax.ui.widgets import PALETTE, use_ascii_fallbacks

if TYPE_CHECKING:
    from hypermax.events import SearchControl, SearchOutcome

log = logging.getLogger("hypermax")

#: The least time between two redraws caused by events (seconds); the clock ticks once a second.
MIN_REDRAW_SECONDS = 0.1
#: The share of a core the redraws may take: after a redraw that took long (the chart and the
#: table of 50,000 trials: half a second) the next waits four times as long; redrawn 10 times a
#: second, the UI thread held the interpreter the search's thread needs.
REDRAW_SHARE = 0.25
TICK_SECONDS = 1.0
#: How often the dashboard, while its search runs in the background, looks whether it is in the
#: terminal's foreground again (seconds).
AWAY_POLL_SECONDS = 0.2


# -- the session ---------------------------------------------------------------------------------
class DashboardSession:
    """One run of the dashboard around one driver; see :func:`run_dashboard`."""

    def __init__(
        self,
        driver: SearchControl,
        screen: Any = None,
        min_redraw: float = MIN_REDRAW_SECONDS,
        tick: float = TICK_SECONDS,
        cost_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.driver = driver
        self.screen = screen
        self.min_redraw = min_redraw
        self.tick = tick
        self.cost_clock = cost_clock  # what a redraw costs: this thread's CPU time
        self.redraw_every = min_redraw  # the least time between two redraws, as they cost
        self.state = DashboardState()
        self.reporter = DashboardReporter()
        actions = Actions(
            request=driver.request, quit=self._quit, leave=self._leave, log_path=self._log_path
        )
        self.view = DashboardView(self.state, actions)
        self.guard = Guard(self.view)
        self.loop: urwid.MainLoop | None = None
        self.done: DriverDone | None = None
        self.result: DriverDone | None = None
        self.redraws = 0
        self._wake_fd: int | None = None
        self._last_redraw = 0.0
        self._redraw_alarm: Any = None
        self._away_alarm: Any = None
        self._tick_alarm: Any = None
        self._signalled = False
        self._interrupt_sent = False  # a signal interrupted the search: the view's quit did not
        self._ran = False

    def run(self) -> SearchOutcome:
        """Run the search under the dashboard; return the driver's outcome or raise its error."""
        self.driver.subscribe(self.reporter)
        thread = threading.Thread(target=self._drive, name="hypermax-driver")
        collect = CollectLogs(self.reporter)
        on_terminal = terminal_fds()
        try:
            with signals_to(self._on_signal, on_stop=self._on_stop), logs_to(collect):
                held = HeldOutput()
                try:
                    try:
                        loop = self._start_loop()
                        held.hold()
                        thread.start()
                        loop.run()
                    except Exception as exc:
                        self._stop_screen()
                        # a terminal that hung up (closed before its SIGHUP came, if one
                        # comes): what follows goes to /dev/null, as after a SIGHUP
                        leave_terminal(on_terminal)
                        held.release()
                        self._fall_back(exc)
                        if thread.ident is None:
                            thread.start()
                except BaseException:  # the fallback's too: the driver must not run on alone
                    self.driver.request(
                        ev.Command.INTERRUPT
                    )  # so the search stops and the thread ends
                    raise
                finally:
                    self._stop_loop()
                    held.release()
                _wait_for(thread)
        finally:
            for line in collect.lines:
                print(line, file=sys.stderr)
        result = self.result
        assert result is not None, "the driver thread ended without a result"
        if result.error is not None:
            raise result.error
        assert result.outcome is not None
        if self.state.end is not None:  # once the screen is gone: the closing lines stay
            print("\n".join(closing_lines(self.state.end)))  # (a console that took over: its own)
        return result.outcome

    # -- the loop -----------------------------------------------------------------------------
    def _start_loop(self) -> urwid.MainLoop:
        if self.screen is None:
            for name, stream in (("input", sys.stdin), ("output", sys.stdout)):
                if stream is None or not stream.isatty():
                    raise DashboardBroken(f"the {name} is not a terminal")
        analysis.load()  # the params ranking's scipy: loaded now, not in the middle of a redraw
        use_ascii_fallbacks()
        screen = self.screen if self.screen is not None else TerminalScreen()
        loop = urwid.MainLoop(self.guard, PALETTE, screen=screen, handle_mouse=False)
        self.loop = loop
        self._wake_fd = loop.watch_pipe(self._on_wake)
        self.reporter.connect(self._wake_fd)
        self._tick_alarm = loop.set_alarm_in(self.tick, self._on_tick)
        return loop

    def _stop_loop(self) -> None:
        self.reporter.close()
        if self.loop is not None and self._wake_fd is not None:
            self.loop.remove_watch_pipe(self._wake_fd)
            os.close(self._wake_fd)
            self._wake_fd = None
        self._stop_screen()

    def _stop_screen(self) -> None:
        """Give the terminal back, whatever state the screen is in."""
        if self.loop is None or not self.loop.screen.started:
            return
        try:
            self.loop.screen.stop()
        except Exception:
            log.exception("could not restore the terminal")

    def _drive(self) -> None:
        outcome, error = None, None
        try:
            outcome = self.driver.run()
        except BaseException as exc:  # re-raised in the main thread once the terminal is back
            error = exc
        self.result = DriverDone(outcome, error)
        self.reporter.handle(self.result)

    def _on_wake(self, data: bytes) -> bool:
        ended = self.state.ended, self.done is not None
        self._take_events()
        if (self.state.ended, self.done is not None) != ended:
            self._redraw()  # the end shows at once, however long redraws wait
        else:
            self._redraw_soon()
        return True

    def _take_events(self) -> None:
        """Fold every queued event into the state; leave if the search is over and we quit."""
        self._ran = True
        for at, event in self.reporter.drain_timed():
            if isinstance(event, DriverDone):
                self.done = event
                continue
            try:
                self.state.apply(event, at)
            except Exception:
                log.exception("the dashboard could not take in %s", type(event).__name__)
        if self._signalled and not self.view.quitting:
            self._interrupt_sent = True  # by the signal's handler: the view only says so
            self.view.confirm_quit()
        if self.done is not None and (
            self.view.quitting or self.done.error is not None or self._away()
        ):
            raise urwid.ExitMainLoop()  # in the background nobody reads its end: leave at once

    def _redraw_soon(self) -> None:
        """Redraw now, or at the next allowed time; until then events wait without waking us."""
        wait = self._last_redraw + self.redraw_every - time.monotonic()
        if wait <= 0:
            self._redraw()
            return
        self.reporter.hold()
        if self._redraw_alarm is None and self.loop is not None:
            self._redraw_alarm = self.loop.set_alarm_in(wait, self._on_redraw_alarm)

    def _on_redraw_alarm(self, loop: urwid.MainLoop, data: Any) -> None:
        self._redraw_alarm = None
        self._take_events()
        self._redraw()

    def _on_tick(self, loop: urwid.MainLoop, data: Any) -> None:
        """The clock's second: redraw while the search runs. Once it ended nothing changes
        but by a key or a resize, and every alarm costs urwid a draw of the screen: the
        clock stops, until a Ctrl-Z (:meth:`_on_stop`) has it look whether it is away."""
        self._tick_alarm = None
        self._ran = True
        if self._away_alarm is None and self._away():
            self._on_away(loop, None)
        if not self.state.ended:
            self._redraw_soon()
            self._tick_alarm = loop.set_alarm_in(self.tick, self._on_tick)

    def _away(self) -> bool:
        """Whether the search runs in the background, the terminal left to the shell."""
        return self.loop is not None and getattr(self.loop.screen, "away", False)

    def _on_away(self, loop: urwid.MainLoop, data: Any) -> None:
        """While the search runs in the background: take the terminal again, and draw all of
        it, once hypermax is in its foreground (``fg``); until then look again shortly."""
        self._away_alarm = None
        screen = loop.screen
        screen.start()
        if not screen.started:
            self._away_alarm = loop.set_alarm_in(AWAY_POLL_SECONDS, self._on_away)
            return
        loop.screen_size = None  # it may have been resized meanwhile
        screen.clear()
        self._redraw()

    def _redraw(self) -> None:
        self._last_redraw = time.monotonic()
        self.redraws += 1
        if self.guard.failed_last:
            self.guard._invalidate()
        began = self.cost_clock()
        try:
            self.view.refresh()
            # the refresh, and the draw of the last one (urwid draws once this returns)
            spent = self.cost_clock() - began + self.guard.render_seconds
            self.redraw_every = max(self.min_redraw, spent / REDRAW_SHARE)
        except Exception as exc:
            self.guard.failures += 1
            log.exception("the dashboard failed to update (%d in a row)", self.guard.failures)
            if self.guard.failures >= MAX_RENDER_FAILURES:
                raise DashboardBroken(f"the dashboard failed to update: {exc}") from exc

    # -- actions ------------------------------------------------------------------------------
    def _quit(self) -> None:
        self.state.stop_asked()
        if self._interrupt_sent:  # a second request would skip the trials' grace
            self._interrupt_sent = False
        else:
            self.driver.request(ev.Command.INTERRUPT)
        if self.done is not None:
            raise urwid.ExitMainLoop()

    def _leave(self) -> None:
        raise urwid.ExitMainLoop()

    def _log_path(self, trial_id: int) -> Path | None:
        return self.driver.log_path(trial_id)

    def _on_signal(self, signum: int, frame: Any) -> None:
        """Ctrl-C, SIGTERM or SIGHUP: interrupt the search; the UI notes it on its next wake-up."""
        self.driver.request(ev.Command.INTERRUPT)
        self._signalled = True
        fd = self._wake_fd
        if fd is not None:
            with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
                os.write(fd, b"!")

    def _on_stop(self, signum: int, frame: Any) -> None:
        """Ctrl-Z: stop the running trials, then this process; continue them on fg or bg.

        urwid's own SIGTSTP handler comes first: it gives the terminal back, then raises
        SIGTSTP again for this one, and takes the terminal again (a full redraw) once this
        returns. Runs in the main thread, which holds none of the runner's locks."""
        if not can_stop():  # the stop would be dropped: the trials would be stopped alone
            self.view.set_note(CANNOT_STOP_NOTE)
            return
        stopped = self.driver.pause_trials()
        stop_this_process()
        self.driver.continue_trials(stopped)
        self.state.forget_pace()  # the time it stood still is no part of the search's pace
        if self._tick_alarm is None and self.loop is not None:  # the search ended: is it away?
            self._tick_alarm = self.loop.set_alarm_in(self.tick, self._on_tick)

    # -- when the UI cannot go on -------------------------------------------------------------
    def _fall_back(self, exc: Exception) -> None:
        self._stop_screen()
        done = fall_back_to_console(exc, self.state, self.reporter, self._ran)
        if done is not None:
            self.done = done


def _wait_for(thread: threading.Thread) -> None:
    """Join ``thread`` in short steps so that signal handlers keep running meanwhile."""
    while thread.is_alive():
        thread.join(0.2)


def run_dashboard(driver: SearchControl, screen: Any = None) -> SearchOutcome:
    """Run ``driver`` in a worker thread under the urwid dashboard; return its outcome.

    Args:
        driver: a ready search; the dashboard subscribes its reporter to it.
        screen: an urwid screen (default: the terminal).

    Returns:
        What ``driver.run()`` returned. The caller turns it into an exit code (130 when the
        user quit or pressed Ctrl-C). An exception raised by the driver is re-raised here, after
        the terminal is restored.
    """
    return DashboardSession(driver, screen).run()
