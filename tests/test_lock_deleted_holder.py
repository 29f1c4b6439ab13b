"""A hypermax refused a results folder whose lock file was deleted by hand names the hypermax
that holds the folder, as it does when the lock file is there."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from hypermax.errors import ResultsError
from hypermax.results import ResultsFolder

#: takes the lock of the results folder it is given, as a hypermax does, deletes its lock file
#: (as by hand), says so, and holds the folder until its stdin closes
_HOLD = (
    "import sys, pathlib\n"
    "from hypermax.results import ResultsFolder\n"
    "folder = ResultsFolder(pathlib.Path(sys.argv[1]))\n"
    "folder.lock()\n"
    "(folder.path / '.lock').unlink()\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_the_holder_of_a_folder_whose_lock_file_was_deleted_is_named(tmp_path):
    """It said "in use by another hypermax (its .lock file was deleted)", naming no one."""
    folder = tmp_path / "s"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(folder)],
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
    assert str(refused.value) == (
        f"{folder}: in use by another hypermax (pid {holder.pid} on {host}; its .lock file was"
        " deleted)"
    )
