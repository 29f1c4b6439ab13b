"""urwid's screen on the terminal: taken only in the terminal's foreground, sized and coloured
as the terminal can show."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

import urwid

from hypermax.execution.process_start import run_briefly
from hypermax.interrupts import in_foreground

#: Plain colours, then the whole screen erased (in them: a coloured erase paints the screen).
CLEAR_SCREEN = "\x1b[0m\x1b[2J"


class TerminalScreen(urwid.display.raw.Screen):
    """urwid's screen on the terminal, which it takes only while hypermax is in the terminal's
    foreground. In the background (Ctrl-Z then ``bg``, or started with ``&``) the screen stays
    stopped and the search goes on, trials watched, without drawing: setting the terminal's
    modes from there stops the process (SIGTTOU), as it stopped hypermax, its trials continued
    by ``bg`` running on unwatched. :attr:`away` tells the session to start it once hypermax is
    in the foreground again (``fg``)."""

    away = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.colors > 1 and _without_colours(os.environ):
            self.set_terminal_properties(colors=1)  # the palette's reverse video, as NO_COLOR

    def start(self, *args: Any, **kwargs: Any) -> urwid.util.StoppingContext:
        fd = self._input_fileno()
        if not self.started and fd is not None and not in_foreground(fd):
            self.away = True
            return urwid.util.StoppingContext(self)
        self.away = False
        return super().start(*args, **kwargs)

    def _stop(self) -> None:
        """Give the terminal back, the alternate screen emptied first: tmux, leaving an
        alternate screen that grew while it was shown (the window made larger), put rows of the
        last frame above the shell's lines, as many as it grew by."""
        if getattr(self, "_alternate_buffer", False) and self.modes.alternate_buffer is not False:
            self.write(CLEAR_SCREEN)
        super()._stop()

    def get_cols_rows(self) -> tuple[int, int]:
        """The terminal's size. A terminal that tells none (0 by 0: a serial console, a
        container's terminal before it was given one) is taken as ``COLUMNS`` by ``LINES``,
        else as 80 by 24, as ``shutil.get_terminal_size`` takes it: urwid drew nothing on it,
        not even the line that says the search ended and how to leave."""
        cols, rows = super().get_cols_rows()
        if cols <= 0 or rows <= 0:
            cols, rows = _size_from_environment("COLUMNS", 80), _size_from_environment("LINES", 24)
            self.maxrow = rows
        return cols, rows


def _without_colours(environ: Mapping[str, str]) -> bool:
    """Whether the terminal ``TERM`` names shows no colours, as its terminfo entry tells
    (``vt100``, ``vt220``, ``xterm-mono``): urwid goes by the name and draws them in 16 colours,
    which left the selected row and the progress bar looking like the rest. ``FORCE_COLOR`` or
    ``CLICOLOR_FORCE`` keeps the colours; a terminal without an entry keeps urwid's guess."""
    term = environ.get("TERM", "")
    if not term or environ.get("FORCE_COLOR") or environ.get("CLICOLOR_FORCE"):
        return False
    try:  # tput, not curses: a process's curses reads one entry, the first it was asked for
        found = run_briefly(["tput", "-T", term, "colors"], 5)
        return found.exit_code == 0 and int(found.output) < 8  # -1: the entry has no colours
    except (OSError, ValueError, subprocess.SubprocessError):  # no tput: urwid's guess
        return False


def _size_from_environment(name: str, default: int) -> int:
    """The positive whole number the environment variable ``name`` holds, else ``default``."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default
