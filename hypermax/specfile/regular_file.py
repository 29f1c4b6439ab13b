"""Opening a file to read without being caught by what is not a regular file.

A named pipe would wait for a writer, and a device (``/dev/zero``) would fill the memory: these
helpers open without waiting and name what a path is when it is not a regular file.
"""

from __future__ import annotations

import errno
import os
import stat


def open_to_read(path: str | os.PathLike[str]) -> int:
    """A descriptor of ``path`` opened to read, without waiting for a named pipe's writer: the
    caller's ``fstat`` of it tells a regular file from what is not one. A socket (or a device
    without its driver), which no process can open to read, is opened as a path alone, which
    ``fstat`` can still tell (its own words were "No such device or address")."""
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno != errno.ENXIO or not hasattr(os, "O_PATH"):
            raise
        return os.open(path, os.O_PATH | os.O_CLOEXEC)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is: ``a named pipe``, ``a device``, ``a socket``."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"
