"""``hypermax resume`` of a folder another hypermax holds, in the moment its frozen spec is not
there (a search starting there, or ``--fresh`` moving its search aside), says it is in use."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from conftest import run_cli_here

#: holds the lock of the results folder it is given, as a hypermax does, until stdin closes
_HOLD = (
    "import sys, pathlib\n"
    "from hypermax.results.lock import FolderLock\n"
    "lock = FolderLock(pathlib.Path(sys.argv[1]))\n"
    "lock.take()\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.mark.parametrize("journal", [False, True])
def test_resume_of_a_held_folder_without_its_frozen_spec_says_it_is_in_use(tmp_path, journal):
    """It said "not a hypermax results folder (no search.json)", or that its frozen spec was
    missing, when it raced a --fresh start moving the folder's search aside."""
    folder = tmp_path / "s"
    folder.mkdir()
    if journal:  # --fresh moves the journal last
        (folder / "trials.jsonl").write_text(json.dumps({"event": "header", "format": 1}) + "\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = run_cli_here("resume", "s", cwd=tmp_path)
        said = f"s: in use by another hypermax (pid {holder.pid} on {socket.gethostname()})\n"
        assert (done.returncode, done.stderr) == (2, said)
    finally:
        holder.communicate()


@pytest.mark.parametrize("left", [".lock", "trials"])
def test_resume_of_a_search_stopped_before_it_froze_its_spec_says_to_run_the_spec(tmp_path, left):
    """A search killed as it started leaves its lock file, or its trials' folder, and neither
    journal nor frozen spec: the resume says the spec starts it again, not that the folder is
    not a results folder."""
    folder = tmp_path / "s"
    folder.mkdir()
    if left == ".lock":
        (folder / left).write_text("")
    else:
        (folder / left).mkdir()
    done = run_cli_here("resume", "s", cwd=tmp_path)
    said = (
        "s: its search stopped before it froze its spec (search.json);"
        " start it again from its spec: hypermax run SPEC s\n"
    )
    assert (done.returncode, done.stderr) == (2, said)
    (tmp_path / "t").mkdir()
    plain = run_cli_here("resume", "t", cwd=tmp_path)
    assert (plain.returncode, plain.stderr) == (
        2,
        "t: not a hypermax results folder (no search.json)\n",
    )
