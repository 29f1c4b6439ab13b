"""One trial's stdout and stderr: into its log, its reports and result picked out of stdout.

The pieces live in modules of their own, re-exported here: the capped log
(:mod:`~hypermax.execution.trial_log`), the reading of stdout
(:mod:`~hypermax.execution.stdout_scanner`), and the one thread that carries every trial's
pipes (:mod:`~hypermax.execution.output_pump`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from hypermax.execution.output_pump import OutputPump, Stream
from hypermax.execution.protocol import REPORT_PREFIX
from hypermax.execution.stdout_scanner import RESULT_LINE_TOO_LONG, StdoutScanner
from hypermax.execution.trial_log import LOG_CAP_BYTES, LogSink, append_note, note_line

__all__ = [
    "LOG_CAP_BYTES",
    "OUTPUT_DRAIN_SECONDS",
    "RESULT_LINE_TOO_LONG",
    "LogSink",
    "OutputPump",
    "StdoutScanner",
    "Stream",
    "TrialOutput",
    "append_note",
    "note_line",
]

#: how long the output of an ended trial may take to reach end of file before it is cut off
OUTPUT_DRAIN_SECONDS = 2.0
#: how long :meth:`TrialOutput.drain` waits for a pipe to end before it says it waits
SETTLE_SECONDS = 0.05
_TAIL_BYTES = 4096
_PREFIX = REPORT_PREFIX.encode()


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
        # ``_draining`` set, and whether stdout is held read, as one step, against a report's
        # hold in the pump's thread: a stream never held needs no request to resume it
        self._hold_lock = threading.Lock()
        self._report_on_stderr = False
        self._tail_settled = False

    @property
    def stderr_tail(self) -> bytes:
        return bytes(self._tail)

    def settle_stderr_tail(self) -> None:
        """The trial's main process ended and its output was taken in (:meth:`catch_up`): what
        comes on stderr from now on, written by the processes it left running (a warning each
        prints as it is killed), goes to the log but not into :attr:`stderr_tail`, whose last
        line says why the trial failed."""
        self._tail_settled = True

    def hold_stdout(self) -> None:
        """Stop reading stdout after the chunk being read (call it from a report, in the pump's
        thread): the reports read are more than their reader takes in. The trial's writes
        then wait, as on a full pipe, until :meth:`OutputPump.resume_held`; once the output
        drains (the trial ended), it is read to its end."""
        with self._hold_lock:
            if self.streams and not self._draining:
                self.streams[0].hold = True

    def attach(self, stdout: int, stderr: int) -> tuple[Stream, ...]:
        """The streams that read the trial's pipes (made non-blocking), for the pump to carry."""
        self.streams = (Stream(stdout, self._stdout), Stream(stderr, self._stderr))
        for stream in self.streams:
            os.set_blocking(stream.fd, False)
        return self.streams

    def drain(
        self,
        cut: Callable[[Stream], None],
        resume: Callable[[Stream], None] | None = None,
        waiting: Callable[[], None] | None = None,
    ) -> None:
        """Wait for both pipes to end; ``cut`` a pipe that a process outside the tree holds.
        ``resume`` reads stdout again if it was held (see :meth:`hold_stdout`); ``waiting`` is
        called, once, when a pipe has not ended :data:`SETTLE_SECONDS` into the wait."""
        if resume is not None and self._stop_holding():
            resume(self.streams[0])
        deadline = time.monotonic() + OUTPUT_DRAIN_SECONDS
        held = False
        for stream in self.streams:
            if waiting is not None and not stream.ended.wait(SETTLE_SECONDS):
                waiting()
                waiting = None
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
        if self._stop_holding():
            resume(self.streams[0])
        waiting = [stream for stream in self.streams if not stream.ended.is_set()]
        for stream in waiting:
            stream.caught_up.clear()
            request(stream)
        for stream in waiting:
            stream.caught_up.wait(OUTPUT_DRAIN_SECONDS)

    def _stop_holding(self) -> bool:
        """Hold stdout no more from now on (the trial's process ended); whether it is held
        (or was, and its resume may be under way): only then does the pump need asking to read
        it again, a request and a wake-up of its thread fewer a trial otherwise."""
        with self._hold_lock:
            self._draining = True
            return bool(self.streams) and self.streams[0].hold

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
        if not self._tail_settled:
            self._tail.extend(data[-_TAIL_BYTES:])
            del self._tail[:-_TAIL_BYTES]

    def _refused(self, why: str) -> None:
        self.log.note(f"ignored a report line: {why}")
