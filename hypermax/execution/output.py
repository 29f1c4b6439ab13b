"""Carry trials' stdout and stderr to where they go: one thread for all pipes, a capped log each."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import selectors
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from hypermax.errors import is_disk_full
from hypermax.execution.protocol import (
    ESCAPE_PATTERN,
    MAX_PARSED_LINE,
    REPORT_PREFIX,
    parse_report,
    parse_result_line,
    shown_value,
)

log = logging.getLogger("hypermax")

LOG_CAP_BYTES = 20 * 1024 * 1024
#: how long the output of an ended trial may take to reach end of file before it is cut off
OUTPUT_DRAIN_SECONDS = 2.0
_TAIL_BYTES = 4096
_PREFIX = REPORT_PREFIX.encode()
#: what a line may begin with that a terminal does not show: a terminal escape sequence (a
#: colouring logger's), UTF-8's byte-order mark (a first line written by some Windows tools)
_BOM = "\ufeff".encode()
_ESCAPES = re.compile(ESCAPE_PATTERN.encode())
_READ_CHUNK = 256 * 1024
_DRAIN_CHUNKS = 64


# -- the trial's log ------------------------------------------------------------------------
def note_line(text: str) -> bytes:
    """A note of hypermax's own in a trial's log: ``[hypermax: text]`` on a line of its own."""
    return f"\n[hypermax: {text}]\n".encode()


def append_note(path: Path, text: str) -> None:
    """Add a note to the end of a closed trial log; a log that cannot be written is left as
    it is (the note is lost with it)."""
    with contextlib.suppress(OSError), open(path, "ab") as f:
        f.write(note_line(text))


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
                    self._file.write(note_line(text))

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


# -- one trial's output ---------------------------------------------------------------------
#: why an executable has no result whose last stdout line that may be one was too long to read
RESULT_LINE_TOO_LONG = (
    f"no result: its last stdout line that may be the result (a JSON object) is longer than"
    f" {MAX_PARSED_LINE // 1024} KiB, more than a result line may be: write a larger result"
    " to the file HYPERMAX_RESULT_FILE names"
)


class StdoutScanner:
    """Cuts a trial's stdout into lines as it arrives; hands on reports, keeps the last result.

    Memory stays bounded whatever the trial prints: a line longer than ``MAX_PARSED_LINE`` is
    skipped up to its end instead of being gathered (a report line so long is refused).

    Args:
        on_report: called with the step and metrics of each report line.
        on_refused: called with why, the first time a line that starts with the report prefix
            is no usable report (see :func:`~.protocol.parse_report`). Such lines are ignored;
            :attr:`refused` counts them.
    """

    def __init__(
        self,
        on_report: Callable[[int, dict[str, Any]], None],
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self._on_report = on_report
        self._on_refused = on_refused
        self.refused = 0
        self._partial = bytearray()
        self._too_long = False
        self._too_long_head = b""  # how the line too long to gather began
        self.result: dict[str, Any] | None = None
        #: why there is no :attr:`result`, when it is not that nothing parsed as one
        self.no_result = ""

    def feed(self, data: bytes) -> None:
        """Take the next chunk of output."""
        lines = data.split(b"\n")
        self._extend(lines[0])
        if len(lines) == 1:
            return
        self._end_line()
        for line in lines[1:-1]:
            if len(line) <= MAX_PARSED_LINE:
                self._line(line)
            else:
                self._skipped(line[: len(_PREFIX)])
        self._extend(lines[-1])

    def close(self) -> None:
        """The output ended: a last line without a newline counts too."""
        self._end_line()

    def _extend(self, chunk: bytes) -> None:
        if self._too_long or not chunk:
            return
        if len(self._partial) + len(chunk) > MAX_PARSED_LINE:
            self._too_long = True
            self._too_long_head = bytes(self._partial[: len(_PREFIX)] + chunk[: len(_PREFIX)])
            self._partial.clear()
        else:
            self._partial += chunk

    def _end_line(self) -> None:
        if self._too_long:
            self._skipped(self._too_long_head)
        elif self._partial:
            self._line(bytes(self._partial))
        self._partial.clear()
        self._too_long = False

    def _skipped(self, head: bytes) -> None:
        """A line too long to read was skipped: refused, if it began as a report line; if it
        began as a JSON object, it may have been the result, which is then not known."""
        if head.startswith(_PREFIX):
            self._refuse(f"longer than {MAX_PARSED_LINE // 1024} KiB, more than a report may be")
        elif head.lstrip(b" \t").startswith(b"{"):
            self.result = None
            self.no_result = RESULT_LINE_TOO_LONG

    def _line(self, raw: bytes) -> None:
        raw = raw.rstrip(b"\r").rpartition(b"\r")[2]  # a terminal shows what a \r rewrote last
        if b"\x1b" in raw or raw.startswith(_BOM):  # coloured, or marked: as a terminal shows it
            raw = _ESCAPES.sub(b"", raw.removeprefix(_BOM))
        if not raw or raw[:1] not in b"H{-+.0123456789NnIi \t":
            self._misplaced(raw)
            return
        line = raw.decode("utf-8", "replace")
        try:
            report = parse_report(line)
        except ValueError as exc:
            self._refuse(str(exc))
            return
        if report is not None:
            self._on_report(*report)
            return
        result = parse_result_line(line)
        if result is not None:
            self.result = result
            self.no_result = ""
        else:
            self._misplaced(raw)

    def _misplaced(self, raw: bytes) -> None:
        """Refuse a line that holds the report word after something else (a logger's prefix,
        an indent), which would otherwise be passed over without a trace."""
        if _PREFIX in raw:
            shown = shown_value(raw.decode("utf-8", "replace"))
            self._refuse(f"{REPORT_PREFIX.rstrip()} is to start its line, got {shown}")

    def _refuse(self, why: str) -> None:
        self.refused += 1
        if self.refused == 1 and self._on_refused is not None:
            self._on_refused(why)


class TrialOutput:
    """One trial's stdout and stderr: both into its log, reports and result picked out of
    stdout, the tail of stderr kept (its last line says why a failed trial failed). A report
    line that cannot be used leaves a note in the log, the first one why, at the end how many.

    Args:
        log: the trial's log.
        on_report: called with the step and metrics of each report line, from the pump's thread.
    """

    def __init__(self, log: LogSink, on_report: Callable[[int, dict[str, Any]], None]) -> None:
        self.log = log
        self.scanner = StdoutScanner(on_report, self._refused)
        self.streams: tuple[Stream, ...] = ()
        self._tail = bytearray()
        self.held_by_outsiders: set[int] = set()  # the pipes (inodes) cut as others held them
        self._draining = False
        self._report_on_stderr = False

    @property
    def stderr_tail(self) -> bytes:
        return bytes(self._tail)

    def hold_stdout(self) -> None:
        """Stop reading stdout after the chunk being read (call it from a report, in the pump's
        thread): the reports read are more than their reader takes in. The trial's writes
        then wait, as on a full pipe, until :meth:`OutputPump.resume_held`; once the output
        drains (the trial ended), it is read to its end."""
        if self.streams and not self._draining:
            self.streams[0].hold = True

    def attach(self, stdout: int, stderr: int) -> tuple[Stream, ...]:
        """The streams that read the trial's pipes (made non-blocking), for the pump to carry."""
        self.streams = (Stream(stdout, self._stdout), Stream(stderr, self._stderr))
        for stream in self.streams:
            os.set_blocking(stream.fd, False)
        return self.streams

    def drain(
        self, cut: Callable[[Stream], None], resume: Callable[[Stream], None] | None = None
    ) -> None:
        """Wait for both pipes to end; ``cut`` a pipe that a process outside the tree holds.
        ``resume`` reads stdout again if it was held (see :meth:`hold_stdout`)."""
        self._draining = True
        if resume is not None and self.streams:
            resume(self.streams[0])
        deadline = time.monotonic() + OUTPUT_DRAIN_SECONDS
        held = False
        for stream in self.streams:
            if stream.ended.wait(max(0.0, deadline - time.monotonic())):
                continue
            cut(stream)
            stream.ended.wait(OUTPUT_DRAIN_SECONDS)
            self.held_by_outsiders.add(stream.inode)
            held = True
        if held:  # one note, whether the process holds its stdout, its stderr or both
            self.log.note("stopped reading the trial's output: a process outside its tree holds it")
        self.scanner.close()
        if self.scanner.refused > 1:  # the first one's note said why
            self.log.note(f"ignored {self.scanner.refused} report lines in all")

    def catch_up(self, request: Callable[[Stream], None], resume: Callable[[Stream], None]) -> None:
        """The trial's process ended: have the pump (``request``: its
        :meth:`OutputPump.catch_up`) take in what the pipes hold now, stdout read again if it
        was held (``resume``), so that its output is in the log before a note about what it
        left running."""
        self._draining = True
        if self.streams:
            resume(self.streams[0])
        waiting = [stream for stream in self.streams if not stream.ended.is_set()]
        for stream in waiting:
            stream.caught_up.clear()
            request(stream)
        for stream in waiting:
            stream.caught_up.wait(OUTPUT_DRAIN_SECONDS)

    def _stdout(self, data: bytes) -> None:
        self.log.write(data)
        self.scanner.feed(data)

    def _stderr(self, data: bytes) -> None:
        self.log.write(data)
        if not self._report_on_stderr and _PREFIX in data:  # a logger's, which writes there
            self._report_on_stderr = True
            self.log.note(
                f"ignored a report line on stderr: {REPORT_PREFIX}lines are read from stdout"
            )
        self._tail.extend(data[-_TAIL_BYTES:])
        del self._tail[:-_TAIL_BYTES]

    def _refused(self, why: str) -> None:
        self.log.note(f"ignored a report line: {why}")


# -- moving output --------------------------------------------------------------------------
class Stream:
    """One pipe from a trial: where its bytes go, and whether it has ended.

    ``hold``, set by its sink, has the pump stop reading it after the chunk at hand, until
    :meth:`OutputPump.resume_held`; a cut, or the end of the pump, reads it anyway."""

    def __init__(self, fd: int, sink: Callable[[bytes], None]) -> None:
        self.fd = fd
        self.inode = os.fstat(fd).st_ino  # names the pipe in /proc/<pid>/fd of who holds it
        self.sink = sink
        self.ended = threading.Event()
        self.hold = False
        self.caught_up = threading.Event()  # set by the pump once it read what was there


class OutputPump:
    """One thread that drains every trial's stdout and stderr pipes as data arrives."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._requests: queue.SimpleQueue[tuple[str, Stream | None]] = queue.SimpleQueue()
        self._held: set[Stream] = set()  # not read for now (see Stream.hold), still open
        self._thread = threading.Thread(target=self._run, name="hypermax-output", daemon=True)
        self._thread.start()

    def add(self, stream: Stream) -> None:
        """Start carrying ``stream``; its ``ended`` event is set at end of file."""
        self._request("add", stream)

    def cut(self, stream: Stream) -> None:
        """Take what ``stream`` holds now and stop reading it (a leftover process holds it)."""
        self._request("cut", stream)

    def resume_held(self, stream: Stream | None = None) -> None:
        """Read again ``stream`` (by default every stream) that its sink asked to hold."""
        self._request("resume", stream)

    def catch_up(self, stream: Stream) -> None:
        """Read what ``stream`` holds now (within reason), then set its ``caught_up``; a held
        stream is left unread."""
        self._request("catch_up", stream)

    def close(self) -> None:
        """Stop the thread; streams still open are cut."""
        if self._thread.is_alive():
            self._request("stop", None)
            self._thread.join()
        os.close(self._wake_write)

    def _request(self, what: str, stream: Stream | None) -> None:
        self._requests.put((what, stream))
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"\0")

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is not None:
                    if not key.data.ended.is_set():  # a request of this round may have ended it
                        self._read(key.data)
                elif not self._handle_requests():
                    self._shut()
                    return

    def _handle_requests(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass
        while True:
            try:
                what, stream = self._requests.get_nowait()
            except queue.Empty:
                return True
            if what == "stop":
                return False
            if what == "resume":
                self._resume([stream] if stream is not None else list(self._held))
                continue
            assert stream is not None
            if what == "add":
                self._selector.register(stream.fd, selectors.EVENT_READ, stream)
            elif what == "cut" and not stream.ended.is_set():
                self._drain(stream)
            elif what == "catch_up":
                self._catch_up(stream)

    def _read(self, stream: Stream) -> bool:
        """Move one chunk; at end of file, finish the stream. False when nothing was there."""
        try:
            data = os.read(stream.fd, _READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if data:
            try:
                stream.sink(data)
            except Exception:  # one trial's broken sink must not stop every trial's output
                log.exception("cannot take the output of a trial; dropping the rest of it")
                stream.sink = _discard
            if stream.hold and stream not in self._held and not stream.ended.is_set():
                self._selector.unregister(stream.fd)
                self._held.add(stream)
            return True
        self._finish(stream)
        return False

    def _catch_up(self, stream: Stream) -> None:
        if stream not in self._held:
            for _ in range(_DRAIN_CHUNKS):
                if stream.ended.is_set() or not self._read(stream) or stream.hold:
                    break
        stream.caught_up.set()

    def _drain(self, stream: Stream) -> None:
        """Read what the pipe holds now (within reason: a writer may never stop), then close."""
        for _ in range(_DRAIN_CHUNKS):
            if stream.ended.is_set() or not self._read(stream):
                break
        if not stream.ended.is_set():
            self._finish(stream)

    def _resume(self, streams: list[Stream]) -> None:
        for stream in streams:
            stream.hold = False
            if stream in self._held:
                self._held.discard(stream)
                self._selector.register(stream.fd, selectors.EVENT_READ, stream)

    def _finish(self, stream: Stream) -> None:
        if stream in self._held:
            self._held.discard(stream)
        else:
            self._selector.unregister(stream.fd)
        os.close(stream.fd)
        stream.ended.set()

    def _shut(self) -> None:
        self._resume(list(self._held))
        for key in list(self._selector.get_map().values()):
            if key.data is not None:
                self._drain(key.data)
        self._selector.close()
        os.close(self._wake_read)


def _discard(data: bytes) -> None:
    """A sink that drops what it gets."""
