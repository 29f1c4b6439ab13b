"""A hypermax refused a results folder names the one that holds it, even in the moment after
that one took the lock and before it wrote its name in the lock file."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from hypermax.errors import ResultsError
from hypermax.results import ResultsFolder

#: takes the lock of the file it is given, as a hypermax does, says so, writes nothing in it,
#: and holds it until its stdin closes
_TAKE = (
    "import fcntl, sys\n"
    "f = open(sys.argv[1], 'a+')\n"
    "fcntl.flock(f, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.mark.parametrize("left", ["", json.dumps({"pid": 999999999, "host": socket.gethostname()})])
def test_the_holder_not_named_in_the_lock_file_yet_is_named_all_the_same(tmp_path, left):
    """A second hypermax said "in use by another hypermax (unknown process)", or named the
    hypermax before, that had ended, when the first had just taken the lock."""
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / ".lock").write_text(left)  # empty: made by the holder; else the one before's
    holder = subprocess.Popen(
        [sys.executable, "-c", _TAKE, str(folder / ".lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ResultsError) as refused:
            ResultsFolder(folder).lock()
    finally:
        holder.communicate()
    host = socket.gethostname()
    assert (
        str(refused.value) == f"{folder}: in use by another hypermax (pid {holder.pid} on {host})"
    )
