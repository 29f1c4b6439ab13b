"""The dashboard's windows over its panels: the help (:data:`HELP_ROWS`) and the quit
confirmation; :func:`window_box` frames any of them."""

from __future__ import annotations

from typing import Any

import urwid

from hypermax.ui.chart import KILLED, NO_LOSS, POINT, STOPPED

#: The help: titles, and rows of a key (or a glyph) and what it does, which wraps under itself.
HELP_ROWS: list[Any] = [
    ("title", "keys"),
    (
        "q",
        "quit: asks y to confirm; running trials are killed, the journal is kept (once the"
        " search ended: leave, at once)",
    ),
    ("p", "pause / resume launching new trials (running ones go on), while the search runs"),
    ("e", "write results.csv and best.json now"),
    ("Tab", "next panel (Shift-Tab: previous); arrows move between and inside panels"),
    ("Enter", "open the focused trial: params, metrics, loss terms, log"),
    ("s / r", "sort the trials table by loss or id / reverse it"),
    ("Esc", "close a window"),
    ("?", "this help"),
    "",
    ("title", "the chart"),
    (POINT, "a trial's loss"),
    (STOPPED, "stopped early"),
    (KILLED, "killed (at the top edge when its loss is off the scale)"),
    (NO_LOSS, "on the x axis: a trial without a loss (failed, killed, stopped)"),
    ("─", "the best loss so far; the scale turns logarithmic when losses span decades"),
    "",
    ("title", "early stopping"),
    (
        "running",
        "the losses the policy weighed, against the median or the rung's cutoff (> worse, ≤ as "
        "good or better)",
    ),
    ("stopped@N", "in the table: stopped after its step N"),
    "",
    ("dim", "↑ ↓ PgUp PgDn scroll; any other key closes"),
]
#: The keys that scroll the help instead of closing it.
SCROLL_KEYS = frozenset(["up", "down", "page up", "page down", "home", "end"])
HELP_KEY_COLUMNS = 13


def help_rows() -> list[Any]:
    """The help's rows as widgets: a key, and what it does wrapped under itself."""
    rows: list[Any] = []
    for row in HELP_ROWS:
        if isinstance(row, tuple) and row[0] not in ("title", "dim"):
            key, text = row
            rows.append(
                urwid.Columns([(HELP_KEY_COLUMNS, urwid.Text(f"  {key}")), urwid.Text(text)])
            )
        else:
            rows.append(urwid.Text(row))
    return rows


def window_box(title: str, body: urwid.Widget | list[Any]) -> urwid.Widget:
    """A window titled ``title`` around ``body`` (a list of rows scrolls)."""
    if isinstance(body, list):
        body = urwid.ListBox(urwid.SimpleFocusListWalker(body))
    box = urwid.LineBox(urwid.AttrMap(body, "body"), title=title, title_align="left")
    return urwid.AttrMap(box, "border focus")


def confirm_box() -> urwid.Widget:
    """The window that asks to confirm quitting the search."""
    text = urwid.Text(
        [
            "Quit the search now?\n",
            ("dialog key", "y"),
            " quit    ",
            ("dialog key", "any other key"),
            " keep going\n\n",
            "Running trials are killed; finished ones stay in the journal.",
        ]
    )
    box = urwid.LineBox(urwid.Padding(text, left=1, right=1), title="quit")
    return urwid.AttrMap(box, "dialog")
