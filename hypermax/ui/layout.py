"""The dashboard's two layouts of the same panels, picked by the terminal's width:
:class:`Responsive`."""

from __future__ import annotations

from typing import TypeAlias

import urwid

from hypermax.ui.widgets import Panel, Size, box_size

Layout: TypeAlias = "urwid.Pile | urwid.Columns"
#: Below this width the panels stack in one column; from it on, two columns.
WIDE_COLUMNS = 120
PANEL_ORDER = ("trials", "running", "best", "params")


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


def pile(*parts: tuple[int, urwid.Widget]) -> urwid.Pile:
    """Stack ``(weight, widget)`` parts, each taking rows by its weight."""
    return urwid.Pile([("weight", weight, widget) for weight, widget in parts])
