"""The dashboard's building blocks: list rows, titled panels, the progress line, the loss chart
and the status bar, drawn from a :class:`~hypermax.ui.state.DashboardState`.

Nothing here touches the terminal, the driver or threads: every widget renders with
``widget.render(size)``, so tests draw it without a terminal.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import urwid

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
from hypermax.ui.formatting import columns, format_duration, format_loss

if TYPE_CHECKING:
    from hypermax.ui.state import DashboardState

#: A widget size as urwid passes it: ``()``, ``(cols,)`` or ``(cols, rows)``.
Size: TypeAlias = "tuple[()] | tuple[int] | tuple[int, int]"
Wrap: TypeAlias = Literal["space", "any", "clip", "ellipsis"]

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
#: A wrapping list entry narrower than this shows one line per part.
COMPACT_COLUMNS = 50


def box_size(size: Size) -> tuple[int, int]:
    """``(cols, rows)`` of the size urwid gives a box widget."""
    if len(size) != 2:
        raise ValueError(f"a box widget is drawn at (cols, rows), not {size!r}")
    return size[0], size[1]


def cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ending in ``…`` when cut."""
    if columns(text) <= width:
        return text
    end, _ = urwid.str_util.calc_text_pos(text, 0, len(text), width - 1)
    return text[:end] + "…"


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
    """The progress bar with ``done/total trials  N%`` written on it; on a narrow bar, the
    longest of ``done/total  N%`` and ``done/total`` that fits."""

    def __init__(self) -> None:
        super().__init__("pb normal", "pb complete")
        self.labels = [""]
        self._cols = 0

    @property
    def label(self) -> str:
        """The label the bar shows at its width."""
        return next((t for t in self.labels if columns(t) <= self._cols), self.labels[-1])

    def get_text(self) -> str:
        return self.label

    def render(
        self,
        size: tuple[int],  # type: ignore[override]  # a flow widget, as urwid's own says
        focus: bool = False,
    ) -> urwid.TextCanvas:
        if size[0] != self._cols:
            self._cols = size[0]
            self._invalidate()
        return super().render(size, focus)

    def show(self, done: int, total: int) -> None:
        """Fill to ``done`` of ``total``."""
        count, percent = f"{done}/{total}", f"{0 if total <= 0 else 100 * done // total}%"
        labels = [f"{count} trials  {percent}", f"{count}  {percent}", count]
        if (done, total, labels) != (self.current, self.done, self.labels):
            self.labels = labels
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
#: A :class:`FittingText` variant: its parts, the text between two, and what is set flush right.
Variant: TypeAlias = "tuple[list[Any], str] | tuple[list[Any], str, Any]"
#: The least space between a :class:`FittingText`'s parts and what is set flush right.
RIGHT_GAP = 2


class FittingText(urwid.Widget):
    """Text that shows, of its variants (fullest first), the first that fits its width on one
    line; when none does, the last is broken into lines between its parts, never inside one. A
    line cut between a count and its word (``2 killed  0`` / ``stopped``) reads worse than one
    that leaves out what matters least.

    A variant is a list of parts, each the text markup of something that stays on one line
    (``2 running``, ``best 0.03 (#5)``), the text put between two parts on one line, and
    optionally markup set flush right, at least ``RIGHT_GAP`` columns after them (the clock).
    With ``one_line``, the last variant is cut to one line, ending in ``…``, instead."""

    _sizing = frozenset([urwid.Sizing.FLOW])

    def __init__(self, one_line: bool = False) -> None:
        super().__init__()
        self._variants: list[Variant] = [([""], "")]
        self._one_line = one_line
        self._text = urwid.Text("", wrap="ellipsis" if one_line else "space")
        self._shown: tuple[int, int, int] | None = None

    def set_variants(self, variants: list[Variant]) -> None:
        """Show the first of ``variants`` (``(parts, gap[, right])``, fullest first) that fits."""
        self._variants = variants
        self._shown = None
        self._invalidate()

    def _fit(self, size: Size) -> tuple[int]:
        if len(size) != 1:
            raise ValueError(f"a status line is drawn at (cols,), not {size!r}")
        cols = size[0]
        chosen, width = len(self._variants) - 1, 0 if self._one_line else cols
        for i, (parts, gap, *right) in enumerate(self._variants):
            used = sum(map(_width, parts)) + columns(gap) * (len(parts) - 1)
            if used + sum(_width(r) + RIGHT_GAP for r in right) <= cols:
                chosen, width = i, 0  # one line whatever the width
                break
        if (chosen, width, cols) != self._shown:
            self._shown = (chosen, width, cols)
            parts, gap, *right = self._variants[chosen]
            if width:
                self._text.set_text(_broken(parts, gap, width))
            else:
                markup = _joined(parts, gap)
                if right:
                    space = cols - _width(markup) - _width(right[0])
                    markup += [" " * space, right[0]]
                self._text.set_text(markup)
        return (cols,)

    def rows(self, size: Size, focus: bool = False) -> int:
        return self._text.rows(self._fit(size), focus)

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        return urwid.CompositeCanvas(self._text.render(self._fit(size), focus))


def _width(markup: Any) -> int:
    text, _ = urwid.decompose_tagmarkup(markup)
    return columns(str(text))


def _joined(parts: list[Any], gap: str) -> list[Any]:
    out: list[Any] = []
    for i, part in enumerate(parts):
        out += [gap, part] if i else [part]
    return out


def _broken(parts: list[Any], gap: str, cols: int) -> list[Any]:
    """``parts`` joined by ``gap``, a new line started before a part that would pass ``cols``
    (its leading spaces dropped there)."""
    out: list[Any] = []
    used = 0
    for part in parts:
        width = _width(part)
        if used and used + columns(gap) + width > cols:
            out.append("\n")
            used = 0
        if not used:
            part = _lstrip(part)
            width = _width(part)
        elif used:
            out.append(gap)
            width += columns(gap)
        out.append(part)
        used += width
    return out


def _lstrip(markup: Any) -> Any:
    """``markup`` without the spaces it starts with."""
    if isinstance(markup, str):
        return markup.lstrip(" ")
    if isinstance(markup, tuple):
        return (markup[0], _lstrip(markup[1]))
    if isinstance(markup, list) and markup:
        return [_lstrip(markup[0]), *markup[1:]]
    return markup


class StatusBar(urwid.WidgetWrap):
    """Search, counts, best, elapsed, ETA, a progress bar and the latest message."""

    def __init__(self) -> None:
        self.title = FittingText()
        self.counts = FittingText()
        self.progress = ProgressLine()
        self.message = urwid.Text("", wrap="ellipsis")
        self.bottom = urwid.Columns([self.progress], dividechars=1)
        self._has_message = False
        super().__init__(
            urwid.Pile(
                [
                    self.title,
                    self.counts,
                    self.bottom,
                ]
            )
        )

    def update(self, state: DashboardState, note: str | None = None) -> None:
        """Show ``state``; ``note`` (quitting, errors) takes the place of the latest message."""
        counts = state.counts()
        elapsed, eta = format_duration(state.elapsed()), state.eta()
        clocks = [f"elapsed {elapsed}", elapsed]
        if eta is not None:
            clocks = [f"{clock}  ETA {format_duration(eta)}" for clock in clocks]
        titles = [_title_markup(state, brief) for brief in range(BRIEFER_TITLES)]
        self.title.set_variants(
            [(parts, gap, ("label", clock)) for clock in clocks for parts, gap in titles] + titles
        )
        self.counts.set_variants(
            [_counts_markup(state, counts, brief) for brief in range(BRIEFER_COUNTS)]
        )
        self.progress.show(counts["done"], state.iterations)
        message = note or (state.messages[-1] if state.messages else "")
        attr = "warning" if note else "dim"
        self.message.set_text((attr, message))
        if bool(message) != self._has_message:
            self._has_message = bool(message)
            parts = [self.progress, self.message] if message else [self.progress]
            self.bottom.contents = [(w, self.bottom.options()) for w in parts]


#: How many forms the title has: whole; with single spaces; then without ``parallel N`` (and with
#: a shorter pause note, ``brief`` 0, 1, 2 of :func:`_title_markup`).
BRIEFER_TITLES = 3


def _title_markup(state: DashboardState, brief: int = 0) -> tuple[list[Any], str]:
    gap = "  " if brief < 1 else " "
    parts: list[Any] = [("name", state.name or "hypermax")]
    if state.ended:
        ended = f"search ended ({state.end_reason})"
        if brief < 1:
            return [*parts, ("best", f"{ended} — press q to leave")], gap
        return [*parts, ("best", ended), ("best", "— q leaves")], " "
    parts.append(("label", state.method))
    if brief < 2:
        parts.append(("dim", f"parallel {state.parallel}"))
    if state.paused:
        parts.append(("warning", "PAUSED (p resumes)" if brief < 2 else "PAUSED"))
    return parts, gap


#: How many forms the counts line has: whole; without the counts that are 0; then also without
#: its double spaces and the word "trial" (``brief`` 0, 1, 2 of :func:`_counts_markup`).
BRIEFER_COUNTS = 3


def _counts_markup(
    state: DashboardState, counts: dict[str, int], brief: int = 0
) -> tuple[list[Any], str]:
    gap = "  " if brief < 2 else " "
    parts: list[Any] = [
        [("name", f"{counts['done']}/{state.iterations}"), " done"],
        ("running", f"{counts['running']} running"),
    ]
    for key in ("failed", "killed", "stopped", "interrupted"):
        if counts.get(key) or (brief == 0 and key != "interrupted"):
            parts.append((key if counts.get(key) else "dim", f"{counts[key]} {key}"))
    best = state.best
    if best is not None:
        trial = f" (trial {best.id})" if brief < 2 else f" (#{best.id})"
        parts.append([" best ", ("best", format_loss(best.loss)), ("dim", trial)])
    else:
        parts.append([" best ", ("dim", "-")])
    return parts, gap
