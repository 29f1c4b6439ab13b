"""A hypermax refused a results folder whose hypermax is stopped (Ctrl-Z in another terminal,
forgotten) says so, and how to continue it."""

from __future__ import annotations

import os
import signal
import socket

import pytest
from conftest import holding_folder
from fake_trials.helpers import is_stopped, wait_until

from hypermax.errors import ResultsError
from hypermax.results import ResultsFolder


def test_a_stopped_holder_is_said_to_be_stopped(tmp_path):
    """It was named as any holder: nothing told the user that it waited for a fg."""
    folder = tmp_path / "s"
    with holding_folder(folder) as holder:
        os.kill(holder.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: is_stopped(holder.pid), 30, "the holder stopped")
            with pytest.raises(ResultsError) as refused:
                ResultsFolder(folder).lock()
        finally:
            os.kill(holder.pid, signal.SIGCONT)
    assert str(refused.value) == (
        f"{folder}: in use by another hypermax (pid {holder.pid} on {socket.gethostname()}); it"
        f" is stopped (Ctrl-Z): fg in its terminal, or kill -CONT {holder.pid}, continues it"
    )
