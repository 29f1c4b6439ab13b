"""The dashboard's status lines: the title and clock, the counts, the progress bar and the
latest message, each fitted to the terminal's width by :class:`FittingText` (which the footer
uses too), drawn from a :class:`~hypermax.ui.state.DashboardState`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import urwid

from hypermax.ui.formatting import columns, eta_text, format_duration, format_loss, one_line
from hypermax.ui.widgets import Size, cut

if TYPE_CHECKING:
    from hypermax.ui.state import DashboardState

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


#: The progress bar's least width beside a message (at most half the line): the message takes
#: the rest of the line, as much as it needs, so that its numbers are not cut.
MIN_BAR_COLUMNS = 20


class BarAndMessage(urwid.Columns):
    """The progress bar and, beside it, the latest message: the message takes the room it needs,
    the bar shrinks to make it, down to ``MIN_BAR_COLUMNS`` (half of a narrower line); without
    a message, the bar takes the whole line."""

    def __init__(self, progress: ProgressLine, message: urwid.Text) -> None:
        super().__init__([progress, message], dividechars=1)
        self.message = message

    def column_widths(
        self,
        size: tuple[int] | tuple[int, int],
        focus: bool = False,
    ) -> list[int]:
        """``[bar, message]``: the message as wide as it is, the bar at least its least width."""
        cols = size[0]
        need = columns(str(self.message.text))
        if not need or cols < 3:
            return [cols, 0]
        least = min(MIN_BAR_COLUMNS, (cols - 1) // 2)
        bar = max(least, cols - 1 - need)
        return [bar, cols - 1 - bar]


class StatusBar(urwid.WidgetWrap):
    """Search, counts, best, elapsed, ETA, a progress bar and the latest message."""

    def __init__(self) -> None:
        self.title = FittingText()
        self.counts = FittingText()
        self.progress = ProgressLine()
        self.message = urwid.Text("", wrap="ellipsis")
        self.bottom = BarAndMessage(self.progress, self.message)
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
            clocks = [f"{clock}  {eta_text(eta)}" for clock in clocks]
        titles = [_title_markup(state, brief) for brief in range(BRIEFER_TITLES)]
        name = state.name or "hypermax"
        cut_titles = [
            _title_markup(state, BRIEFER_TITLES - 1, width)
            for width in CUT_NAME_WIDTHS
            if columns(name) > width
        ]
        self.title.set_variants(
            [(parts, gap, ("label", clock)) for clock in clocks for parts, gap in titles]
            + [(parts, gap, ("label", clock)) for parts, gap in cut_titles for clock in clocks]
            + titles
        )
        self.counts.set_variants(
            [_counts_markup(state, counts, brief) for brief in range(BRIEFER_COUNTS)]
        )
        self.progress.show(counts["done"], state.iterations)
        # one row, whatever a warning quotes (an exception's lines, an escape sequence)
        message = one_line(note or state.status_message())
        attr = "warning" if note else "dim"
        self.message.set_text((attr, message))


#: How many forms the title has: whole; with single spaces; then without ``parallel N`` (and with
#: a shorter pause note, ``brief`` 0, 1, 2 of :func:`_title_markup`).
BRIEFER_TITLES = 3
#: The widths a search's name is cut to, ending in ``…``, where the title leaves no room for the
#: clock: a long name had the elapsed time and the ETA come and go as their digits changed.
CUT_NAME_WIDTHS = (40, 24, 12)


def _title_markup(
    state: DashboardState, brief: int = 0, name_width: int | None = None
) -> tuple[list[Any], str]:
    """The title's parts and the text between them; ``name_width``: the search's name cut to
    that many columns."""
    gap = "  " if brief < 1 else " "
    name = state.name or "hypermax"
    parts: list[Any] = [("name", name if name_width is None else cut(name, name_width))]
    if state.ended:
        ended = f"search ended ({one_line(state.end_reason or '')})"
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
