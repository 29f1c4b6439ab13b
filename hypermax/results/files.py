"""The names of a results folder's frozen spec, and the reading of its small text files."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.specfile.regular_file import file_kind, open_to_read

if TYPE_CHECKING:
    from hypermax.space import Space

SPEC_NAME = "search.json"
#: the key of the frozen spec that names the spec file it was made from (whose folder its
#: relative paths start from), for a resume whose journal has no header to say so
SPEC_ORIGIN = "x-hypermax-spec"
#: the key of the frozen spec that keeps the ``search`` section its search last ran with: a
#: resume from the frozen spec, edited since, tells what changed from it (the method, ...)
SPEC_RAN = "x-hypermax-ran"
#: the key of the frozen spec that keeps a digest of the objective's file the search last ran
#: (:func:`hypermax.results.code.code_digest`): a resume says when it changed
SPEC_CODE = "x-hypermax-code"


def is_frozen_spec(raw: dict[str, object], path: Path) -> bool:
    """Whether the spec document ``raw``, read as the spec file ``path``, is a results folder's
    frozen spec read to resume its search (``hypermax resume``: read as the spec it came from,
    which its :data:`SPEC_ORIGIN` names), not a copy of one run as a spec of its own."""
    origin = raw.get(SPEC_ORIGIN)
    return isinstance(origin, str) and os.path.abspath(origin) == os.path.abspath(path)


def frozen_space(spec_file: Path) -> Space | None:
    """The space of a results folder's frozen spec (``search.json``), for what reads the
    folder (its charts' axes, its tables' columns); None when it is missing or unreadable."""
    from hypermax.errors import HypermaxError
    from hypermax.space import Space

    try:
        return Space(json.loads(read_text_of(spec_file))["hyperparameters"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, HypermaxError):
        return None


def frozen_param_names(spec_file: Path) -> list[str]:
    """The flat names of the params of a results folder's frozen space, in its order
    (:meth:`~hypermax.space.Space.param_names`: the columns of its tables); none when the frozen
    spec is missing or unreadable."""
    space = frozen_space(spec_file)
    return [] if space is None else space.param_names()


def read_text_of(path: Path) -> str:
    """The text of a file of a results folder (its frozen spec, its lock). OSError when it
    cannot be read, and when it is not a regular file: a named pipe would wait for a writer
    forever, a device (``/dev/zero``) never end; it is opened without waiting for a pipe."""
    fd = open_to_read(path)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            why = "Is a directory" if stat.S_ISDIR(mode) else f"is {file_kind(mode)}, not a file"
            raise OSError(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, why, str(path))
        with open(fd, encoding="utf-8", closefd=False) as file:
            return file.read()
    finally:
        os.close(fd)


def holds_own_spec(folder: Path) -> bool:
    """Whether the ``search.json`` in ``folder`` is a user's spec in the folder of a project,
    not one a search froze there: a JSON object that does not name the spec file it came from
    (one that cannot be read is neither)."""
    try:
        doc = json.loads(read_text_of(folder / SPEC_NAME))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and SPEC_ORIGIN not in doc
