"""Runs a ``hypermax quick`` trial's command and reads its metric from what it prints.

``python -m hypermax.quick.metric_line NAME -- COMMAND...`` runs COMMAND, passes its output
(stdout and stderr, each to its own: a logger or a progress bar writes to stderr) on line by
line, and keeps the last value given, in either, as ``NAME: 0.31``, ``NAME=0.31`` or
``NAME 0.31`` anywhere in a line (Keras' ``- val_loss: 0.31 -``, a progress bar's
``val_loss=0.31``, a printed dict's ``'val_loss': 0.31``, ``print("val_loss", 0.31)``; a
percentage, ``acc: 31%``, as the fraction 0.31), or by a JSON object line that holds NAME
(``{"NAME": 0.31, ...}``). When COMMAND exits 0 without writing ``HYPERMAX_RESULT_FILE``
itself, the metric goes there as ``{"NAME": value}``, or, if no such line came, a failure
saying so. The exit code is COMMAND's.
Standard library only: every trial pays for what this imports.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

from hypermax.execution import protocol

USAGE = "usage: python -m hypermax.quick.metric_line NAME -- COMMAND..."
#: the most read from COMMAND's output at once; and the size past which a line still open is
#: read up to its last \r (a progress bar's, which rewrites it until it is done)
OPEN_LINE_BYTES = 1 << 16
#: past this, a line still open without a \r is read as it comes (:func:`read_head`), not held
#: whole: a line of hundreds of MB costs the reader no more than this
LONG_LINE_BYTES = 1 << 20
#: what :func:`read_head` leaves of a long line for its next part: the end of what it read
#: may be part of a metric that its next part completes
LINE_TAIL_BYTES = 4096
#: the signals that stop a trial: they reach COMMAND, and the reader waits for it to end
STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
#: how long the output is still read once COMMAND exited, when something it left running holds it
DRAIN_SECONDS = 1.0
#: a number as Python, numpy, R or Java print it: ``nan``, ``NaN``, ``inf``, ``-Infinity`` too,
#: and with thousands separators (``1,234.5``, as ``f"{x:,}"`` prints it: not read as 1)
_NUMBER = (
    r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    r"|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?i:nan|inf(?:inity)?)"
)


#: a terminal escape sequence (a colouring logger's, a progress bar's), left out of a line as a
#: terminal leaves it out of what it shows
_ESCAPES = re.compile(protocol.ESCAPE_PATTERN.encode())


def as_shown(line: bytes) -> bytes:
    """``line`` as a terminal shows it: without its escape sequences (``\x1b[1mval_loss\x1b[0m:
    \x1b[36m0.31\x1b[0m`` is ``val_loss: 0.31``)."""
    return _ESCAPES.sub(b"", line) if b"\x1b" in line else line


def metric_pattern(name: str) -> re.Pattern[bytes]:
    """Finds the metric ``name`` given in a line: ``name: 0.31``, ``name=0.31``, ``'name': 0.31``,
    ``name 0.31`` (``print("name", value)``), ``name: 31%`` (its second group the percent
    sign: see :func:`match_value`); not as part of a longer name (``val_loss`` does not give
    ``loss``), nor a number that goes on (``0.31s``; ``0,31``, a decimal comma, which a locale
    prints, is no 0)."""
    number = rf"({_NUMBER})(\s?%)?(?!\w|[.,]\d|%)"
    text = rf"(?<![\w.]){re.escape(name)}['\"]?(?:\s*[:=]\s*|\s+){number}"
    return re.compile(text.encode())


def match_value(match: re.Match[bytes]) -> float:
    """The value of a metric :func:`metric_pattern` found: a percentage as the fraction it
    stands for (``31%`` is 0.31, as ``0.31`` is), so that a metric reads the same whichever
    way the command prints it; a NaN or an infinity as it is."""
    text = match.group(1).replace(b",", b"")
    value = float(text)
    if not match.group(2) or value != value or value in (float("inf"), float("-inf")):
        return value
    # the decimal point moved two places in the text: "0.1%" is float("0.1e-2"), 0.001 as
    # written, where float("0.1") / 100 is 1.0000000000000002e-03
    mantissa, _, exponent = text.lower().partition(b"e")
    return float(mantissa + b"e" + str(int(exponent or b"0") - 2).encode())


def near_miss(name: str) -> re.Pattern[bytes]:
    """Finds ``name`` given with something :func:`metric_pattern` reads no value from:
    ``name: 0.31s``, ``name=low`` (what the failure then shows)."""
    return re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"['\"]?\s*[:=]\s*\S")


def _shown(line: bytes, limit: int = 80) -> str:
    """A line of the command's output as a failure's reason quotes it: one line, cut."""
    text = line.decode("utf-8", "replace").strip()
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def last_value(
    lines: list[bytes], pattern: re.Pattern[bytes], name: str | None = None
) -> float | None:
    """The last value ``pattern`` finds in the lines or, given the metric's ``name``, that a
    JSON object line holds as a number (``{"val_loss": 0.31, "epoch": 9}``); or None."""
    value = None
    for line in lines:
        text = as_shown(line.rstrip(b"\r\n"))
        last = None
        for match in pattern.finditer(text):
            last = match
        if last is not None:
            value = match_value(last)
        elif name is not None and text.lstrip().startswith(b"{"):
            value = _from_json(text, name, value)
    return value


def read_head(
    text: bytes, name: bytes, pattern: re.Pattern[bytes], pos: int = 0
) -> tuple[float | None, bytes]:
    """Read the part of a long line still open that can be read: the last value ``pattern``
    (of metric ``name``) finds in ``text`` (as shown: escape sequences left out) from ``pos``
    on that ends at least :data:`LINE_TAIL_BYTES` before its end, where what follows it is
    known. Returns that value (or None) and the rest, to read from 1 with the line's next
    part: it starts with the last byte read, which tells whether a name that follows stands
    alone (the look behind of :func:`metric_pattern`), then goes on from the start of a metric
    that runs past that point, if one does."""
    shown = as_shown(text)
    cut = max(pos + 1, len(shown) - LINE_TAIL_BYTES)
    value, keep = None, cut
    if name not in shown:  # most of such a line, read many times faster than by ``pattern``
        return None, shown[cut - 1 :]
    for match in pattern.finditer(shown, pos):
        if match.end() > cut:
            keep = match.start()
            break
        value = match_value(match)
    return value, shown[max(0, keep - 1) :]


def last_in_rest(rest: bytes, pattern: re.Pattern[bytes]) -> float | None:
    """The last value ``pattern`` finds in the rest of a long line (see :func:`read_head`)."""
    value = None
    for match in pattern.finditer(as_shown(rest.rstrip(b"\r\n")), 1):
        value = match_value(match)
    return value


def _from_json(text: bytes, name: str, value: float | None) -> float | None:
    """The metric of a JSON object line, else ``value`` (json imported only for such lines)."""
    import json

    try:
        document = json.loads(text)
    except ValueError:
        return value
    number = document.get(name) if isinstance(document, dict) else None
    if isinstance(number, bool) or not isinstance(number, int | float):
        return value
    return float(number)


def main(argv: list[str] | None = None) -> int:
    """Run ``NAME -- COMMAND...``; COMMAND's exit code. Without ``argv``, as the program a
    trial runs: this process's arguments, and the process is the trial's (see
    :data:`STOPPING_SIGNALS`; a COMMAND ended by a signal ends it by the same)."""
    program = argv is None
    if argv is None:
        argv = sys.argv[1:]
    if len(argv) < 3 or argv[1] != "--":
        print(USAGE, file=sys.stderr)
        return 2
    name, command = argv[0], argv[2:]
    pattern = metric_pattern(name)
    try:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        print(f"hypermax quick: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    # what stops COMMAND (the kill ladder's SIGTERM, sent to every process of the trial) does
    # not end the reader first: COMMAND, cleaning up, still has its output passed on, where
    # its print failed (BrokenPipeError) and its words were lost
    for number in STOPPING_SIGNALS if program else ():
        signal.signal(number, signal.SIG_IGN)
    assert child.stdout is not None and child.stderr is not None
    found: list[float] = []  # the last value given, in either stream
    missed: list[bytes] = []  # the last line that named it with no value read
    near = near_miss(name)
    key = name.encode()
    lock = threading.Lock()

    def read(line: bytes, whole: bool = True) -> None:
        """Take the metric given in ``line``; ``whole``: it is a line from its start (which
        alone may be a JSON object), not the rest of one read in parts."""
        value = last_value([line], pattern, name if whole else None)
        if value is not None:
            with lock:
                found[:] = [value]
        elif near.search(as_shown(line)):
            with lock:
                missed[:] = [as_shown(line)]

    def pass_on(source: io.BufferedReader, to: IO[bytes]) -> None:
        """Pass ``source`` on as it comes, reading the metric from its lines: a progress bar's
        line, rewritten with \\r and ended only once it is done, reaches the trial's log as
        it is drawn (it was held until its end); past :data:`OPEN_LINE_BYTES` such a line is
        read up to its last \\r, which the reader keeps no longer, and past
        :data:`LONG_LINE_BYTES` a line without one is read as it comes (:func:`read_head`)."""
        parts: list[bytes] = []  # the line still open
        size = 0
        head: list[float] = []  # the value the part of the line read already gave
        head_missed: list[bytes] = []  # the part read already that named it with no value
        long_line: list[bool] = []  # the line still open is one read in parts: what is left

        def end_line(rest: bytes) -> None:
            if not long_line:
                read(rest)
                return
            with lock:
                value = last_in_rest(rest, pattern)
                if value is not None or head:
                    found[:] = [value if value is not None else head[-1]]
                elif near.search(as_shown(rest), 1):
                    missed[:] = [as_shown(rest)[1:]]
                elif head_missed:
                    missed[:] = head_missed
            head.clear()
            head_missed.clear()
            long_line.clear()

        for chunk in _chunks(source.fileno(), exited):
            to.write(chunk)
            to.flush()
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                parts.append(chunk[start : end + 1])
                end_line(b"".join(parts))
                parts, size, start = [], 0, end + 1
            if start < len(chunk):
                parts.append(chunk[start:])
                size += len(chunk) - start
                if size > OPEN_LINE_BYTES and b"\r" in parts[-1]:
                    line = b"".join(parts)
                    cut = line.rfind(b"\r") + 1
                    end_line(line[:cut])
                    parts, size = [line[cut:]], len(line) - cut
                elif size > LONG_LINE_BYTES:
                    text, pos = b"".join(parts), 1 if long_line else 0
                    value, rest = read_head(text, key, pattern, pos)
                    if value is not None:
                        head[:], head_missed[:] = [value], []
                    elif not head and key in text and near.search(as_shown(text), pos):
                        head_missed[:] = [as_shown(text)[pos:]]
                    parts, size = [rest], len(rest)
                    long_line[:] = [True]
        if parts:
            end_line(b"".join(parts))

    exited = _Exited()
    streams = [(child.stdout, sys.stdout.buffer), (child.stderr, sys.stderr.buffer)]
    readers = [threading.Thread(target=pass_on, args=pair, daemon=True) for pair in streams]
    for reader in readers:
        reader.start()
    try:
        code = child.wait()
    finally:
        exited.set()
    for reader in readers:
        reader.join()
    exited.close()
    with lock:
        value = found[-1] if found else None
    result_file = os.environ.get(protocol.RESULT_FILE_ENV)
    if code == 0 and result_file and not os.path.exists(result_file):
        if value is None:
            reason = (
                f'{name} was never printed ("{name}: 0.31", "{name}=0.31" or "{name} 0.31" '
                f'in a line, or a line {{"{name}": 0.31}})'
            )
            if missed:  # "val_loss: 0.31s": printed, but as no number hypermax reads
                reason += f'; a line gave it as no number alone: "{_shown(missed[-1])}"'
            result = protocol.dump_json({protocol.ERROR_KEY: reason})
        else:
            result = protocol.dump_json({name: value})
        protocol.write_atomic(result_file, result, durable=False)
    if code < 0 and program:
        _end_by_signal(-code)
    return code if code >= 0 else 128 - code


class _Exited:
    """That COMMAND exited, as a pipe the readers can wait on beside its output."""

    def __init__(self) -> None:
        self.fd, self._write = os.pipe()
        self.at = 0.0  # when (monotonic), once it exited

    def set(self) -> None:
        self.at = time.monotonic()
        os.close(self._write)  # the read end is readable (its end) from now on

    def is_set(self) -> bool:
        return bool(select.select([self.fd], [], [], 0)[0])

    def close(self) -> None:
        os.close(self.fd)


def _chunks(fd: int, exited: _Exited) -> Iterator[bytes]:
    """What COMMAND writes to pipe ``fd``, as it comes, to the pipe's end: all it wrote before
    it exited, however long passing the earlier part on takes (a line of hundreds of MB to the
    trial's log), and then what is written in the :data:`DRAIN_SECONDS` after, when something
    it left running (a server it started in the background) holds the pipe open."""
    owed = -1  # bytes in the pipe once COMMAND exited: written before, all read (-1: running)
    while True:
        if owed < 0 and exited.is_set():
            owed = _unread(fd)
        if owed < 0:
            if fd not in select.select([fd, exited.fd], [], [])[0]:
                continue  # it exited: count what it left in the pipe
        elif owed == 0:
            left = exited.at + DRAIN_SECONDS - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return
        chunk = os.read(fd, OPEN_LINE_BYTES)
        if not chunk:
            return
        if owed > 0:
            owed = max(0, owed - len(chunk))
        yield chunk


def _unread(fd: int) -> int:
    """How many bytes pipe ``fd`` holds, not read yet."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def _end_by_signal(number: int) -> None:
    """End this process by the signal that ended COMMAND, so that hypermax tells the trial's
    end as it tells an executable's (``ended by signal SIGSEGV``, the out-of-memory killer's
    SIGKILL), not as ``exit code 139``; without a core dump of its own."""
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    with contextlib.suppress(ValueError, OSError):  # SIGKILL's cannot be set, nor need be
        signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
    with contextlib.suppress(ValueError, OSError):
        os.kill(os.getpid(), number)


if __name__ == "__main__":
    sys.exit(main())
