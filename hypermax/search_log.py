"""``logs/hypermax.log``: where hypermax's own warnings and errors, and Python's, go while a
search runs."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypermax.errors import is_disk_full
from hypermax.warnings_log import warnings_logged

#: the notes hypermax tells the user on its console or dashboard as well (a preload server it
#: cannot use, :meth:`~hypermax.execution.launch.Launcher.say`): hypermax's own handlers (its log
#: file, the dashboard's) take them; a program's (``hypermax.optimize`` called by a program that
#: configured logging) do not, which would show a line the console shows already
TOLD = logging.getLogger("hypermax.told")


def hypermax_loggers() -> tuple[logging.Logger, logging.Logger]:
    """The loggers that hypermax's own handlers go on: ``hypermax``, and :data:`TOLD`, which
    keeps its records to them (again at each search: ``logging.config.dictConfig`` of a
    ``hypermax`` logger lets its children propagate)."""
    TOLD.propagate = False
    return logging.getLogger("hypermax"), TOLD


@contextlib.contextmanager
def handled_by(handler: logging.Handler) -> Iterator[None]:
    """While inside, ``handler`` takes the records of :func:`hypermax_loggers`, and Python's
    warnings, one line each, through the ``hypermax`` logger."""
    for each in hypermax_loggers():
        each.addHandler(handler)
    try:
        with warnings_logged(logging.getLogger("hypermax")):
            yield
    finally:
        for each in hypermax_loggers():
            each.removeHandler(handler)


@contextlib.contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """While inside, warnings and errors of the ``hypermax`` logger (and of :data:`TOLD`), and
    Python's warnings, are appended to ``path``."""
    try:
        handler: logging.Handler = _LogFileHandler(
            path, delay=True, encoding="utf-8", errors="backslashreplace"
        )
    except OSError:
        yield
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    try:
        with handled_by(handler):
            yield
    finally:
        handler.close()


class _LogFileHandler(logging.FileHandler):
    """``hypermax.log``: a record that cannot be written (a full disk, the results folder
    deleted while the search ran) is dropped, rather than printed as a "Logging error"
    traceback over the user's terminal or raised into the search; a ``logs`` folder deleted
    while the search ran is made again."""

    def _open(self) -> Any:
        try:
            return super()._open()
        except FileNotFoundError:
            Path(self.baseFilename).parent.mkdir(exist_ok=True)
            return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except OSError:  # opening the file, which a FileHandler does outside its own guard
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handleError(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last records could not be flushed
            if not is_disk_full(exc):
                raise
