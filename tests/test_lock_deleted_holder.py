"""A hypermax refused a results folder whose lock file was deleted by hand names the hypermax
that holds the folder, as it does when the lock file is there."""

from __future__ import annotations

import socket

import pytest
from conftest import holding_folder

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
