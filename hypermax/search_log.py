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


@contextlib.contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """While inside, warnings and errors of the ``hypermax`` logger, and Python's warnings, are
    appended to ``path``."""
    logger = logging.getLogger("hypermax")
    try:
        handler: logging.Handler = _LogFileHandler(
            path, delay=True, encoding="utf-8", errors="backslashreplace"
        )
    except OSError:
        yield
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        with warnings_logged(logger):
            yield
    finally:
        logger.removeHandler(handler)
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
