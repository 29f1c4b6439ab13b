"""A command's output to stdout: written whole, or one line saying why it could not be."""

from __future__ import annotations

import errno
import sys

from hypermax.errors import HypermaxError


def write_out(text: str, command: str, utf8: bool = False) -> None:
    """Write a command's output to stdout, whole; a stdout that cannot take it (a full disk,
    closed) is one line, exit 1, naming ``hypermax COMMAND`` (``hypermax`` for no command). A
    reader gone away (``| head``) is left to the caller.

    ``utf8``: as UTF-8 whatever the locale, for data that programs read (``export``'s CSV, as
    ``results.csv`` holds it): under an ASCII locale stdout writes a letter beyond ASCII as its
    escape (``\u65e5``), which would be read back as other text."""
    try:
        if sys.stdout is None:
            raise OSError(errno.EBADF, "closed")
        buffer = getattr(sys.stdout, "buffer", None)
        if utf8 and buffer is not None:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8", "backslashreplace"))  # a lone surrogate: \ud800
            buffer.flush()
            return
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        why = exc.strerror or str(exc)
        who = f"hypermax {command}" if command else "hypermax"
        raise HypermaxError(f"{who}: cannot write its output: {why}") from None
