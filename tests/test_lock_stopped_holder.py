"""A hypermax refused a results folder whose hypermax is stopped (Ctrl-Z in another terminal,
forgotten) says so, and how to continue it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from fake_trials.helpers import is_stopped, wait_until

from hypermax.errors import ResultsError
from hypermax.results import ResultsFolder

#: takes the lock of the results folder it is given, as a hypermax does, says so, and holds it
#: until its stdin closes
_HOLD = (
    "import sys, pathlib\n"
    "from hypermax.results import ResultsFolder\n"
    "folder = ResultsFolder(pathlib.Path(sys.argv[1]))\n"
    "folder.lock()\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_a_stopped_holder_is_said_to_be_stopped(tmp_path):
    """It was named as any holder: nothing told the user that it waited for a fg."""
    folder = tmp_path / "s"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        os.kill(holder.pid, signal.SIGSTOP)
        wait_until(lambda: is_stopped(holder.pid), 30, "the holder stopped")
        with pytest.raises(ResultsError) as refused:
            ResultsFolder(folder).lock()
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        holder.communicate()
    assert str(refused.value) == (
        f"{folder}: in use by another hypermax (pid {holder.pid} on {socket.gethostname()}); it"
        f" is stopped (Ctrl-Z): fg in its terminal, or kill -CONT {holder.pid}, continues it"
    )
