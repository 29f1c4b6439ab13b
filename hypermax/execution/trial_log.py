"""A trial's log file: stdout and stderr together, capped, with hypermax's own notes in it."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import BinaryIO

from hypermax.errors import is_disk_full

log = logging.getLogger("hypermax")

LOG_CAP_BYTES = 20 * 1024 * 1024


def note_line(text: str) -> bytes:
    """A note of hypermax's own in a trial's log: ``[hypermax: text]`` on a line of its own."""
    return f"\n[hypermax: {text}]\n".encode()


def append_note(path: Path, text: str) -> None:
    """Add a note to the end of a closed trial log (made if missing: then the note is its first
    line, not one after a blank); a log that cannot be written is left as it is (the note is
    lost with it)."""
    with contextlib.suppress(OSError), open(path, "ab") as f:
        note = note_line(text)
        f.write(note if f.tell() else note.lstrip())


class LogSink:
    """The trial's log file, shared by its stdout and stderr, capped at ``cap`` bytes.

    Writing to it never fails: output past the cap is counted and dropped, and so is all output
    once the log cannot be written. On a full disk (or quota) the log is dropped: cut to a note
    that says so, to leave what room there is to the journal.
    """

    def __init__(self, path: Path, cap: int = LOG_CAP_BYTES) -> None:
        self.path = path
        self._cap = cap
        self._written = 0
        self._dropped = 0
        self._error: OSError | None = None
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        try:
            self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError as exc:
            self._fail(exc)

    @property
    def error(self) -> OSError | None:
        """Why the log cannot be written, once it could not."""
        return self._error

    def write(self, data: bytes) -> None:
        with self._lock:
            room = self._cap - self._written
            if room > 0 and self._error is None and self._file is not None:
                chunk = data[:room]
                try:
                    self._file.write(chunk)
                except OSError as exc:  # a full disk must not stop the trial's output pipe
                    self._fail(exc)
                    chunk = b""
                self._written += len(chunk)
                data = data[len(chunk) :]
            self._dropped += len(data)

    def note(self, text: str) -> None:
        """A line from hypermax itself, written even past the cap."""
        with self._lock:
            if self._file is not None and not self._file.closed:
                with contextlib.suppress(OSError):
                    line = note_line(text)  # the log's first line: not one after a blank
                    self._file.write(line if self._file.tell() else line.lstrip())

    def _fail(self, exc: OSError) -> None:
        self._error = exc
        if not is_disk_full(exc):
            return
        log.warning("trial log %s dropped: %s", self.path, exc.strerror)
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._file.fileno(), 0)
                self._file.write(note_line(f"log dropped: {exc.strerror}").lstrip())
        self._dropped += self._written
        self._written = 0

    def close(self) -> None:
        with self._lock:
            if self._file is None:
                return
            if self._dropped:
                why = f"cannot write: {self._error}" if self._error else "log capped"
                with contextlib.suppress(OSError):
                    self._file.write(
                        note_line(
                            f"{why} at {self._written} bytes; "
                            f"{self._dropped} more bytes of output dropped"
                        )
                    )
            with contextlib.suppress(OSError):
                self._file.close()
            # output read after the trial's end (from a pipe a leftover process held) is dropped
            self._file = None
