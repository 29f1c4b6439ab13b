"""``show``, ``export`` and ``plot`` of a results folder a hypermax holds before its journal is
there (a search starting, ``--fresh`` moving the search before aside) say so."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from conftest import run_cli_here

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


@pytest.fixture
def starting(tmp_path):
    """The pid of a process that holds the results folder ``tmp_path / "s"``, no journal yet."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path / "s")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder.pid
    finally:
        holder.communicate()


@pytest.mark.parametrize("command", ["show", "export"])
def test_a_folder_whose_search_starts_is_said_to_have_no_trials_yet(tmp_path, starting, command):
    """It was said to be "not a hypermax results folder (no trials.jsonl)"."""
    done = run_cli_here(command, "s", cwd=tmp_path)
    holder = f"pid {starting} on {socket.gethostname()}"
    assert (done.returncode, done.stderr) == (
        2,
        f"s: no trials yet: a hypermax ({holder}) starts a search there\n",
    )
