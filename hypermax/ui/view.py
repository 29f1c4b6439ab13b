"""The whole dashboard screen and its keys: :class:`DashboardView` from a
:class:`~hypermax.ui.state.DashboardState`.

Nothing here touches the terminal, the driver or threads: :class:`DashboardView` is an ordinary
box widget, so tests render it with ``view.render((cols, rows))`` and press keys with
``view.keypress((cols, rows), key)``. What a key asks of the search goes through
:class:`Actions`; running it is ``hypermax.ui.dashboard``'s job.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urwid

from hypermax.ablation_table import ablation_effects
from hypermax.events import Command
from hypermax.ui.formatting import trials_text
from hypermax.ui.layout import Responsive, pile
from hypermax.ui.panels import baseline_markups, best_markups, ranking_markups, running_item
from hypermax.ui.state import MIN_RANKED_TRIALS, DashboardState
from hypermax.ui.status import FittingText, StatusBar
from hypermax.ui.trials import TrialsPanel, TrialWindow
from hypermax.ui.widgets import (
    ChartWidget,
    ListPanel,
    Panel,
    Size,
    box_size,
)
from hypermax.ui.windows import SCROLL_KEYS, confirm_box, help_rows, window_box

#: The least time between two rankings of params against the loss while trials finish.
RANKING_SECONDS = 1.0
#: The most of the time the dashboard spends ranking params while trials finish: a ranking
#: that took long (a list of thousands of params) waits that much longer for the next one,
#: so that the drawing and the keys are not held still by one ranking after another.
RANKING_SHARE = 0.1


@dataclass
class Actions:
    """What the dashboard's keys ask of the search; every field defaults to doing nothing."""

    request: Callable[[Command], None] = lambda command: None
    """Send the search a command (pause, export)."""
    quit: Callable[[], None] = lambda: None
    """The user confirmed quitting: interrupt the search, leave once it has stopped."""
    leave: Callable[[], None] = lambda: None
    """Leave the dashboard now (the search already ended)."""
    log_path: Callable[[int], Path | None] = lambda trial_id: None
    """Where a trial's log is, for the trial view."""


class DashboardView(urwid.WidgetWrap):
    """Everything on screen, drawn from ``state``; call :meth:`refresh` after the state changed.

    Args:
        state: the folded events.
        actions: what keys ask of the search.
    """

    def __init__(
        self,
        state: DashboardState,
        actions: Actions | None = None,
        ranking_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.state = state
        self._ranking_clock = ranking_clock  # what a ranking costs: this thread's CPU time
        self.actions = actions or Actions()
        self.note: str | None = None
        self.quitting = False
        self.hurried = False  # asked to quit twice: no grace for the trials
        self.overlay: str | None = None
        self.detail: TrialWindow | None = None
        self._ranked_version = -1
        self._ranked_at = -math.inf
        self._ranking_every = RANKING_SECONDS
        self.status = StatusBar()
        self.chart = ChartWidget(state)
        self.chart_panel = Panel("chart", "loss", self.chart)
        self.trials = TrialsPanel()
        self.running = ListPanel("running", "running", wrap="space")
        self.best = ListPanel("best", "best trial")
        self.params = ListPanel("params", "params vs loss")
        narrow = pile(
            (4, self.chart_panel),
            (3, urwid.Columns([self.running, self.best])),
            (4, urwid.Columns([("weight", 3, self.trials), ("weight", 2, self.params)])),
        )
        left = pile((2, self.chart_panel), (3, self.trials))
        right = pile((2, self.running), (3, self.best), (2, self.params))
        wide = urwid.Columns([("weight", 3, left), ("weight", 2, right)])
        panels = [self.chart_panel, self.trials, self.running, self.best, self.params]
        self.layout = Responsive(narrow, wide, panels)
        self.layout.focus_panel("trials")
        self.footer = FittingText(one_line=True)
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
        self.chart_panel.set_title(f"loss of {trials_text(points)}{scale} — line: best so far")
        self.trials.update(state)
        rows = state.running_rows()
        self.running.set_title(f"running ({len(rows)})")
        short = self.trials.walker.short
        self.running.set_rows(
            [running_item(r, short) for r in rows] or [("dim", "nothing running")],
            [r.trial_id for r in rows] or [None],
        )
        self._refresh_best(state)
        self._refresh_ranking()
        self.footer.set_variants([self._footer_markup(brief) for brief in range(3)])
        if self.detail is not None:
            self.detail.follow(state)

    def _refresh_best(self, state: DashboardState) -> None:
        """The best trial; in an ablation study, the baseline and each component's change."""
        if state.method == "ablation":
            shown, title = state.baseline(), "baseline"
            markups = baseline_markups(shown, ablation_effects(state.finished.values()))
        else:
            shown, title = state.best, "best trial"
            markups = best_markups(shown)
        self.best.set_title(title if shown is None else f"{title} ({shown.id})")
        self.best.set_rows(markups, [shown.id if shown else None] * len(markups))

    def _refresh_ranking(self) -> None:
        """The params ranking, recomputed at most every ``RANKING_SECONDS`` while trials pour in,
        and after a ranking that took long, ten times as long after it (``RANKING_SHARE``). How
        long is this thread's CPU time, not the wall clock's: on a busy machine (or while the
        search's thread held the interpreter) a ranking of a few params took seconds by the
        clock, and held the panel at "0 so far" ten times as long while trials finished."""
        state = self.state
        now = state.clock()
        if state.finished_version == self._ranked_version:
            return
        if now - self._ranked_at < self._ranking_every and not state.ended:
            return
        self._ranked_version, self._ranked_at = state.finished_version, now
        began = self._ranking_clock()
        ranking = state.param_ranking()
        spent = self._ranking_clock() - began
        self._ranking_every = max(RANKING_SECONDS, spent / RANKING_SHARE)
        scored = sum(1 for t in state.finished.values() if t.loss is not None)
        self.params.set_title(f"params vs loss (Spearman, {trials_text(scored)})")
        short = self.trials.walker.short
        self.params.set_rows(ranking_markups(ranking, scored, MIN_RANKED_TRIALS, short))

    def _footer_markup(self, brief: int = 0) -> tuple[list[Any], str]:
        """The keys and what they do; ``brief`` 1 names only what q, p and ? do, 2 none."""
        if self.quitting and not self.state.ended:
            text = "killing running trials and saving the journal…"
            return [[("key", " stopping: "), text]], ""
        keys = [("q", "leave" if self.state.ended else "quit")]
        if not self.state.ended:
            keys.append(("p", "resume" if self.state.paused else "pause"))
            keys.append(("e", "export"))
        keys += [("Tab", "panel"), ("↵", "open"), ("s", "sort"), ("?", "help")]
        if brief == 2:
            return [[("key", f" {key}")] for key, _ in keys], ""
        named = {"q", "p", "?"} if brief else {key for key, _ in keys}
        return [
            [("key", f" {key}"), f" {text} " if key in named else " "] for key, text in keys
        ], ""

    def set_note(self, note: str | None) -> None:
        """Show ``note`` in the status line (it outranks the driver's messages)."""
        self.note = note
        self.refresh()

    # -- keys ---------------------------------------------------------------------------------
    def selectable(self) -> bool:
        """Always: the dashboard's keys work whatever is shown (a dialog has no selectable part)."""
        return True

    def keypress(self, size: Size, key: str) -> str | None:
        if key.startswith("meta "):  # Esc and the next key, read at once
            self.keypress(size, "esc")
            return self.keypress(size, key.removeprefix("meta "))
        if self.overlay is not None:
            return self._overlay_key(size, key)
        if key == "ctrl c":
            self.confirm_quit()
        elif key in ("q", "Q"):
            if self.state.ended:
                self.actions.leave()
            else:
                self._open("confirm", confirm_box(), width=66, height="pack")
        elif key == "p":
            self._pause()
        elif key == "e":
            self._export()
        elif key == "?":
            self._open("help", window_box("help", help_rows()), width=90, height=("relative", 90))
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
            unused = self.frame.keypress(box_size(size), key)
            if unused is not None and len(unused) == 1 and unused.strip() and unused.isprintable():
                self._answer(f"{unused}: no such key (? lists the keys)")
                return None
            return unused
        return None

    def _pause(self) -> None:
        """Ask the search to pause launching trials, or to resume, and say so at once: the
        search carries it out at its next turn, which a trial's start (a preloaded objective's
        import) can hold for a long time."""
        if self.state.ended:
            self._answer("the search ended: nothing to pause")
            return
        self.actions.request(Command.TOGGLE_PAUSE)
        if self.state.paused:
            self._answer("resume asked: new trials start again")
        else:
            self._answer("pause asked: no new trial starts; running ones go on")

    def _answer(self, text: str) -> None:
        """Show ``text`` in the status line at once, as news (it goes after a while)."""
        self.state.note(text, news=True)
        self.refresh()

    def _export(self) -> None:
        """Ask for results.csv and best.json now, and say so at once (they are written at the
        search's next turn); once the search ended, say where they are (the search wrote them
        as it ended and takes no more commands)."""
        if not self.state.ended:
            self.actions.request(Command.EXPORT)
            self._answer("export asked: results.csv and best.json are being written")
            return
        folder = self.state.results_folder
        csv = "results.csv" if folder is None else folder / "results.csv"
        self._answer(f"written as the search ended: {csv} (and best.json)")

    def _overlay_key(self, size: Size, key: str) -> str | None:
        kind = self.overlay
        if kind == "confirm":
            self.close_overlay()
            if key in ("y", "Y"):
                self.confirm_quit()
            return None
        if kind == "detail" and key not in ("esc", "q", "enter", "backspace", "left"):
            return self._w.keypress(size, key)
        if kind == "help" and key in SCROLL_KEYS:
            return self._w.keypress(size, key)
        self.close_overlay()
        return None

    def confirm_quit(self) -> None:
        """Interrupt the search (running trials are killed) and leave once it stopped. Asked
        again while they stop (Ctrl-C twice), they are killed without the rest of their grace."""
        if self.state.ended:
            self.actions.leave()
            return
        if not self.quitting:
            self.quitting = True
            self.set_note("stopping: killing running trials… (Ctrl-C again: at once)")
            self.actions.quit()
        elif not self.hurried:
            self.hurried = True
            self.set_note("stopping: killing running trials now…")
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
        """Show one trial: params, metrics, loss terms, state and reason, the tail of its log;
        kept up to date while it is open (see :class:`~hypermax.ui.trials.TrialWindow`)."""
        if self.state.trial(trial_id) is None:
            return
        window = TrialWindow(trial_id, self.actions.log_path(trial_id))
        window.follow(self.state)
        title = f"trial {trial_id} — Esc closes, arrows scroll"
        framed = window_box(title, window.listbox)
        self._open("detail", framed, width=("relative", 92), height=("relative", 90))
        self.detail = window

    def _open(
        self, kind: str, box: urwid.Widget, width: Any, height: Any = ("relative", 80)
    ) -> None:
        self.overlay = kind
        self.detail = None
        self._w = urwid.Overlay(
            box, self.frame, "center", width, "middle", height, min_width=20, min_height=3
        )

    def close_overlay(self) -> None:
        """Back to the panels."""
        self.overlay = None
        self.detail = None
        self._w = self.frame
