"""In a ``python_function`` trial: how its result (or the reason it failed) reaches hypermax.

A small result goes over the socket a forked trial has, else it is written to the result file;
a full disk is said on stderr and in the exit code (:data:`~.protocol.NO_SPACE_EXIT`). Imported by
the child bootstrap: standard library only, and no ``json`` for a plain result.
"""

from __future__ import annotations

import os
import sys

from hypermax.execution import protocol

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this module

if TYPE_CHECKING:
    from typing import Any

_NO_SPACE = (28, 122)  # errno.ENOSPC, errno.EDQUOT (Linux)


def write_peak(folder: str) -> None:
    """Write this process's peak RSS so far (``VmHWM``, kB) to :data:`~.protocol.PEAK_FILE` in
    ``folder``; nothing where it cannot be read or written."""
    try:
        with open("/proc/self/status", "rb") as f:
            status = f.read()
        at = status.index(b"VmHWM:")
        kib = status[at + 6 : status.index(b"\n", at)].split()[0]
        with open(os.path.join(folder, protocol.PEAK_FILE), "wb") as f:
            f.write(kib)
    except (OSError, ValueError, IndexError):
        return


def error_reason(exc: BaseException) -> str:
    """``Type: message``, one line of at most 300 characters; the type alone when the message
    is empty or cannot be read (its ``__str__`` raised)."""
    try:
        text = str(exc).strip()
    except Exception:
        text = ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason.splitlines()[0][:300]


def writable(stream: Any) -> Any:
    """``stream`` if it can be written to, else None (a function may have set ``sys.stdout``
    or ``sys.stderr`` to None to silence a library, or left a closed file there)."""
    if not callable(getattr(stream, "write", None)) or getattr(stream, "closed", False):
        return None
    return stream


class Destination:
    """Where the trial's result goes: the result file's path, and the socket to hypermax a
    forked trial has (-1: none); from the trial's process (``pid``) only."""

    def __init__(self, path: str, sock: int) -> None:
        self.path = path
        self.sock = sock
        self.pid = os.getpid()


def write_result(to: Destination, text: str) -> int:
    """Send the result to hypermax, or write the result file: 0, or
    :data:`~.protocol.NO_SPACE_EXIT` when the disk is full.

    A small result goes over the socket (one packet: hypermax reads it whole or not at all);
    should it not go (the function closed every fd), the file is written as without one. A
    function that removed its own folder (its working folder: "clean up everything") still
    has its result kept: the folder is made again. A process that the function forked and
    that returned from it (or raised) as well sends nothing: the trial's process does."""
    if os.getpid() != to.pid:
        os.write(
            2,
            f"hypermax: process {os.getpid()}, forked by the trial's function, returned "
            "from it: not the trial's result (end such a process with os._exit)\n".encode(),
        )
        return 0
    if to.sock >= 0:
        data = text.encode("utf-8", "backslashreplace")  # as the file holds it
        if len(data) <= protocol.RESULT_PACKET_MAX:
            try:
                os.write(to.sock, data)
                return 0
            except OSError:
                pass  # the file, then
    path = to.path
    try:
        try:
            protocol.write_atomic(path, text, durable=False)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            protocol.write_atomic(path, text, durable=False)
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        stderr: Any = writable(sys.stderr) or sys.__stderr__
        stderr.write(protocol.NO_SPACE_LINE + "\n")
        stderr.flush()
        return protocol.NO_SPACE_EXIT
    return 0


def result_text(value: Any) -> str:
    """The result file's text: made without ``json`` when the value is plain."""
    text = protocol.plain_json(value)
    return protocol.dump_json(value) if text is None else text
