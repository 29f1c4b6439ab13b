"""A command's output to stdout: written whole, or one line saying why it could not be."""

from __future__ import annotations

import errno
import sys

from hypermax.errors import HypermaxError


def write_out(text: str, command: str) -> None:
    """Write a command's output to stdout, whole; a stdout that cannot take it (a full disk,
    closed) is one line, exit 1. A reader gone away (``| head``) is left to the caller."""
    try:
        if sys.stdout is None:
            raise OSError(errno.EBADF, "closed")
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise HypermaxError(f"hypermax {command}: cannot write its output: {why}") from None
