"""The dashboard's building blocks: list rows, titled panels and the loss chart, drawn from a
:class:`~hypermax.ui.state.DashboardState` (the status lines are in ``hypermax.ui.status``).

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
from hypermax.ui.formatting import columns

if TYPE_CHECKING:
    from hypermax.ui.state import DashboardState

#: A widget size as urwid passes it: ``()``, ``(cols,)`` or ``(cols, rows)``.
Size: TypeAlias = "tuple[()] | tuple[int] | tuple[int, int]"
Wrap: TypeAlias = Literal["space", "any", "clip", "ellipsis"]

#: Each entry: name, foreground, background, and what a terminal without colours shows
#: (NO_COLOR set, or a monochrome TERM): there, the focused row, the progress bar's done part
#: and the footer are in reverse video, so that they still show. Text on the terminal's own
#: background is never white nor light gray, which a light background hides (the search's
#: name, the params' names, the clock): it is in the terminal's own colour (bold) instead. Nor is it
#: dark gray, which a dark background hides (Solarized Dark's is that colour: the borders, the
#: chart's axis, the dimmed text and the log tail were gone there): dimmed text is the terminal's
#: own colour, faint, and the borders are in the terminal's own colour.
PALETTE: list[tuple[str, str, str, str]] = [
    ("body", "default", "default", "default"),
    ("border", "default", "default", "default"),
    ("border focus", "light cyan", "default", "bold"),
    ("title", "default,bold", "default", "bold"),
    ("name", "default,bold", "default", "bold"),
    ("dim", "default,faint", "default", "default"),
    ("label", "default", "default", "default"),
    ("ok", "light green", "default", "default"),
    ("failed", "light red", "default", "default"),
    ("killed", "light magenta", "default", "default"),
    ("stopped", "yellow", "default", "default"),
    ("running", "light cyan", "default", "default"),
    ("interrupted", "default,faint", "default", "default"),
    ("imported", "default", "default", "default"),
    ("best", "light green,bold", "default", "bold"),
    ("warning", "yellow,bold", "default", "bold"),
    ("error", "light red,bold", "default", "bold"),
    ("point", "light blue", "default", "default"),
    ("best line", "light green", "default", "default"),
    ("axis", "default,faint", "default", "default"),
    ("bar", "light blue", "default", "default"),
    ("pb normal", "light gray", "dark gray", "default"),
    ("pb complete", "black", "dark cyan", "standout"),
    ("selected", "black", "light cyan", "standout"),
    ("footer", "black", "light gray", "standout"),
    ("key", "dark blue,bold", "light gray", "standout,bold"),
    ("dialog", "white", "dark blue", "standout"),
    ("dialog key", "yellow,bold", "dark blue", "standout,bold"),
]
#: What a terminal whose encoding lacks the dashboard's glyphs (an ASCII locale) shows in their
#: place, rather than urwid's ``?`` for each: a trial's point and a failed trial's mark looked
#: alike, and so did the bars, the curves, the arrows and the key that opens a trial. A box or
#: line character is drawn from the terminal's line-drawing set (``┐``, ``└``), as urwid draws
#: the boxes.
ASCII_FALLBACKS: dict[str, str] = {
    POINT: "*",
    STOPPED: "o",
    KILLED: "x",
    NO_LOSS: "X",
    "╮": "┐",
    "╰": "└",
    **dict(zip("▁▂▃▄▅▆▇█", "_.-~=+*#", strict=True)),
    "…": "~",
    "—": "-",
    "↑": "^",
    "↓": "v",
    "→": ">",
    "↵": "<",
}


def use_ascii_fallbacks() -> None:
    """Have urwid draw :data:`ASCII_FALLBACKS` where the terminal's encoding lacks a glyph (an
    urwid without ``set_ascii_fallbacks`` draws ``?``)."""
    setter = getattr(urwid, "set_ascii_fallbacks", None)
    if setter is not None:
        setter(ASCII_FALLBACKS)


#: A focused row is drawn in one colour whatever its parts were.
SELECTED: dict[Hashable, Hashable] = {entry[0]: "selected" for entry in PALETTE}
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
        """Redraw on the next render if another trial finished; :attr:`log_scale` says at once
        whether that draw is logarithmic (the panel's title, set before it, says so)."""
        if self.state.finished_version != self._version:
            self._version = self.state.finished_version
            self.log_scale = wants_log_scale(scaled_losses(self.state.chart_points()))
            self._invalidate()

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        cols, rows = box_size(size)
        points = self.state.chart_points()
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
