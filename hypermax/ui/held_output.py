"""What would tear the dashboard's screen, held while the UI owns the terminal: hypermax's log
(to the status line, printed once the terminal is back) and what Python code writes to
``sys.stdout`` and ``sys.stderr``."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

from hypermax import events as ev
from hypermax.search_log import handled_by
from hypermax.ui.formatting import one_line
from hypermax.ui.reporter import DashboardReporter


# -- the log while the UI owns the terminal -----------------------------------------------------
class CollectLogs(logging.Handler):
    """While the UI owns the terminal: warnings go to the status line and are kept for later.

    They are printed, one line each, once the terminal is back.
    """

    def __init__(self, reporter: DashboardReporter) -> None:
        super().__init__(logging.WARNING)
        self.reporter = reporter
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        text = one_line(text)  # a message of several lines (an exception's) stays on one
        self.lines.append(f"hypermax: {record.levelname.lower()}: {text}")
        self.reporter.handle(ev.Message(text))


class HeldOutput:
    """While the UI owns the terminal: what Python code writes to ``sys.stdout`` and
    ``sys.stderr`` (a plugin optimizer's ``print``, a library's progress) is held, since it
    would tear the screen, and written out once the terminal is back. The screen keeps the
    streams it was made with."""

    def __init__(self) -> None:
        self._streams: tuple[Any, Any] | None = None
        self._buffers = (io.BytesIO(), io.BytesIO())
        self._held = tuple(
            io.TextIOWrapper(buffer, encoding="utf-8", errors="backslashreplace")
            for buffer in self._buffers
        )

    def hold(self) -> None:
        self._streams = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self._held

    def release(self) -> None:
        """Give the streams back and write what they were sent meanwhile (once)."""
        if self._streams is None:
            return
        streams, self._streams = self._streams, None
        sys.stdout, sys.stderr = streams
        for held, buffer, stream in zip(self._held, self._buffers, streams, strict=True):
            held.flush()
            text = buffer.getvalue().decode("utf-8", "replace")
            if text and stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.write(text)
                    stream.flush()


@contextlib.contextmanager
def logs_to(handler: logging.Handler) -> Iterator[None]:
    """While inside, hypermax's log goes to ``handler`` only (stderr would tear the screen), and
    so do Python's warnings, one line each."""
    logger = logging.getLogger("hypermax")
    propagate = logger.propagate
    logger.propagate = False
    try:
        with handled_by(handler):
            yield
    finally:
        logger.propagate = propagate
