"""The terminal dashboard: urwid owns the main thread, the driver runs in a worker thread.

The driver's events reach the UI through :class:`DashboardReporter`: a queue plus a one-byte
wake-up on ``loop.watch_pipe``, written only when no wake-up is pending, so a burst of events
costs one wake-up, one drain and one redraw. Keys steer the search through
:meth:`Driver.request`; Ctrl-C and SIGTERM interrupt it. If the UI cannot start or keeps failing
to draw, the plain console reporter takes over and the search goes on.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import urwid

from hypermax import events as ev
from hypermax.ui.state import MIN_RANKED_TRIALS, DashboardState
from hypermax.ui.widgets import (
    HELP_ROWS,
    PALETTE,
    PANEL_ORDER,
    WIDE_COLUMNS,
    Actions,
    ChartWidget,
    ListPanel,
    Panel,
    Size,
    StatusBar,
    TrialsPanel,
    best_markups,
    box_size,
    format_loss,
    ranking_markups,
    read_log_tail,
    running_item,
    trial_detail_markups,
)

if TYPE_CHECKING:
    from hypermax.driver import Driver, SearchOutcome

log = logging.getLogger("hypermax")

#: The least time between two redraws caused by events (seconds); the clock ticks once a second.
MIN_REDRAW_SECONDS = 0.1
TICK_SECONDS = 1.0
#: The least time between two rankings of params against the loss while trials finish.
RANKING_SECONDS = 1.0
#: Consecutive failed draws after which the console reporter takes over.
MAX_RENDER_FAILURES = 3


Layout: TypeAlias = "urwid.Pile | urwid.Columns"


class DashboardBroken(RuntimeError):
    """The dashboard failed to draw too many times in a row."""


# -- the view -----------------------------------------------------------------------------------
class Responsive(urwid.Widget):
    """Shows the one-column layout below ``WIDE_COLUMNS`` columns and the two-column one above.

    Both layouts hold the same panels; the focused panel follows across a resize.
    """

    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = True

    def __init__(self, narrow: Layout, wide: Layout, panels: list[Panel]) -> None:
        super().__init__()
        self.narrow, self.wide = narrow, wide
        self.panels = {panel.name: panel for panel in panels}
        self.current = narrow

    def pick(self, size: Size) -> Layout:
        """The layout for ``size``; switching carries the focused panel over."""
        layout = self.wide if box_size(size)[0] >= WIDE_COLUMNS else self.narrow
        if layout is not self.current:
            focused = self.focused_panel()
            self.current = layout
            if focused is not None:
                self.focus_panel(focused)
        return layout

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        return urwid.CompositeCanvas(self.pick(size).render(size, focus))

    def keypress(self, size: Size, key: str) -> str | None:
        return self.pick(size).keypress(size, key)

    def focused_panel(self) -> str | None:
        """The name of the panel that has the focus in the layout shown last."""
        for widget in self.current.get_focus_widgets():
            if isinstance(widget, Panel):
                return widget.name
        return None

    def focus_panel(self, name: str) -> None:
        """Give ``name``'s panel the focus in both layouts."""
        target = self.panels[name]
        for layout in (self.narrow, self.wide):
            path = _path_to(layout, target)
            if path is not None:
                layout.set_focus_path(path)

    def cycle(self, step: int) -> None:
        """Move the focus to the next (``step`` 1) or previous (-1) panel."""
        current = self.focused_panel() or PANEL_ORDER[0]
        index = PANEL_ORDER.index(current) if current in PANEL_ORDER else 0
        self.focus_panel(PANEL_ORDER[(index + step) % len(PANEL_ORDER)])


def _path_to(widget: object, target: urwid.Widget) -> list[int] | None:
    if widget is target:
        return []
    if isinstance(widget, urwid.Pile | urwid.Columns):
        for position, (child, _options) in enumerate(widget.contents):
            sub = _path_to(child, target)
            if sub is not None:
                return [position, *sub]
    return None


class DashboardView(urwid.WidgetWrap):
    """Everything on screen, drawn from ``state``; call :meth:`refresh` after the state changed.

    Args:
        state: the folded events.
        actions: what keys ask of the search.
    """

    def __init__(self, state: DashboardState, actions: Actions | None = None) -> None:
        self.state = state
        self.actions = actions or Actions()
        self.note: str | None = None
        self.quitting = False
        self.overlay: str | None = None
        self._ranked_version = -1
        self._ranked_at = -math.inf
        self.status = StatusBar()
        self.chart = ChartWidget(state)
        self.chart_panel = Panel("chart", "loss", self.chart)
        self.trials = TrialsPanel()
        self.running = ListPanel("running", "running", wrap="space")
        self.best = ListPanel("best", "best trial")
        self.params = ListPanel("params", "params vs loss")
        narrow = _pile(
            (4, self.chart_panel),
            (3, urwid.Columns([self.running, self.best])),
            (4, urwid.Columns([("weight", 3, self.trials), ("weight", 2, self.params)])),
        )
        left = _pile((2, self.chart_panel), (3, self.trials))
        right = _pile((2, self.running), (3, self.best), (2, self.params))
        wide = urwid.Columns([("weight", 3, left), ("weight", 2, right)])
        panels = [self.chart_panel, self.trials, self.running, self.best, self.params]
        self.layout = Responsive(narrow, wide, panels)
        self.layout.focus_panel("trials")
        self.footer = urwid.Text("", wrap="ellipsis")
        self.frame = urwid.Frame(
            self.layout, header=self.status, footer=urwid.AttrMap(self.footer, "footer")
        )
        super().__init__(self.frame)
        self.refresh()

    # -- drawing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring every panel up to date with the state."""
        state = self.state
        self.status.update(state, self.note)
        self.chart.update()
        points = len(state.chart_points())
        scale = ", log scale" if self.chart.log_scale else ""
        self.chart_panel.set_title(f"loss of {points} trials{scale} — line: best so far")
        self.trials.update(state)
        rows = state.running_rows()
        self.running.set_title(f"running ({len(rows)})")
        short = self.trials.walker.short
        self.running.set_rows(
            [running_item(r, short) for r in rows] or [("dim", "nothing running")],
            [r.trial_id for r in rows] or [None],
        )
        best = state.best
        self.best.set_title("best trial" if best is None else f"best trial ({best.id})")
        markups = best_markups(best)
        self.best.set_rows(markups, [best.id if best else None] * len(markups))
        self._refresh_ranking()
        self.footer.set_text(self._footer_markup())

    def _refresh_ranking(self) -> None:
        """The params ranking, recomputed at most every ``RANKING_SECONDS`` while trials pour in."""
        state = self.state
        now = state.clock()
        if state.finished_version == self._ranked_version:
            return
        if now - self._ranked_at < RANKING_SECONDS and not state.ended:
            return
        self._ranked_version, self._ranked_at = state.finished_version, now
        ranking = state.param_ranking()
        scored = sum(1 for t in state.finished.values() if t.loss is not None)
        self.params.set_title(f"params vs loss (Spearman, {scored} trials)")
        short = self.trials.walker.short
        self.params.set_rows(ranking_markups(ranking, scored, MIN_RANKED_TRIALS, short))

    def _footer_markup(self) -> list[Any]:
        if self.quitting and not self.state.ended:
            return [("key", " stopping: "), "killing running trials and saving the journal…"]
        keys = [("q", "leave" if self.state.ended else "quit")]
        if not self.state.ended:
            keys.append(("p", "resume" if self.state.paused else "pause"))
        keys += [("e", "export"), ("Tab", "panel"), ("↵", "open"), ("s", "sort"), ("?", "help")]
        out: list[Any] = []
        for key, text in keys:
            out += [("key", f" {key}"), f" {text} "]
        return out

    def set_note(self, note: str | None) -> None:
        """Show ``note`` in the status line (it outranks the driver's messages)."""
        self.note = note
        self.refresh()

    # -- keys ---------------------------------------------------------------------------------
    def selectable(self) -> bool:
        """Always: the dashboard's keys work whatever is shown (a dialog has no selectable part)."""
        return True

    def keypress(self, size: Size, key: str) -> str | None:
        if self.overlay is not None:
            return self._overlay_key(size, key)
        if key == "ctrl c":
            self.confirm_quit()
        elif key in ("q", "Q"):
            if self.state.ended:
                self.actions.leave()
            else:
                self._open("confirm", _confirm_box(), width=62, height="pack")
        elif key == "p":
            self.actions.request("toggle_pause")
        elif key == "e":
            self.actions.request("export")
        elif key == "?":
            self._open("help", _box("help", [urwid.Text(r) for r in HELP_ROWS]), width=90)
        elif key in ("tab", "shift tab"):
            self.layout.cycle(-1 if key == "shift tab" else 1)
        elif key == "s":
            self.trials.toggle_sort()
            self.refresh()
        elif key == "r":
            self.trials.toggle_reverse()
            self.refresh()
        elif key == "enter":
            self.open_focused_trial()
        else:
            return self.frame.keypress(box_size(size), key)
        return None

    def _overlay_key(self, size: Size, key: str) -> str | None:
        kind = self.overlay
        if kind == "confirm":
            self.close_overlay()
            if key in ("y", "Y"):
                self.confirm_quit()
            return None
        if kind == "detail" and key not in ("esc", "q", "enter", "backspace", "left"):
            return self._w.keypress(size, key)
        self.close_overlay()
        return None

    def confirm_quit(self) -> None:
        """Interrupt the search (running trials are killed) and leave once it stopped."""
        if self.state.ended:
            self.actions.leave()
            return
        if not self.quitting:
            self.quitting = True
            self.set_note("stopping: killing running trials…")
            self.actions.quit()

    def open_focused_trial(self) -> None:
        """Open the trial under the focus in the trials, running or best panel."""
        panel = self.layout.focused_panel()
        trial_id = None
        if panel == "trials":
            trial_id = self.trials.focused_trial()
        elif panel in ("running", "best"):
            trial_id = (self.running if panel == "running" else self.best).focused_trial()
        if trial_id is not None:
            self.open_trial(trial_id)

    def open_trial(self, trial_id: int) -> None:
        """Show one trial: params, metrics, loss terms, state and reason, the tail of its log."""
        trial = self.state.trial(trial_id)
        if trial is None:
            return
        tail = read_log_tail(self.actions.log_path(trial_id))
        markups = trial_detail_markups(trial, self.state.best, tail)
        listbox = urwid.ListBox(urwid.SimpleFocusListWalker([urwid.Text(m) for m in markups]))
        title = f"trial {trial_id} — Esc closes, arrows scroll"
        self._open("detail", _box(title, listbox), width=("relative", 92), height=("relative", 90))

    def _open(
        self, kind: str, box: urwid.Widget, width: Any, height: Any = ("relative", 80)
    ) -> None:
        self.overlay = kind
        self._w = urwid.Overlay(
            box, self.frame, "center", width, "middle", height, min_width=20, min_height=3
        )

    def close_overlay(self) -> None:
        """Back to the panels."""
        self.overlay = None
        self._w = self.frame


def _pile(*parts: tuple[int, urwid.Widget]) -> urwid.Pile:
    return urwid.Pile([("weight", weight, widget) for weight, widget in parts])


def _box(title: str, body: urwid.Widget | list[urwid.Text]) -> urwid.Widget:
    if isinstance(body, list):
        body = urwid.ListBox(urwid.SimpleFocusListWalker(body))
    box = urwid.LineBox(urwid.AttrMap(body, "body"), title=title, title_align="left")
    return urwid.AttrMap(box, "border focus")


def _confirm_box() -> urwid.Widget:
    text = urwid.Text(
        [
            "Quit the search now?\n",
            "Running trials are killed; finished ones stay in the journal.\n\n",
            ("dialog key", "y"),
            " quit    ",
            ("dialog key", "any other key"),
            " keep going",
        ]
    )
    box = urwid.LineBox(urwid.Padding(text, left=1, right=1), title="quit")
    return urwid.AttrMap(box, "dialog")


class Guard(urwid.WidgetWrap):
    """Keeps a drawing or key-handling error from ending the search.

    A failed draw is logged and replaced by a line saying so; after ``MAX_RENDER_FAILURES`` in a
    row it raises :class:`DashboardBroken`, which ends the UI (the console takes over).
    """

    def __init__(self, view: DashboardView) -> None:
        super().__init__(view)
        self.view = view
        self.failures = 0
        self.failed_last = False

    def selectable(self) -> bool:
        return True

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        try:
            canvas = self.view.render(size, focus)
        except Exception as exc:
            self.failures += 1
            self.failed_last = True
            log.exception("the dashboard failed to draw (%d in a row)", self.failures)
            if self.failures >= MAX_RENDER_FAILURES:
                raise DashboardBroken(f"the dashboard failed to draw: {exc}") from exc
            text = urwid.Text(("error", f"display error: {exc} — the search goes on"))
            return urwid.CompositeCanvas(urwid.Filler(text, "top").render(box_size(size)))
        self.failures = 0
        self.failed_last = False
        return urwid.CompositeCanvas(canvas)

    def keypress(self, size: Size, key: str) -> str | None:
        try:
            return self.view.keypress(size, key)
        except urwid.ExitMainLoop:
            raise
        except Exception as exc:
            log.exception("the dashboard failed on key %r", key)
            self.view.set_note(f"error on key {key!r}: {exc}")
            return None


# -- from the driver's thread to the UI's -------------------------------------------------------
@dataclass(frozen=True)
class DriverDone:
    """Put on the queue when ``driver.run()`` returned or raised."""

    outcome: SearchOutcome | None
    error: BaseException | None


class DashboardReporter:
    """A Reporter that queues events for the UI thread and wakes it through a pipe.

    ``handle`` never blocks: the pipe is non-blocking and a byte is written only when no wake-up
    is pending, so a burst of events wakes the UI once; while the UI waits to redraw (at most
    every ``MIN_REDRAW_SECONDS``) it holds wake-ups back (:meth:`hold`) and drains the queue
    itself. Once :meth:`forward_to` is called (the UI gave up), events go straight to another
    reporter, in order, nothing lost.
    """

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.wakeups = 0
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pending = False
        self._forward: Any = None
        self._closed = False

    @property
    def forwarding(self) -> bool:
        """Whether events now go to another reporter (the UI gave up)."""
        return self._forward is not None

    def connect(self, fd: int) -> None:
        """Wake the UI by writing to ``fd`` (the write end of ``loop.watch_pipe``)."""
        os.set_blocking(fd, False)
        with self._lock:
            self._fd = fd
            self._pending = False

    def handle(self, event: Any) -> None:
        """Queue ``event`` for the UI (from any thread)."""
        broken: OSError | None = None
        with self._lock:
            if self._forward is not None:
                self._forward.handle(event)
                return
            if self._closed:
                return
            self.events.put(event)
            if self._pending or self._fd is None:
                return
            self._pending = True
            self.wakeups += 1
            try:
                os.write(self._fd, b"!")
            except BlockingIOError:
                pass  # the pipe is full of wake-ups already; the UI will drain the queue
            except OSError as exc:
                self._closed = True
                broken = exc
        if broken is not None:  # logged outside the lock: the log comes back here as a Message
            log.warning("cannot wake the dashboard (%s); it stops receiving events", broken)

    def hold(self) -> None:
        """Write no wake-up until the next :meth:`drain` (the UI will drain on its own)."""
        with self._lock:
            self._pending = True

    def drain(self) -> list[Any]:
        """Every queued event, oldest first; the next event wakes the UI again."""
        with self._lock:
            self._pending = False
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def forward_to(self, reporter: Any) -> list[Any]:
        """Send every later event to ``reporter``; returns the ones queued but not yet drained."""
        with self._lock:
            self._fd = None
            self._forward = reporter
            left = []
            while True:
                try:
                    left.append(self.events.get_nowait())
                except queue.Empty:
                    return left

    def close(self) -> None:
        """Drop every later event (the dashboard is gone and nothing took over)."""
        with self._lock:
            self._fd = None
            self._closed = True


class _CollectLogs(logging.Handler):
    """While the UI owns the terminal: warnings go to the status line and are kept for later.

    They are printed, one line each, once the terminal is back.
    """

    def __init__(self, reporter: DashboardReporter) -> None:
        super().__init__(logging.WARNING)
        self.reporter = reporter
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        self.lines.append(f"hypermax: {record.levelname.lower()}: {text}")
        self.reporter.handle(ev.Message(text))


# -- the session --------------------------------------------------------------------------------
class DashboardSession:
    """One run of the dashboard around one driver; see :func:`run_dashboard`."""

    def __init__(
        self,
        driver: Driver,
        screen: Any = None,
        min_redraw: float = MIN_REDRAW_SECONDS,
        tick: float = TICK_SECONDS,
    ) -> None:
        self.driver = driver
        self.screen = screen
        self.min_redraw = min_redraw
        self.tick = tick
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
        self._signalled = False

    def run(self) -> SearchOutcome:
        """Run the search under the dashboard; return the driver's outcome or raise its error."""
        self.driver.reporters.append(self.reporter)
        thread = threading.Thread(target=self._drive, name="hypermax-driver")
        collect = _CollectLogs(self.reporter)
        try:
            with _signals_to(self._on_signal), _logs_to(collect):
                try:
                    loop = self._start_loop()
                    thread.start()
                    loop.run()
                except Exception as exc:
                    self._fall_back(exc)
                    if thread.ident is None:
                        thread.start()
                finally:
                    self._stop_loop()
                _wait_for(thread)
        finally:
            for line in collect.lines:
                print(line, file=sys.stderr)
        result = self.result
        assert result is not None, "the driver thread ended without a result"
        if result.error is not None:
            raise result.error
        assert result.outcome is not None
        return result.outcome

    # -- the loop -----------------------------------------------------------------------------
    def _start_loop(self) -> urwid.MainLoop:
        loop = urwid.MainLoop(self.guard, PALETTE, screen=self.screen, handle_mouse=False)
        self.loop = loop
        self._wake_fd = loop.watch_pipe(self._on_wake)
        self.reporter.connect(self._wake_fd)
        loop.set_alarm_in(self.tick, self._on_tick)
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
        self._take_events()
        self._redraw_soon()
        return True

    def _take_events(self) -> None:
        """Fold every queued event into the state; leave if the search is over and we quit."""
        for event in self.reporter.drain():
            if isinstance(event, DriverDone):
                self.done = event
                continue
            try:
                self.state.apply(event)
            except Exception:
                log.exception("the dashboard could not take in %s", type(event).__name__)
        if self._signalled and not self.view.quitting:
            self.view.confirm_quit()
        if self.done is not None and (self.view.quitting or self.done.error is not None):
            raise urwid.ExitMainLoop()

    def _redraw_soon(self) -> None:
        """Redraw now, or at the next allowed time; until then events wait without waking us."""
        wait = self._last_redraw + self.min_redraw - time.monotonic()
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
        loop.set_alarm_in(self.tick, self._on_tick)
        if not self.state.ended:
            self._redraw()

    def _redraw(self) -> None:
        self._last_redraw = time.monotonic()
        self.redraws += 1
        if self.guard.failed_last:
            self.guard._invalidate()
        try:
            self.view.refresh()
        except Exception as exc:
            self.guard.failures += 1
            log.exception("the dashboard failed to update (%d in a row)", self.guard.failures)
            if self.guard.failures >= MAX_RENDER_FAILURES:
                raise DashboardBroken(f"the dashboard failed to update: {exc}") from exc

    # -- actions ------------------------------------------------------------------------------
    def _quit(self) -> None:
        self.driver.request("interrupt")
        if self.done is not None:
            raise urwid.ExitMainLoop()

    def _leave(self) -> None:
        raise urwid.ExitMainLoop()

    def _log_path(self, trial_id: int) -> Path | None:
        return self.driver.folder.log(trial_id)

    def _on_signal(self, signum: int, frame: Any) -> None:
        """Ctrl-C or SIGTERM: interrupt the search; the UI notes it on its next wake-up."""
        self.driver.request("interrupt")
        self._signalled = True
        fd = self._wake_fd
        if fd is not None:
            with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
                os.write(fd, b"!")

    # -- when the UI cannot go on -------------------------------------------------------------
    def _fall_back(self, exc: Exception) -> None:
        from hypermax.ui.console import ConsoleReporter

        self._stop_screen()
        print(f"hypermax: the dashboard stopped ({exc}); plain output follows", file=sys.stderr)
        log.debug("dashboard failure", exc_info=exc)
        console = ConsoleReporter()
        console.total = self.state.iterations
        counts = self.state.counts()
        if self.state.started_at is not None:
            best = self.state.best
            console.handle(
                ev.Message(
                    f"{counts['done']} of {self.state.iterations} trials done so far, best "
                    + (f"{format_loss(best.loss)} (trial {best.id})" if best else "-")
                )
            )
        for event in self.reporter.forward_to(console):
            if isinstance(event, DriverDone):
                self.done = event
            else:
                console.handle(event)


def _wait_for(thread: threading.Thread) -> None:
    """Join ``thread`` in short steps so that signal handlers keep running meanwhile."""
    while thread.is_alive():
        thread.join(0.2)


@contextlib.contextmanager
def _signals_to(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call ``handler`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def _logs_to(handler: logging.Handler) -> Iterator[None]:
    """While inside, hypermax's log goes to ``handler`` only (stderr would tear the screen)."""
    logger = logging.getLogger("hypermax")
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def run_dashboard(driver: Driver, screen: Any = None) -> SearchOutcome:
    """Run ``driver`` in a worker thread under the urwid dashboard; return its outcome.

    Args:
        driver: a ready driver; the dashboard appends its reporter to ``driver.reporters``.
        screen: an urwid screen (default: the terminal).

    Returns:
        What ``driver.run()`` returned. The caller turns it into an exit code (130 when the
        user quit or pressed Ctrl-C). An exception raised by the driver is re-raised here, after
        the terminal is restored.
    """
    return DashboardSession(driver, screen).run()
