"""``logs/hypermax.log``: where hypermax's own warnings and errors, and Python's, go while a
search runs."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypermax.errors import is_disk_full
from hypermax.results.lock import held_here
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
def log_to_file(path: Path) -> Iterator[Callable[[], Path | None]]:
    """While inside, warnings and errors of the ``hypermax`` logger (and of :data:`TOLD`), and
    Python's warnings, are appended to ``path``, ``logs/hypermax.log`` of a results folder: of
    that folder wherever it is (it may be moved aside while the search runs, and another
    hypermax make a folder of its own at its path), or of the one at its path when this process
    made it again there. Gives a function that tells which ``logs`` folder that is now (None
    when the results folder was deleted): where else this search may write to its log."""
    try:
        handler = _LogFileHandler(path, delay=True, encoding="utf-8", errors="backslashreplace")
    except OSError:
        yield lambda: None
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    try:
        with handled_by(handler):
            yield handler.folder
    finally:
        handler.close()


def _same_folder(path: Path, fd: int) -> bool:
    """Whether the folder at ``path`` is the one open as ``fd``."""
    there, own = os.stat(path), os.fstat(fd)
    return (there.st_dev, there.st_ino) == (own.st_dev, own.st_ino)


class _LogFileHandler(logging.FileHandler):
    """``hypermax.log``: a record that cannot be written (a full disk, the results folder
    deleted while the search ran) is dropped, rather than printed as a "Logging error"
    traceback over the user's terminal or raised into the search; a ``logs`` folder deleted
    while the search ran is made again. The file is opened at the first record, in the results
    folder the search started in (held open here from the start: moved aside, it is found where
    it went), or in the one at its path when that is another that this process locked (made
    again after the search's was moved aside or deleted): never in another hypermax's."""

    def __init__(self, path: Path, **options: Any) -> None:
        self._results = Path(os.path.abspath(path.parent.parent))
        self._inside = path.relative_to(path.parent.parent)  # logs/hypermax.log
        self._started_in = os.open(self._results, os.O_RDONLY | os.O_DIRECTORY)
        super().__init__(path, **options)

    def _open(self) -> Any:
        return self._open_in(self._place())

    def folder(self) -> Path | None:
        """The ``logs`` folder the records go to now; None when the results folder was deleted
        (or where it went cannot be told)."""
        self.acquire()  # the folder's descriptor is not closed under it (see close)
        try:
            place = self._place()
            logs = Path(self.baseFilename).parent
            if place is None or _same_folder(self._results, place):
                return logs
            found = os.readlink(f"/proc/self/fd/{place}")
        except (OSError, ValueError):
            return None
        finally:
            self.release()
        return None if found.endswith(" (deleted)") else Path(found) / self._inside.parent

    def _place(self) -> int | None:
        """The results folder the records go to: the one the search started in, open here,
        wherever it is now; None for the one at its path (made again by this search). Raises
        FileNotFoundError when it was deleted."""
        there: os.stat_result | None
        try:
            there = os.stat(self._results)
        except OSError:
            there = None
        own = os.fstat(self._started_in)
        if there is not None and (there.st_dev, there.st_ino) == (own.st_dev, own.st_ino):
            return self._started_in  # where it started, at its path yet
        if there is not None and held_here(self._results):
            return None  # made again by this search
        if own.st_nlink:
            return self._started_in  # moved aside: another's, or none, at its path
        raise FileNotFoundError(f"{self._results}: deleted")  # the record is dropped

    def _open_in(self, folder: int | None) -> Any:
        """The log file, opened for appending, in the results folder open as ``folder`` (None:
        the one at its path); its ``logs`` folder made again when it was deleted."""
        name = Path(self.baseFilename) if folder is None else self._inside
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, 0o666, dir_fd=folder)
        except FileNotFoundError:
            os.mkdir(name.parent, dir_fd=folder)
            fd = os.open(name, flags, 0o666, dir_fd=folder)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except OSError:  # opening the file, which a FileHandler does outside its own guard
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handleError(record)

    def close(self) -> None:
        # under the handler's lock, which an emit holds: one in another thread (that took the
        # handler before it was removed) could otherwise open the file in the folder of
        # another descriptor that reused the number of the folder's, closed meanwhile
        self.acquire()
        try:
            super().close()
        except OSError as exc:  # the last records could not be flushed
            if not is_disk_full(exc):
                raise
        finally:
            with contextlib.suppress(OSError):
                os.close(self._started_in)
            self._started_in = -1
            self.release()
