"""What the dashboard draws: urwid widgets from a :class:`~hypermax.ui.state.DashboardState`.

Nothing here touches the terminal, the driver or threads: :class:`DashboardView` is an ordinary
box widget, so tests render it with ``view.render((cols, rows))`` and press keys with
``view.keypress((cols, rows), key)``. What a key asks of the search goes through
:class:`Actions`; running it is ``hypermax.ui.dashboard``'s job.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import urwid

from hypermax.events import Command
from hypermax.space import flatten
from hypermax.trial import Trial
from hypermax.ui.chart import (
    BEST_GLYPHS,
    KILLED,
    NO_LOSS,
    POINT,
    STOPPED,
    draw_chart,
    scaled_losses,
    wants_log_scale,
)
from hypermax.ui.state import MIN_RANKED_TRIALS, DashboardState, ParamRelation, RunningRow

#: A widget size as urwid passes it: ``()``, ``(cols,)`` or ``(cols, rows)``.
Size: TypeAlias = "tuple[()] | tuple[int] | tuple[int, int]"
Wrap: TypeAlias = Literal["space", "any", "clip", "ellipsis"]
Layout: TypeAlias = "urwid.Pile | urwid.Columns"

PALETTE: list[tuple[str, str, str]] = [
    ("body", "default", "default"),
    ("border", "dark gray", "default"),
    ("border focus", "light cyan", "default"),
    ("title", "white,bold", "default"),
    ("name", "white,bold", "default"),
    ("dim", "dark gray", "default"),
    ("label", "light gray", "default"),
    ("ok", "light green", "default"),
    ("failed", "light red", "default"),
    ("killed", "light magenta", "default"),
    ("stopped", "yellow", "default"),
    ("running", "light cyan", "default"),
    ("interrupted", "dark gray", "default"),
    ("imported", "light gray", "default"),
    ("best", "light green,bold", "default"),
    ("warning", "yellow,bold", "default"),
    ("error", "light red,bold", "default"),
    ("point", "light blue", "default"),
    ("best line", "light green", "default"),
    ("axis", "dark gray", "default"),
    ("bar", "light blue", "default"),
    ("pb normal", "light gray", "dark gray"),
    ("pb complete", "black", "dark cyan"),
    ("selected", "black", "light cyan"),
    ("footer", "black", "light gray"),
    ("key", "dark blue,bold", "light gray"),
    ("dialog", "white", "dark blue"),
    ("dialog key", "yellow,bold", "dark blue"),
]
#: A focused row is drawn in one colour whatever its parts were.
SELECTED: dict[Hashable, Hashable] = {name: "selected" for name, _fg, _bg in PALETTE}
SELECTED[None] = "selected"
#: Below this width the panels stack in one column; from it on, two columns.
WIDE_COLUMNS = 120
PANEL_ORDER = ("trials", "running", "best", "params")
LOG_TAIL_LINES = 40
LOG_TAIL_BYTES = 32 * 1024
BAR_CELLS = 10
RANKED_NAME_WIDTH = 16
#: A wrapping list entry narrower than this shows one line per part.
COMPACT_COLUMNS = 50
#: The least time between two rankings of params against the loss while trials finish.
RANKING_SECONDS = 1.0


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


# -- formatting ------------------------------------------------------------------------------------
def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m07s``, ``2h05m``; ``-`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    total = round(max(0.0, seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total // 3600}h{total % 3600 // 60:02d}m"


def format_loss(loss: float | None) -> str:
    """A loss with six significant digits, ``-`` for none."""
    return "-" if loss is None else f"{loss:.6g}"


def format_value(value: Any) -> str:
    """A param or metric value, short: floats to four significant digits."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, default=str)


def format_params(flat: dict[str, Any]) -> str:
    """``name=value`` pairs separated by spaces."""
    return "  ".join(f"{name}={format_value(value)}" for name, value in flat.items())


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
    tail = text.splitlines()[-lines:]
    return tail or ["(the log is empty)"]


def box_size(size: Size) -> tuple[int, int]:
    """``(cols, rows)`` of the size urwid gives a box widget."""
    if len(size) != 2:
        raise ValueError(f"a box widget is drawn at (cols, rows), not {size!r}")
    return size[0], size[1]


# -- small widgets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """A list entry of two parts: ``head`` on its first line, ``detail`` indented below it."""

    head: Any
    detail: Any = None


class Row(urwid.Widget):
    """An entry of a panel's list that can take the focus (so the list scrolls and opens it).

    A wrapping entry is cut to one line per part instead when narrower than
    ``COMPACT_COLUMNS``, so that a narrow panel still shows several entries.
    """

    _selectable = True
    _sizing = frozenset([urwid.Sizing.FLOW])

    def __init__(self, item: Any, trial_id: int | None = None, wrap: Wrap = "ellipsis") -> None:
        super().__init__()
        self.trial_id = trial_id
        self._full = _entry(item, wrap)
        self._compact = self._full if wrap == "ellipsis" else _entry(item, "ellipsis")

    def _pick(self, size: Size) -> tuple[urwid.Text | urwid.Pile, tuple[int]]:
        if len(size) != 1:
            raise ValueError(f"a list entry is drawn at (cols,), not {size!r}")
        cols = size[0]
        return (self._compact if cols < COMPACT_COLUMNS else self._full), (cols,)

    def rows(self, size: Size, focus: bool = False) -> int:
        widget, flow = self._pick(size)
        return widget.rows(flow, focus)

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        widget, flow = self._pick(size)
        return urwid.CompositeCanvas(widget.render(flow, focus))

    def keypress(self, size: Size, key: str) -> str:
        return key


def _entry(item: Any, wrap: Wrap) -> urwid.Text | urwid.Pile:
    if not isinstance(item, Item):
        return urwid.Text(item, wrap=wrap)
    head = urwid.Text(item.head, wrap=wrap)
    if not item.detail:
        return head
    return urwid.Pile([head, urwid.Padding(urwid.Text(item.detail, wrap=wrap), left=3)])


def selectable_row(item: Any, trial_id: int | None = None, wrap: Wrap = "ellipsis") -> urwid.Widget:
    """A :class:`Row` drawn in the selection colour when it has the focus."""
    return urwid.AttrMap(Row(item, trial_id, wrap), None, focus_map=SELECTED)


class Panel(urwid.WidgetWrap):
    """A titled box whose border lights up while it has the focus."""

    def __init__(self, name: str, title: str, body: urwid.Widget) -> None:
        self.name = name
        self.box = urwid.LineBox(urwid.AttrMap(body, "body"), title=title, title_align="left")
        self.box.title_widget.set_wrap_mode("ellipsis")
        super().__init__(urwid.AttrMap(self.box, "border", focus_map="border focus"))

    def set_title(self, title: str) -> None:
        """Change the title (it is redrawn only when it changed)."""
        if self.box.title_widget.text != self.box.format_title(title):
            self.box.set_title(title)


class ListPanel(Panel):
    """A panel holding a scrollable list of rows."""

    def __init__(self, name: str, title: str, wrap: Wrap = "ellipsis") -> None:
        self.wrap = wrap
        self.walker: urwid.SimpleFocusListWalker[Any] = urwid.SimpleFocusListWalker([])
        self.listbox = urwid.ListBox(self.walker)
        super().__init__(name, title, self.listbox)
        self._shown: list[Any] = []

    def set_rows(self, markups: Sequence[Any], ids: Sequence[int | None] | None = None) -> None:
        """Replace the rows, keeping the focus index; nothing happens if they did not change."""
        key = [*markups, *(ids or ())]
        if key == self._shown:
            return
        self._shown = key
        focus = self.walker.focus if self.walker else 0
        ids = ids or [None] * len(markups)
        pairs = zip(markups, ids, strict=True)
        self.walker[:] = [selectable_row(m, i, wrap=self.wrap) for m, i in pairs]
        if self.walker:
            self.walker.set_focus(min(focus or 0, len(self.walker) - 1))

    def focused_trial(self) -> int | None:
        """The trial id of the focused row, if it stands for a trial."""
        widget, _pos = self.walker.get_focus()
        return None if widget is None else widget.base_widget.trial_id


class ProgressLine(urwid.ProgressBar):
    """The progress bar with ``done/total`` written on it."""

    def __init__(self) -> None:
        super().__init__("pb normal", "pb complete")
        self.label = ""

    def get_text(self) -> str:
        return self.label

    def show(self, done: int, total: int) -> None:
        """Fill to ``done`` of ``total``."""
        label = f"{done}/{total} trials  {0 if total <= 0 else 100 * done // total}%"
        if (done, total, label) != (self.current, self.done, self.label):
            self.label = label
            self.done = max(1, total)
            self.set_completion(min(done, max(1, total)))


class ChartWidget(urwid.Widget):
    """The loss chart, drawn to whatever size the panel gives it."""

    _sizing = frozenset([urwid.Sizing.BOX])
    _selectable = False

    def __init__(self, state: DashboardState) -> None:
        super().__init__()
        self.state = state
        self._version = -1
        self.log_scale = False

    def update(self) -> None:
        """Redraw on the next render if another trial finished."""
        if self.state.finished_version != self._version:
            self._version = self.state.finished_version
            self._invalidate()

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, rows = box_size(size)
        points = self.state.chart_points()
        self.log_scale = wants_log_scale(scaled_losses(points))
        chart = draw_chart(points, self.state.best_series(), cols, rows, self.log_scale)
        markup = [_chart_markup(line, chart.label_width) for line in chart.lines]
        texts = [urwid.Text(m, wrap="clip").render((cols,)) for m in markup]
        return urwid.CanvasCombine([(c, None, False) for c in texts])


_CHART_ATTRS = {POINT: "point", STOPPED: "stopped", KILLED: "killed", NO_LOSS: "failed"}


def _chart_markup(line: str, label_width: int) -> list[tuple[str, str]]:
    """Colour a chart line by glyph: axis, points, killed/failed marks, the best line."""
    out: list[tuple[str, str]] = [("axis", line[:label_width])] if label_width else []
    for ch in line[label_width:]:
        if ch in _CHART_ATTRS:
            attr = _CHART_ATTRS[ch]
        elif ch in BEST_GLYPHS and label_width:
            attr = "best line"
        else:
            attr = "axis"
        if out and out[-1][0] == attr:
            out[-1] = (attr, out[-1][1] + ch)
        else:
            out.append((attr, ch))
    return out or [("axis", "")]


# -- the status bar --------------------------------------------------------------------------------
class StatusBar(urwid.WidgetWrap):
    """Search, counts, best, elapsed, ETA, a progress bar and the latest message."""

    def __init__(self) -> None:
        self.title = urwid.Text("")
        self.clock = urwid.Text("", align="right")
        self.counts = urwid.Text("")
        self.progress = ProgressLine()
        self.message = urwid.Text("", wrap="ellipsis")
        self.bottom = urwid.Columns([self.progress])
        self._has_message = False
        super().__init__(
            urwid.Pile(
                [
                    urwid.Columns([self.title, ("pack", self.clock)], dividechars=2),
                    self.counts,
                    self.bottom,
                ]
            )
        )

    def update(self, state: DashboardState, note: str | None = None) -> None:
        """Show ``state``; ``note`` (quitting, errors) takes the place of the latest message."""
        counts = state.counts()
        self.title.set_text(_title_markup(state))
        eta = state.eta()
        clock = f"elapsed {format_duration(state.elapsed())}"
        if eta is not None:
            clock += f"  ETA {format_duration(eta)}"
        self.clock.set_text(("label", clock))
        self.counts.set_text(_counts_markup(state, counts))
        self.progress.show(counts["done"], state.iterations)
        message = note or (state.messages[-1] if state.messages else "")
        attr = "warning" if note else "dim"
        self.message.set_text((attr, message))
        if bool(message) != self._has_message:
            self._has_message = bool(message)
            parts = [self.progress, self.message] if message else [self.progress]
            self.bottom.contents = [(w, self.bottom.options()) for w in parts]


def _title_markup(state: DashboardState) -> list[Any]:
    parts: list[Any] = [("name", state.name or "hypermax")]
    if state.ended:
        parts.append(("best", f"  search ended ({state.end_reason}) — press q to leave"))
        return parts
    parts += [("label", f"  {state.method}"), ("dim", f"  parallel {state.parallel}")]
    if state.paused:
        parts.append(("warning", "  PAUSED (p resumes)"))
    return parts


def _counts_markup(state: DashboardState, counts: dict[str, int]) -> list[Any]:
    parts: list[Any] = [
        ("name", f"{counts['done']}/{state.iterations}"),
        " done  ",
        ("running", f"{counts['running']} running"),
    ]
    for key in ("failed", "killed", "stopped"):
        parts += ["  ", (key if counts[key] else "dim", f"{counts[key]} {key}")]
    if counts.get("interrupted"):
        parts += ["  ", ("interrupted", f"{counts['interrupted']} interrupted")]
    best = state.best
    if best is not None:
        parts += ["   best ", ("best", format_loss(best.loss)), ("dim", f" (trial {best.id})")]
    else:
        parts += ["   best ", ("dim", "-")]
    return parts


# -- panels ----------------------------------------------------------------------------------------
def running_item(row: RunningRow, short: dict[str, str] | None = None) -> Item:
    """One running trial: id, elapsed, RSS, CPU, its last report; params unlike the best below.

    ``short`` maps flat param names to the shorter names shown.
    """
    parts: list[Any] = [("running", f"#{row.trial_id}"), f"  {format_duration(row.elapsed)}"]
    if row.rss_mib is not None:
        parts.append(f"  {row.rss_mib:.0f} MiB")
    if row.cpu_percent is not None:
        parts.append(f"  CPU {row.cpu_percent:.0f}%")
    if row.last_report:
        report = dict(row.last_report)
        step = report.pop("step", None)
        text = f"step {step}" + "".join(f" {k}={format_value(v)}" for k, v in report.items())
        parts.append(("label", f"  {text}"))
    short = short or {}
    detail = "  ".join(
        f"{short.get(name, name)}={format_value(value)}"
        + ("" if best is None else f" (best {format_value(best)})")
        for name, value, best in row.differs
    )
    return Item(parts, ("dim", detail) if detail else None)


def short_names(names: Iterable[str]) -> dict[str, str]:
    """Each dotted name's shortest tail that no other name shares: ``optimizer.lr`` → ``lr``."""
    names = list(dict.fromkeys(names))
    parts = {name: name.split(".") for name in names}
    out = {}
    for name in names:
        for length in range(1, len(parts[name]) + 1):
            tail = parts[name][-length:]
            if not any(o != name and parts[o][-length:] == tail for o in names):
                out[name] = ".".join(tail)
                break
        else:
            out[name] = name
    return out


def best_markups(best: Trial | None) -> list[Any]:
    """The best trial's loss, metrics and every param."""
    if best is None:
        return [("dim", "no trial with a loss yet")]
    rows: list[Any] = [[("best", f"loss {format_loss(best.loss)}"), ("dim", f"  trial {best.id}")]]
    flat = flatten(best.params)
    width = min(28, max((len(n) for n in flat), default=0))
    for name, value in flat.items():
        rows.append([("label", name.ljust(width)), "  ", format_value(value)])
    for name, value in best.metrics.items():
        if name != "loss":
            rows.append([("dim", f"{name} = {format_value(value)}")])
    return rows


def ranking_markups(
    ranking: Sequence[ParamRelation],
    finished: int,
    needed: int,
    short: dict[str, str] | None = None,
) -> list[Any]:
    """Params by ``|rho|`` with a bar; enums name the value with the lowest mean loss.

    ``short`` maps flat names to the shorter ones shown (cut to ``RANKED_NAME_WIDTH``).
    """
    if not ranking:
        if finished < needed:
            return [("dim", f"needs {needed} trials with a loss ({finished} so far)")]
        return [("dim", "no param varies yet")]
    names = {r.name: _cut((short or {}).get(r.name, r.name), RANKED_NAME_WIDTH) for r in ranking}
    width = max(len(name) for name in names.values())
    rows: list[Any] = []
    for relation in ranking:
        cells = round(abs(relation.rho) * BAR_CELLS)
        row: list[Any] = [
            ("label", names[relation.name].ljust(width)),
            f" {relation.rho:+.2f} ",
            ("bar", "█" * cells),
            ("dim", "·" * (BAR_CELLS - cells)),
        ]
        if relation.kind == "enum":
            row.append(("dim", f" best {format_value(relation.best_value)}"))
        rows.append(row)
    return rows


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def trial_markup(trial: Trial, short: dict[str, str] | None = None) -> list[Any]:
    """A trials-table row: id, state, loss, time, params (under ``short`` names if given)."""
    state = trial.state.value
    flat = flatten(trial.params)
    if short:
        flat = {short.get(name, name): value for name, value in flat.items()}
    return [
        f"{trial.id:>5} ",
        (state, f"{state:<11}"),
        f"{format_loss(trial.loss):>11} ",
        ("dim", f"{format_duration(trial.time) if trial.time is not None else '-':>7}  "),
        format_params(flat),
    ]


TABLE_HEADER = f"{'trial':>5} {'state':<11}{'loss':>11} {'time':>7}  params"


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
            self._names.update(dict.fromkeys(flatten(trial.params)))
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
            row = selectable_row(trial_markup(trial, self.short), trial.id, wrap="clip")
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
        header = urwid.Text(("label", TABLE_HEADER), wrap="clip")
        body: urwid.Frame[Any, Any, Any] = urwid.Frame(self.listbox, header=header)
        super().__init__("trials", "trials", body)

    def update(self, state: DashboardState) -> None:
        """Show the state's trials in the current order."""
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


def trial_detail_markups(trial: Trial, best: Trial | None, log_tail: Sequence[str]) -> list[Any]:
    """Everything about one trial: state and reason, loss and its terms, metrics, params, log."""
    rows: list[Any] = [
        [("name", f"trial {trial.id}"), "  ", (trial.state.value, trial.state.value)]
        + ([("best", "  (best so far)")] if best is not None and best.id == trial.id else []),
    ]
    if trial.reason:
        rows.append([("label", "reason  "), ("warning", trial.reason)])
    rows.append([("label", "loss    "), ("best", format_loss(trial.loss))])
    facts = [
        ("time", format_duration(trial.time) if trial.time is not None else "-"),
        ("cpu", format_duration(trial.cpu_time) if trial.cpu_time is not None else "-"),
        ("peak RSS", "-" if trial.peak_rss_mib is None else f"{trial.peak_rss_mib:.0f} MiB"),
    ]
    rows.append([("label", "ran     "), "   ".join(f"{k} {v}" for k, v in facts)])
    sections: list[tuple[str, dict[str, Any]]] = [
        ("loss terms", trial.loss_terms),
        ("metrics", trial.metrics),
        ("params", flatten(trial.params)),
        ("metadata", trial.metadata),
    ]
    for title, values in sections:
        if not values:
            continue
        rows.append("")
        rows.append(("title", title))
        width = min(32, max(len(str(k)) for k in values))
        for name, value in values.items():
            rows.append([("label", f"  {str(name).ljust(width)}"), "  ", format_value(value)])
    if trial.attachments:
        rows += ["", ("title", "files"), *[f"  {name}" for name in trial.attachments]]
    if trial.reports:
        rows += ["", ("title", f"reports ({len(trial.reports)}, last 5)")]
        rows += [f"  {format_params(report)}" for report in trial.reports[-5:]]
    rows += ["", ("title", "log (tail)"), *[("dim", line) for line in log_tail]]
    return rows


HELP_ROWS: list[Any] = [
    ("title", "keys"),
    "  q        quit: asks y to confirm; running trials are killed, the journal is kept",
    "  p        pause / resume launching new trials (running ones go on)",
    "  e        write results.csv and best.json now",
    "  Tab      next panel (Shift-Tab: previous); arrows move between and inside panels",
    "  Enter    open the focused trial: params, metrics, loss terms, log",
    "  s / r    sort the trials table by loss or id / reverse it",
    "  Esc      close a window",
    "  ?        this help",
    "",
    ("title", "the chart"),
    f"  {POINT} a trial's loss   {STOPPED} stopped early   {KILLED} killed (at the top edge "
    "when its loss is off the scale)",
    f"  {NO_LOSS} on the x axis: a trial that failed or was killed without a loss",
    "  the line is the best loss so far; the scale turns logarithmic when losses span decades",
    "",
    ("dim", "press any key to close"),
]


# -- the whole screen ------------------------------------------------------------------------------
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
            self.actions.request(Command.TOGGLE_PAUSE)
        elif key == "e":
            self.actions.request(Command.EXPORT)
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
