"""Keeps a drawing or key-handling error of the dashboard from ending the search."""

from __future__ import annotations

import logging
import time
from typing import ClassVar

import urwid

from hypermax.ui.view import DashboardView
from hypermax.ui.widgets import Size, box_size

log = logging.getLogger("hypermax")

#: Consecutive failed draws after which the console reporter takes over.
MAX_RENDER_FAILURES = 3


class DashboardBroken(RuntimeError):
    """The dashboard cannot run (no terminal) or failed to draw too many times in a row."""


class Guard(urwid.WidgetWrap):
    """Keeps a drawing or key-handling error from ending the search.

    A failed draw is logged and replaced by a line saying so; after ``MAX_RENDER_FAILURES`` in a
    row it raises :class:`DashboardBroken`, which ends the UI (the console takes over).

    A new size empties urwid's cache of drawn widgets: a widget drawn at the old size (the
    terminal made a line high, then large again) let a canvas of the new size stay cached
    without the link that redraws it when what it shows changes, and the dashboard stood still.
    """

    no_cache: ClassVar[list[str]] = ["render"]  # each draw looks at the size first

    def __init__(self, view: DashboardView) -> None:
        super().__init__(view)
        self.view = view
        self.failures = 0
        self.failed_last = False
        #: this thread's CPU time the last draw took (seconds)
        self.render_seconds = 0.0
        self._size: Size | None = None

    def selectable(self) -> bool:
        return True

    def render(self, size: Size, focus: bool = False) -> urwid.Canvas:
        if size != self._size:
            urwid.CanvasCache.clear()
            self._size = size
        began = time.thread_time()
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
        finally:
            self.render_seconds = time.thread_time() - began
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
