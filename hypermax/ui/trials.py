"""The trials table (every trial, sortable by loss or id) and the window that opens one trial."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import urwid

from hypermax.execution.outcome import without_escapes
from hypermax.space import flatten
from hypermax.trial import LiveStats, Trial, TrialState
from hypermax.ui.formatting import (
    columns,
    exact_value,
    format_loss,
    format_params,
    format_state,
    format_trial_time,
    one_line,
    padded,
    short_names,
    trial_sections,
)
from hypermax.ui.widgets import Panel, selectable_row

if TYPE_CHECKING:
    from hypermax.ui.state import DashboardState

LOG_TAIL_LINES = 40
LOG_TAIL_BYTES = 32 * 1024
#: How often the window of a running trial reads its log again (seconds).
LOG_REREAD_SECONDS = 1.0
#: The most characters of one value or log line the trial window shows: urwid lays out a long
#: unbroken line in time that grows with the square of its length (a megabyte: minutes).
SHOWN_CHARS = 4000


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text``, or its first ``limit`` characters and how many more there are."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def read_log_tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of a trial's log (read from its last ``LOG_TAIL_BYTES``)."""
    if path is None:
        return ["(no log for this trial)"]
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            data = handle.read()
    except OSError as exc:
        return [f"(cannot read {path}: {exc.strerror or exc})"]
    text = data.decode("utf-8", errors="replace").replace("\t", "    ")
    # a colouring logger's escape sequences left out, other control characters as escapes:
    # passed on, they steered the terminal (colours, cursor moves, a cleared screen)
    tail = [clip(one_line(without_escapes(line))) for line in text.splitlines()[-lines:]]
    return tail or ["(the log is empty)"]


def trial_markup(trial: Trial, short: dict[str, str] | None = None) -> list[Any]:
    """A trials-table row: id, loss, state, time, params (under ``short`` names if given).

    The loss comes right after the id: the column a reader scans, kept in sight when a narrow
    terminal clips the row."""
    state = trial.state.value
    flat = flatten(trial.params, keep_empty=True)
    if short:
        flat = {short.get(name, name): value for name, value in flat.items()}
    return [
        f"{trial.id:>5} ",
        f"{format_loss(trial.loss):>11} ",
        (state, f"{format_state(trial):<11}"),
        ("dim", f"{format_trial_time(trial.time):>7}  "),
        format_params(flat, None, short=True),
    ]


TABLE_HEADER = f"{'trial':>5} {'loss':>11} {'state':<11}{'time':>7}  params"


class TrialsWalker(urwid.ListWalker):
    """The trials table's rows, built on demand, focus kept on the same trial when re-sorted.

    When the focus is on the first row it stays there, so the best (or newest) trial is shown.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.focus = 0
        self._trials: dict[int, Trial] = {}
        self._rows: dict[int, tuple[Trial, urwid.Widget]] = {}
        self._names: dict[str, None] = {}
        self.short: dict[str, str] = {}

    def set_trials(self, trials: Sequence[Trial]) -> None:
        """Show ``trials`` in this order."""
        ids = [t.id for t in trials]
        changed = [t for t in trials if self._trials.get(t.id) is not t]
        if ids == self.ids and not changed:
            return
        before = len(self._names)
        for trial in changed:
            self._names.update(dict.fromkeys(flatten(trial.params, keep_empty=True)))
        if len(self._names) != before:
            self.short = short_names(self._names)
            self._rows.clear()
        focused = self.ids[self.focus] if self.ids and self.focus > 0 else None
        self._trials = {t.id: t for t in trials}
        self.ids = ids
        if focused is not None and focused in self._trials:
            self.focus = ids.index(focused)
        else:
            self.focus = 0 if focused is None else min(self.focus, max(0, len(ids) - 1))
        self._modified()

    def __getitem__(self, position: int) -> urwid.Widget:
        if not 0 <= position < len(self.ids):
            raise IndexError(position)
        trial = self._trials[self.ids[position]]
        cached = self._rows.get(trial.id)
        if cached is None or cached[0] is not trial:
            row = selectable_row(trial_markup(trial, self.short), trial.id)
            cached = (trial, row)
            self._rows[trial.id] = cached
        return cached[1]

    def next_position(self, position: int) -> int:
        if position + 1 >= len(self.ids):
            raise IndexError(position)
        return position + 1

    def prev_position(self, position: int) -> int:
        if position <= 0:
            raise IndexError(position)
        return position - 1

    def set_focus(self, position: int) -> None:
        if not 0 <= position < len(self.ids):
            raise IndexError(position)
        self.focus = position
        self._modified()

    def positions(self, reverse: bool = False) -> range:
        if reverse:
            return range(len(self.ids) - 1, -1, -1)
        return range(len(self.ids))

    def focused_trial(self) -> int | None:
        """The id of the focused row's trial."""
        return self.ids[self.focus] if 0 <= self.focus < len(self.ids) else None


class TrialsPanel(Panel):
    """Every trial in a table sortable by loss or id."""

    def __init__(self) -> None:
        self.walker = TrialsWalker()
        self.listbox = urwid.ListBox(self.walker)
        self.sort = "loss"
        self.reverse = False
        self._shown: tuple[Any, ...] | None = None  # what the table shows: see update()
        header = urwid.Text(("label", TABLE_HEADER), wrap="ellipsis")
        body: urwid.Frame[Any, Any, Any] = urwid.Frame(self.listbox, header=header)
        super().__init__("trials", "trials", body)

    def update(self, state: DashboardState) -> None:
        """Show the state's trials in the current order (sorted again only when a trial started
        or ended, or the order changed: not at each tick of the clock)."""
        shown = (
            id(state),
            state.finished_version,
            [*map(id, state.running.values())],
            self.sort,
            self.reverse,
        )
        if shown != self._shown:
            self._shown = shown
            self.walker.set_trials(state.trials(self.sort, self.reverse))
        arrow = "↓" if self.reverse else "↑"
        if self.sort == "id":
            arrow = "newest first" if self.reverse else "oldest first"
        count = len(self.walker.ids)
        self.set_title(f"trials ({count}) by {self.sort} {arrow} — s sort, r reverse")

    def toggle_sort(self) -> None:
        """Switch between sorting by loss (best first) and by id (newest first)."""
        self.sort, self.reverse = ("id", True) if self.sort == "loss" else ("loss", False)
        self.walker.focus = 0

    def toggle_reverse(self) -> None:
        """Reverse the current order."""
        self.reverse = not self.reverse
        self.walker.focus = 0

    def focused_trial(self) -> int | None:
        """The trial id of the focused row."""
        return self.walker.focused_trial()


def trial_detail_markups(
    trial: Trial,
    best: Trial | None,
    log_tail: Sequence[str],
    running_for: float | None = None,
    live: LiveStats | None = None,
) -> list[Any]:
    """Everything about one trial: state and reason, loss and its terms, metrics, params, log.
    ``running_for``: the seconds a running trial has run so far, shown as its time; ``live``:
    what the watchdog sees of it now, its memory and CPU, as the running panel shows them."""
    rows: list[Any] = [
        [("name", f"trial {trial.id}"), "  ", (trial.state.value, trial.state.value)]
        + ([("best", "  (best so far)")] if best is not None and best.id == trial.id else []),
    ]
    if trial.reason:
        rows.append([("label", "reason  "), ("warning", clip(one_line(trial.reason)))])
    loss = "-" if trial.loss is None else exact_value(trial.loss + 0.0)
    rows.append([("label", "loss    "), ("best", loss)])
    facts = [("time", format_trial_time(trial.time if running_for is None else running_for))]
    if live is not None and trial.cpu_time is None and trial.peak_rss_mib is None:
        facts += [("memory", f"{live.rss_mib:.0f} MiB"), ("CPU", f"{live.cpu_percent:.0f}%")]
    else:
        facts += [
            ("cpu", format_trial_time(trial.cpu_time)),
            ("peak RSS", "-" if trial.peak_rss_mib is None else f"{trial.peak_rss_mib:.0f} MiB"),
        ]
    if trial.step is not None:
        facts.append(("to step", str(trial.step)))
    if live is not None and live.where:
        facts.append(("on", live.where))
    rows.append([("label", "ran     "), "   ".join(f"{k} {v}" for k, v in facts)])
    for title, values in trial_sections(trial):
        if not values:
            continue
        rows.append("")
        rows.append(("title", title))
        names = {one_line(str(name)): value for name, value in values.items()}
        width = min(32, max(columns(name) for name in names))
        for name, value in names.items():
            rows.append([("label", f"  {padded(name, width)}"), "  ", clip(exact_value(value))])
    if trial.attachments:
        files = [f"  {one_line(str(name))}" for name in trial.attachments]
        rows += ["", ("title", "files"), *files]
    if trial.reports:
        rows += ["", ("title", f"reports ({len(trial.reports)}, last 5)")]
        rows += [f"  {format_params(report, None, short=True)}" for report in trial.reports[-5:]]
    rows += ["", ("title", "log (tail)"), *[("dim", line) for line in log_tail]]
    return rows


class TrialWindow:
    """The scrollable contents of the window that shows one trial.

    :meth:`follow` keeps them up to date: anew when the trial changed (it ended) or another
    became the best (it is no longer "best so far"), and its log read again at most every
    ``LOG_REREAD_SECONDS`` while it runs. The row the reader scrolled to stays in view; at the
    last row, the view follows the new last row (the log's end).
    """

    def __init__(self, trial_id: int, log_path: Path | None) -> None:
        self.trial_id = trial_id
        self.log_path = log_path
        self.walker: urwid.SimpleFocusListWalker[urwid.Text] = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        self._shown: Trial | None = None
        self._best: int | None = None  # the best trial's id when it was shown: "(best so far)"
        self._read_at = -math.inf

    def follow(self, state: DashboardState) -> None:
        """Show the trial as ``state`` has it now (if anything changed)."""
        trial = state.trial(self.trial_id)
        if trial is None:
            return
        trial = state.whole(trial)
        now = state.clock()
        rereading = trial.state is TrialState.RUNNING and now - self._read_at >= LOG_REREAD_SECONDS
        best = state.best.id if state.best is not None else None
        if trial is self._shown and best == self._best and not rereading:
            return
        self._shown, self._best, self._read_at = trial, best, now
        running_for = state.running_elapsed(trial.id) if trial.id in state.running else None
        live = state.live.get(trial.id) if running_for is not None else None
        markups = trial_detail_markups(
            trial, state.best, read_log_tail(self.log_path), running_for, live
        )
        focus = self.walker.focus or 0
        at_end = len(self.walker) > 1 and focus == len(self.walker) - 1
        self.walker[:] = [urwid.Text(markup) for markup in markups]
        self.walker.set_focus(len(self.walker) - 1 if at_end else min(focus, len(self.walker) - 1))
