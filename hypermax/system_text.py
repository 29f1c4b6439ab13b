"""Text as the system takes it: a process's arguments and environment, a folder's name.

What Python holds as ``str`` the system takes as bytes, in the filesystem encoding: under an
ASCII locale (``PYTHONUTF8=0``) or for a lone surrogate (JSON's ``"\\ud800"``) that encoding
cannot hold every text, and the system bounds each argument and variable. Used by hypermax, by
``validate`` (which imports nothing of the runners) and by the preload server.
"""

from __future__ import annotations

import os

#: the most bytes one argument or ``NAME=value`` variable of a process may take (Linux's
#: ``MAX_ARG_STRLEN``, its closing NUL included); a longer one fails the process's start
MAX_ARG_BYTES = 128 * 1024
#: what the environment variables of an executable's params start with (``validate`` names them)
PARAM_ENV_PREFIX = "HYPERMAX_PARAM_"


def param_variable(name: str) -> str:
    """The environment variable of an executable's param of flat name ``name``:
    ``layers.0.units`` → ``HYPERMAX_PARAM_LAYERS_0_UNITS``."""
    return PARAM_ENV_PREFIX + "".join(c if c.isalnum() else "_" for c in name).upper()


def os_text(text: str) -> str:
    """``text`` as it can be handed to the system (an argument, an environment variable's name
    or value): itself, or, where the filesystem encoding cannot hold it (an ASCII locale with
    ``PYTHONUTF8=0``, a lone surrogate), its UTF-8 bytes, as Python decodes the bytes it cannot
    read (surrogate-escaped): the program gets the UTF-8 bytes, as from a UTF-8 locale."""
    if text.isascii():
        return text
    try:
        os.fsencode(text)
        return text
    except UnicodeEncodeError:
        try:
            data = text.encode("utf-8", "surrogateescape")  # what was read escaped goes back
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        return os.fsdecode(data)


def os_size(text: str) -> int:
    """How many bytes ``text`` is to the system, handed to it as :func:`os_text` does (a name,
    an argument, a variable's name or value), whatever it holds (a lone surrogate too)."""
    return len(text) if text.isascii() else len(os.fsencode(os_text(text)))


def os_environ(env: dict[str, str]) -> dict[str, str]:
    """``env`` with each name and value as :func:`os_text` hands it to the system."""
    return {os_text(name): os_text(value) for name, value in env.items()}
