"""A hypermax refused a results folder whose lock file was deleted by hand names the hypermax
that holds the folder, as it does when the lock file is there."""

from __future__ import annotations

import socket

import pytest
from conftest import holding_folder, run_cli_here

from hypermax.errors import ResultsError
from hypermax.results import ResultsFolder


def test_the_holder_of_a_folder_whose_lock_file_was_deleted_is_named(tmp_path):
    """It said "in use by another hypermax (its .lock file was deleted)", naming no one."""
    folder = tmp_path / "s"
    with holding_folder(folder, delete_lock=True) as holder, pytest.raises(ResultsError) as refused:
        ResultsFolder(folder).lock()
    host = socket.gethostname()
    assert str(refused.value) == (
        f"{folder}: in use by another hypermax (pid {holder.pid} on {host}; its .lock file was"
        " deleted)"
    )


def test_a_refused_hypermax_leaves_no_lock_file_of_its_own_and_show_tells_the_search_ended(
    tmp_path,
):
    """The refused hypermax left the empty lock file it had made: once the holder ended, show
    could not tell a search that ran from one that was gone, and called its unfinished trial
    running."""
    folder = tmp_path / "s"
    with holding_folder(folder, delete_lock=True):
        (folder / "trials.jsonl").write_text(
            '{"event": "header", "format": 1}\n'
            '{"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {}}\n'
        )
        with pytest.raises(ResultsError):
            ResultsFolder(folder).lock()
        assert not (folder / ".lock").exists()
        shown = run_cli_here("show", str(folder), cwd=tmp_path)
        assert "(1 running)" in shown.stdout  # the holder runs yet, though its lock file is gone
    shown = run_cli_here("show", str(folder), cwd=tmp_path)
    assert "(1 unfinished)" in shown.stdout, shown.stdout
