"""``show``, ``export`` and ``plot`` of a results folder a hypermax holds before its journal is
there (a search starting, ``--fresh`` moving the search before aside) say so."""

from __future__ import annotations

import socket

import pytest
from conftest import holding_folder, run_cli_here


@pytest.fixture
def starting(tmp_path):
    """The pid of a process that holds the results folder ``tmp_path / "s"``, no journal yet."""
    with holding_folder(tmp_path / "s") as holder:
        yield holder.pid


@pytest.mark.parametrize("command", ["show", "export"])
def test_a_folder_whose_search_starts_is_said_to_have_no_trials_yet(tmp_path, starting, command):
    """It was said to be "not a hypermax results folder (no trials.jsonl)"."""
    done = run_cli_here(command, "s", cwd=tmp_path)
    holder = f"pid {starting} on {socket.gethostname()}"
    assert (done.returncode, done.stderr) == (
        2,
        f"s: no trials yet: a hypermax ({holder}) starts a search there\n",
    )


@pytest.mark.parametrize("command", ["show", "export"])
@pytest.mark.parametrize("left", [".lock", "trials"])
def test_a_folder_whose_search_was_killed_as_it_started_says_to_run_the_spec(
    tmp_path, command, left
):
    """A search killed as it started leaves its lock file, or its trials' folder, and no
    journal: it was said to be "not a hypermax results folder", which ``resume`` of the same
    folder does not say (it says the spec starts it again)."""
    folder = tmp_path / "s"
    folder.mkdir()
    if left == ".lock":
        (folder / left).write_text("")
    else:
        (folder / left).mkdir()
    done = run_cli_here(command, "s", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "s: no trials: its search stopped as it started, before its journal (trials.jsonl)"
        " began; start it again from its spec: hypermax run SPEC s\n",
    )
